"""Source paths: how a mapping names a value inside a raw record (`a.b`, `a[0].b`, `a[*].b`).

Parsing, the catalog's spelling of a path, and getters for the few places that read a path
without the compiled mapping (a fan-out's tail, the catalog's picker).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from typing import Any

MISSING = object()
LOOKUP_ERRORS = (KeyError, IndexError, TypeError)
EACH = "*"

_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[(?:\d+|\*)\])*)")
_INDEX = re.compile(r"\[(\d+|\*)\]")


class PathError(ValueError):
    """A source path that cannot be parsed."""


def parse_path(path: str) -> list[str | int]:
    """`lines[*].material` → `["lines", "*", "material"]`; integers index lists."""
    if not isinstance(path, str) or not path.strip():
        raise PathError("The path is empty.")
    steps: list[str | int] = []
    for segment in path.strip().split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise PathError(f"{path!r} is not a path: write it as a.b, a[0].b or a[*].b.")
        steps.append(match.group(1))
        for index in _INDEX.findall(match.group(2)):
            steps.append(EACH if index == EACH else int(index))
    return steps


def fans_out(path: str) -> bool:
    return "[*]" in path


def catalog_path(path: str) -> str:
    """The catalog's spelling of a path: every list index written `[*]`."""
    return re.sub(r"\[\d+\]", "[*]", path.strip())


def relative(path: str, list_path: str) -> str | None:
    """An item field's path inside its list's items (`lines[*].qty` → `qty`); None when the
    path is not under the list."""
    if not list_path:
        return path
    prefix = f"{list_path}[*]."
    return path[len(prefix) :] if path.startswith(prefix) else None


def compile_path(path: str) -> Callable[[Any], Any]:
    """A getter returning the value at `path`, a list of values after `[*]`, or MISSING."""
    return getter(tuple(parse_path(path)))


def getter(steps: tuple) -> Callable[[Any], Any]:
    if EACH in steps:
        split = steps.index(EACH)
        head, tail = getter(steps[:split]), getter(steps[split + 1 :])

        def fan_out(record):
            items = head(record)
            if type(items) is not list:
                return MISSING
            values = [tail(item) for item in items]
            return [None if value is MISSING else value for value in values]

        return fan_out

    def get(record):
        try:
            for step in steps:
                record = record[step]
        except LOOKUP_ERRORS:
            return MISSING
        return record

    return get


def suggest(path: str, known: Iterable[str]) -> str | None:
    """The known path a typo most likely meant (`titel` → `title`), or None."""
    known = list(known)
    spelled = catalog_path(path)
    by_case = {candidate.lower(): candidate for candidate in known}
    if spelled.lower() in by_case:
        return by_case[spelled.lower()]
    close = difflib.get_close_matches(spelled, known, n=1, cutoff=0.75)
    if close:
        return close[0]
    # A last segment typed wrong under a right parent: compare the last segments alone.
    parent, _, last = spelled.rpartition(".")
    siblings = {c.rpartition(".")[2]: c for c in known if c.rpartition(".")[0] == parent}
    close = difflib.get_close_matches(last, list(siblings), n=1, cutoff=0.7)
    return siblings[close[0]] if close else None
