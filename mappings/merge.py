"""Three-way merge of mapping specs: two edits that started from the same version.

Field by field (a unified field's override, a custom field by name) against the base both edits
started from: what only one side changed is taken from that side, what both changed to the same
thing is kept, and what both changed differently is a `FieldConflict` the person settles.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldConflict:
    key: str  # a unified field key, or "custom: name"
    base: dict | None
    theirs: dict | None
    mine: dict | None


@dataclass
class Merge:
    spec: dict
    conflicts: list[FieldConflict] = field(default_factory=list)
    theirs_changed: list[str] = field(default_factory=list)
    mine_changed: list[str] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not self.conflicts


def _entries(spec: dict) -> dict[str, dict]:
    entries = {key: value for key, value in (spec or {}).get("overrides", {}).items()}
    for custom in (spec or {}).get("custom_fields", []):
        entries[f"custom: {custom['name']}"] = custom
    return entries


def three_way(base: dict, theirs: dict, mine: dict, resolutions: dict | None = None) -> Merge:
    """Merge `mine` into `theirs` over `base`; `resolutions` settles conflicts by key with
    "mine" or "theirs"."""
    resolutions = resolutions or {}
    b, t, m = _entries(base), _entries(theirs), _entries(mine)
    keys = (
        list(t) + [key for key in m if key not in t] + [k for k in b if k not in t and k not in m]
    )
    merged: dict[str, dict | None] = {}
    result = Merge(spec={})
    for key in keys:
        base_entry, their_entry, my_entry = b.get(key), t.get(key), m.get(key)
        theirs_moved = their_entry != base_entry
        mine_moved = my_entry != base_entry
        if theirs_moved:
            result.theirs_changed.append(key)
        if mine_moved:
            result.mine_changed.append(key)
        if not mine_moved or their_entry == my_entry:
            merged[key] = their_entry
        elif not theirs_moved:
            merged[key] = my_entry
        elif resolutions.get(key) in ("mine", "theirs"):
            merged[key] = my_entry if resolutions[key] == "mine" else their_entry
        else:
            result.conflicts.append(FieldConflict(key, base_entry, their_entry, my_entry))
            merged[key] = my_entry
    result.spec = {
        "overrides": {
            key: entry
            for key, entry in merged.items()
            if entry is not None and not key.startswith("custom: ")
        },
        "custom_fields": [
            entry
            for key, entry in merged.items()
            if entry is not None and key.startswith("custom: ")
        ],
    }
    return result
