"""Before a save: what the draft does to real records, so a save never silently breaks data.

The draft and the mapping in force both run on every sample record of the entity and on the
connection's live records (where the upstream serves them). A field that fails on a record where
it did not before is a `Breakage`; saving one needs an explicit confirmation, whose token names
exactly the breakages the person saw (a different set asks again).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from mappings.engine import CompiledMapping

_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class RecordSet:
    label: str  # "sample records", "live records"
    titles: list[str]
    records: list


@dataclass(frozen=True)
class Breakage:
    """A field that fails on records where the mapping in force did not."""

    field: str
    label: str
    failing: tuple[str, ...]
    total: int
    example: str

    @property
    def sentence(self) -> str:
        return (
            f"{self.field} fails on {len(self.failing)} of {self.total} {self.label} "
            f"({', '.join(self.failing)}): {self.example}"
        )


class NeedsConfirmation(Exception):
    """A save would make fields fail on records where they did not; `token` confirms them."""

    def __init__(self, found: list[Breakage], spec: dict, merge=None):
        super().__init__("; ".join(breakage.sentence for breakage in found))
        self.breakages = found
        self.token = confirmation(found)
        self.spec = spec
        self.merge = merge


def failing_fields(mapping: CompiledMapping, records: RecordSet) -> dict[str, dict[str, str]]:
    """Per field key (`lines.quantity` for any line), the records it fails on and why."""
    failing: dict[str, dict[str, str]] = {}
    for title, raw in zip(records.titles, records.records, strict=True):
        _, problems = mapping(raw)
        for problem in problems:
            key = _INDEX.sub("", problem["field"]) or "record"
            failing.setdefault(key, {}).setdefault(title, problem["message"])
    return failing


def breakages(
    before: CompiledMapping | None, after: CompiledMapping, record_sets: list[RecordSet]
) -> list[Breakage]:
    found = []
    for records in record_sets:
        if not records.records:
            continue
        was = failing_fields(before, records) if before is not None else {}
        now = failing_fields(after, records)
        for key, titles in now.items():
            if set(titles) - set(was.get(key, {})):
                found.append(
                    Breakage(
                        key,
                        records.label,
                        tuple(titles),
                        len(records.records),
                        next(iter(titles.values())),
                    )
                )
    return found


def confirmation(found: list[Breakage]) -> str:
    """The token a confirmation carries: it confirms exactly these breakages."""
    text = json.dumps([[b.field, b.label, list(b.failing)] for b in found], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def sample_set(catalog) -> RecordSet:
    return RecordSet("sample records", list(catalog.sample_titles), list(catalog.samples))
