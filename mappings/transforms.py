"""The transform vocabulary, declared once: what a field's transform may hold and what it means.

The engine, validation, spec parsing, the editor's form and its template all read `OPTIONS`, so
an option added here is parsed, checked, shown and run everywhere, or nowhere.

Where a field's value comes from is decided in one order, `SOURCE_ORDER`: a constant wins over a
join, a join over the source path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    """One transform option; `kind` says how it is typed in the editor and stored."""

    name: str
    label: str
    kind: str  # "type": a unified type; "text"; "lines": raw = mapped; "value": a JSON scalar;
    # "paths": a list of source paths
    placeholder: str = ""
    help: str = ""


OPTIONS = (
    Option("cast", "Cast to", "type", help="The unified type the value becomes."),
    Option(
        "format",
        "Date format",
        "text",
        "%Y%m%d or epoch_ms",
        "How the source writes dates: codes such as %Y-%m-%d, or epoch_ms / epoch_s.",
    ),
    Option(
        "value_map",
        "Value map",
        "lines",
        "raw = unified, one per line",
        "Source values and what each becomes, one per line.",
    ),
    Option("default", "Default when missing", "value", help="Used when the source is empty."),
    Option("constant", "Constant", "value", help="The same value for every record."),
    Option("join", "Join paths", "paths", "path, path", "Several paths joined into one text."),
    Option("separator", "Join separator", "text", "space", "Put between joined values."),
)
BY_NAME = {option.name: option for option in OPTIONS}
KEYS = tuple(BY_NAME)
SOURCE_ORDER = ("constant", "join", "path")


def source_kind(path: str, transform: dict) -> str:
    """Which source a field reads: "constant", "join", "path", or "" for none."""
    if "constant" in transform:
        return "constant"
    if transform.get("join"):
        return "join"
    return "path" if path else ""


def source_paths(path: str, transform: dict) -> list[str]:
    """The paths the winning source reads (none for a constant)."""
    kind = source_kind(path, transform)
    if kind == "join":
        return list(transform["join"])
    return [path] if kind == "path" else []


def ignored_sources(path: str, transform: dict) -> list[str]:
    """The sources a field has but does not read, because another one wins."""
    kind = source_kind(path, transform)
    present = {"constant": "constant" in transform, "join": bool(transform.get("join"))}
    present["path"] = bool(path)
    order = SOURCE_ORDER[SOURCE_ORDER.index(kind) + 1 :] if kind else ()
    return [name for name in order if present[name]]


SOURCE_WORDS = {"constant": "the constant", "join": "the join", "path": "the source path"}


def winner_note(path: str, transform: dict) -> str:
    """ "The join is used; the source path is ignored." when a row holds two sources."""
    ignored = ignored_sources(path, transform)
    if not ignored:
        return ""
    winner = SOURCE_WORDS[source_kind(path, transform)]
    losers = " and ".join(SOURCE_WORDS[name] for name in ignored)
    verb = "are" if len(ignored) > 1 else "is"
    return f"{winner[0].upper()}{winner[1:]} is used; {losers} {verb} ignored."


def spell(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def summary(transform: dict) -> str:
    """A transform in a few words, as the editor's row and the history's diff show it."""
    parts = []
    if "constant" in transform:
        parts.append(f"constant {spell(transform['constant'])}")
    if transform.get("join"):
        separator = transform.get("separator", " ")
        parts.append(f"join of {', '.join(transform['join'])} with {separator!r}")
    if transform.get("cast"):
        parts.append(f"as {transform['cast']}")
    if transform.get("format"):
        parts.append(f"format {transform['format']}")
    if transform.get("value_map"):
        pairs = ", ".join(
            f"{raw}→{spell(mapped)}" for raw, mapped in transform["value_map"].items()
        )
        parts.append(f"map {pairs}")
    if "default" in transform:
        parts.append(f"default {spell(transform['default'])}")
    return ", ".join(parts)


def shape_errors(transform) -> list[str]:
    """What is wrong with the shape of a transform from outside (an import, the API)."""
    if not isinstance(transform, dict):
        return ["transform must be an object."]
    problems = []
    unknown = sorted(set(transform) - set(KEYS))
    if unknown:
        problems.append(
            f"Unknown transform options: {', '.join(unknown)} (known: {', '.join(KEYS)})."
        )
    for name, value in transform.items():
        option = BY_NAME.get(name)
        if option is None:
            continue
        if option.kind in ("type", "text") and not isinstance(value, str):
            problems.append(f"{name} must be a string.")
        elif option.kind == "lines" and not isinstance(value, dict):
            problems.append(f"{name} must be an object of raw value to unified value.")
        elif option.kind == "paths" and (
            not isinstance(value, list) or not all(isinstance(path, str) for path in value)
        ):
            problems.append(f"{name} must be a list of paths.")
        elif option.kind == "value" and isinstance(value, (dict, list)):
            problems.append(f"{name} must be a single value, not an object or a list.")
    return problems
