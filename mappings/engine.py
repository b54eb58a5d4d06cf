"""The mapping engine: a connection's effective mapping compiled into one function of a raw record.

This is the only implementation of mapping. The editor's preview, the checks before a save, the
mapping API, the benchmark and the tests all call `compile_mapping()`; none re-implements a path
or a cast.

A mapping is a list of `Rule`s, one per unified field (and per custom field). Compiling plans
each rule once (`FieldPlan`: where the value comes from, its default, value map and cast) and
then writes the whole mapping as the source of one Python function (`mappings/codegen.py`), with
each field's common case inline and everything else handed to the field's `finish`, the one
place that decides defaults, value maps, casts and problems. A problem with one field (a missing
path, a failed cast) is reported beside the record; the record is never dropped. Compiled
mappings are cached by their rules, so each mapping version is compiled once per process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mappings import codegen, transforms, unified
from mappings.casts import CAST_ERRORS, NotInEnum, failure, make_cast, value_key
from mappings.paths import EACH, MISSING, fans_out, parse_path, relative
from mappings.unified import FieldType

# Problem codes (the API's) and the words the editor shows for them.
PROBLEM_WORDS = {
    "missing_path": "not in the record",
    "missing_value": "empty but required",
    "cast_failed": "cannot be converted",
    "not_in_enum": "not one of the choices",
    "unmapped_value": "not in the value map",
    "not_a_list": "not a list",
    "not_an_object": "not a JSON object",
}


@dataclass(frozen=True)
class Rule:
    """The effective mapping of one field: where its value comes from and how it is shaped.

    `origin` is "default" (inherited from the system's default), "override" (this connection's
    own), "custom" (a field of the connection's own) or "unmapped" (no source at all).
    """

    key: str
    path: str = ""
    transform: dict = field(default_factory=dict)
    enabled: bool = True
    origin: str = "default"

    @property
    def is_custom(self) -> bool:
        return self.origin == "custom"

    @property
    def has_source(self) -> bool:
        return bool(transforms.source_kind(self.path, self.transform))

    def as_dict(self) -> dict:
        return {"path": self.path, "transform": dict(self.transform), "enabled": self.enabled}


def problem(field_name: str, code: str, message: str) -> dict:
    return {"field": field_name, "code": code, "message": message}


def _where(key: str, index: int | None) -> str:
    if index is None:
        return key
    parent, child = unified.item_key(key)
    return f"{parent}[{index}].{child}"


@dataclass
class FieldPlan:
    """One output field, planned: how the generated code reads it and how `finish` shapes it."""

    name: str  # the output key (an item field's own name inside its item)
    key: str  # the rule's key, as problems name it
    kind: str  # "constant", "join", "path" or "" (a path outside its list: always missing)
    steps: tuple = ()
    join_steps: tuple = ()
    separator: str = " "
    constant: Any = None
    field_type: str | None = None
    cast: Callable | None = None
    finish: Callable = None  # (value, problems, index) -> output, appending problems
    value_table: dict | None = None  # value map entries with their output computed once
    items: list[FieldPlan] | None = None  # a list of objects: its item fields
    fast: str = ""  # "text": a string stays itself, the generated code's inline common case


def _finisher(rule: Rule, unified_field, own_path: str, source_words: str):
    """The one converter: default, value map, cast and problems for a value already read."""
    key = rule.key
    transform = rule.transform
    has_default = "default" in transform
    default = transform.get("default")
    value_map = transform.get("value_map") or None
    field_type = transform.get("cast") or (unified_field.type if unified_field else None)
    fmt = transform.get("format", "")
    cast = make_cast(field_type, fmt, unified_field.choices if unified_field else ())
    if cast is not None and fans_out(own_path) and field_type != FieldType.LIST:
        element_cast = cast

        def cast(values):
            return [None if value is None else element_cast(value) for value in values]

    required = bool(unified_field and unified_field.required)

    def finish(value, problems, index):
        if value is MISSING or value is None:
            if not has_default:
                if value is MISSING:
                    message = f"{source_words} is not in the record"
                    problems.append(problem(_where(key, index), "missing_path", message))
                elif required:
                    message = "a required value is empty"
                    problems.append(problem(_where(key, index), "missing_value", message))
                return None
            value = default
        if value_map is not None:
            mapped = value_map.get(value_key(value), MISSING)
            if mapped is MISSING:
                message = f"{value_key(value)!r} is not in the value map"
                problems.append(problem(_where(key, index), "unmapped_value", message))
                return None
            value = mapped
        if cast is None:
            return value
        try:
            return cast(value)
        except CAST_ERRORS as exc:
            code = "not_in_enum" if isinstance(exc, NotInEnum) else "cast_failed"
            message = failure(value, field_type, fmt, exc)
            problems.append(problem(_where(key, index), code, message))
            return None

    return finish, cast, field_type, value_map


def _steps(path: str) -> tuple:
    """A path's steps; PathError for one that cannot be parsed."""
    return tuple(parse_path(path))


def plan_field(rule: Rule, unified_field, list_path: str = "", name: str = "") -> FieldPlan:
    transform = rule.transform
    kind = transforms.source_kind(rule.path, transform)
    own_path = (relative(rule.path, list_path) or "") if kind == "path" else ""
    if kind == "path" and relative(rule.path, list_path) is None:
        kind = ""  # an item field's path outside its list: missing in every item
    if kind == "constant":
        source_words = "the constant"
    elif kind == "join":
        source_words = "the join"
    else:
        source_words = rule.path
    finish, cast, field_type, value_map = _finisher(rule, unified_field, own_path, source_words)
    plan = FieldPlan(
        name=name or rule.key,
        key=rule.key,
        kind=kind,
        field_type=field_type,
        cast=cast,
        finish=finish,
        constant=transform.get("constant"),
    )
    if kind == "path":
        plan.steps = _steps(own_path)
        if field_type == FieldType.STRING and EACH not in plan.steps:
            plan.fast = "text"
    elif kind == "join":
        parts = [relative(path, list_path) for path in transform["join"]]
        plan.join_steps = tuple(_steps(part) if part is not None else None for part in parts)
        plan.separator = transform.get("separator", " ")
        if field_type == FieldType.STRING:
            plan.fast = "text"
    if value_map is not None:
        plan.value_table = _value_table(value_map, cast)
    return plan


def _value_table(value_map: dict, cast) -> dict:
    """Each value map entry's final output, for the entries whose cast succeeds."""
    table = {}
    for raw, mapped in value_map.items():
        if mapped is None:
            continue
        try:
            table[raw] = cast(mapped) if cast is not None else mapped
        except CAST_ERRORS:
            continue
    return table


def finish_list(key: str, path: str):
    def finish(items, problems):
        if items is MISSING:
            problems.append(problem(key, "missing_path", f"{path} is not in the record"))
            return None
        if items is None:
            return []
        problems.append(problem(key, "not_a_list", f"{path} is not a list"))
        return None

    return finish


def _not_an_object() -> list[dict]:
    return [problem("", "not_an_object", "a record must be a JSON object")]


class CompiledMapping:
    """A mapping ready to run: `mapping(raw) -> (unified record, problems)`."""

    def __init__(self, function: Callable, source: str):
        self._function = function
        self.source = source

    def __call__(self, raw) -> tuple[dict, list[dict]]:
        return self._function(raw)

    def many(self, raws: Iterable) -> list[dict]:
        """Each raw record's output and problems, in order: the mapping API's answer."""
        function = self._function
        results = []
        for raw in raws:
            record, problems = function(raw)
            results.append({"record": record, "problems": problems})
        return results


_cache: dict[str, CompiledMapping] = {}
_cache_lock = threading.Lock()
CACHE_SIZE = 512


def compile_mapping(entity_name: str, rules: Iterable[Rule]) -> CompiledMapping:
    """Compile the effective `rules` of one entity; unmapped and switched-off fields are left out.

    Cached by the rules themselves, so a mapping version compiles once per process. Raises
    PathError for a path that cannot be parsed (validation reports those first).
    """
    rules = list(rules)
    cache_key = json.dumps(
        [entity_name, [[r.key, r.path, r.transform, r.enabled, r.origin] for r in rules]],
        sort_keys=True,
        default=str,
    )
    compiled = _cache.get(cache_key)
    if compiled is None:
        compiled = _compile(entity_name, rules)
        with _cache_lock:
            if len(_cache) >= CACHE_SIZE:
                _cache.clear()
            _cache[cache_key] = compiled
    return compiled


def plan_mapping(entity_name: str, rules: list[Rule]) -> list[FieldPlan]:
    entity = unified.entity(entity_name)
    by_key = {rule.key: rule for rule in rules if not rule.is_custom}
    plans = []
    for rule in rules:
        if not rule.enabled or not rule.has_source:
            continue
        if rule.is_custom:
            plans.append(plan_field(rule, None))
            continue
        unified_field = entity.by_key.get(rule.key)
        if unified_field is None or unified.item_key(rule.key):
            continue
        if unified_field.type != FieldType.LIST:
            plans.append(plan_field(rule, unified_field))
            continue
        plan = FieldPlan(
            name=rule.key,
            key=rule.key,
            kind="path",
            steps=_steps(rule.path),
            finish=finish_list(rule.key, rule.path),
            items=[],
        )
        for child in unified_field.item_fields:
            child_rule = by_key.get(f"{rule.key}.{child.name}")
            if child_rule is not None and child_rule.enabled and child_rule.has_source:
                plan.items.append(plan_field(child_rule, child, rule.path, child.name))
        plans.append(plan)
    return plans


def _compile(entity_name: str, rules: list[Rule]) -> CompiledMapping:
    plans = plan_mapping(entity_name, rules)
    function, source = codegen.generate(plans, _not_an_object)
    return CompiledMapping(function, source)


__all__ = ["EACH", "PROBLEM_WORDS", "CompiledMapping", "Rule", "compile_mapping", "problem"]
