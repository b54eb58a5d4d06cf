"""The mapping engine: a connection's effective mapping compiled into a function of one raw record.

This is the only implementation of mapping. The editor's preview, the mapping API, the benchmark
and the tests all call `compile_mapping()`; none re-implements a path or a cast.

A mapping is a list of `Rule`s, one per unified field (and per custom field). Compiling turns each
rule into a closure (path getter, value map, cast) once, so transforming a record is a loop over
closures with no parsing and no dictionary lookups of configuration. A problem with one field
(a missing path, a failed cast) is reported beside the record; the record is never dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from mappings import unified
from mappings.unified import FieldType

MISSING = object()
LOOKUP_ERRORS = (KeyError, IndexError, TypeError)
CAST_ERRORS = (ValueError, TypeError, ArithmeticError, OverflowError)
EPOCH_FORMATS = {"epoch_ms": 1000, "epoch_s": 1}
TRANSFORM_KEYS = ("cast", "format", "value_map", "default", "constant", "join", "separator")


class PathError(ValueError):
    """A source path that cannot be parsed."""


class NotInEnum(ValueError):
    pass


EACH = "*"
_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[(?:\d+|\*)\])*)")
_INDEX = re.compile(r"\[(\d+|\*)\]")


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


def compile_path(path: str) -> Callable[[Any], Any]:
    """A getter returning the value at `path`, a list of values after `[*]`, or MISSING."""
    return _getter(tuple(parse_path(path)))


def _getter(steps: tuple) -> Callable[[Any], Any]:
    if EACH in steps:
        split = steps.index(EACH)
        head, tail = _getter(steps[:split]), _getter(steps[split + 1 :])

        def fan_out(record):
            items = head(record)
            if type(items) is not list:
                return MISSING
            values = [tail(item) for item in items]
            return [None if value is MISSING else value for value in values]

        return fan_out
    # Keys and list indexes are both subscripts; a getter per depth avoids a loop per call.
    if len(steps) == 1:
        (a,) = steps

        def get1(record):
            try:
                return record[a]
            except LOOKUP_ERRORS:
                return MISSING

        return get1
    if len(steps) == 2:
        a, b = steps

        def get2(record):
            try:
                return record[a][b]
            except LOOKUP_ERRORS:
                return MISSING

        return get2
    if len(steps) == 3:
        a, b, c = steps

        def get3(record):
            try:
                return record[a][b][c]
            except LOOKUP_ERRORS:
                return MISSING

        return get3

    def get_deep(record):
        try:
            for step in steps:
                record = record[step]
        except LOOKUP_ERRORS:
            return MISSING
        return record

    return get_deep if steps else (lambda record: record)


def to_string(value) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (dict, list)):
        raise TypeError("an object or list is not a string")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_integer(value) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value} is not a whole number")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and len(text) <= 30:
            return int(text)
        number = Decimal(text)
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError(f"{value!r} is not a whole number")
        if abs(number.adjusted()) > 30:
            raise ValueError(f"{value!r} is out of range")
        return int(number)
    raise TypeError(f"{type(value).__name__} is not a number")


_PLAIN_DECIMAL = re.compile(r"\d{1,30}(?:\.\d{0,30})?").fullmatch


def to_decimal(value) -> str:
    """Decimals travel as strings (no float rounding), normalised: "1250", "12.5"."""
    if type(value) is str and _PLAIN_DECIMAL(value):
        # The common spelling ("120.50", "00010"), normalised with string operations: the same
        # result as Decimal's normalize() at a fraction of the cost.
        whole, _, fraction = value.partition(".")
        whole = whole.lstrip("0") or "0"
        fraction = fraction.rstrip("0")
        return f"{whole}.{fraction}" if fraction else whole
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if type(value) is float:
        number = Decimal(repr(value))
    elif type(value) is int:
        number = Decimal(value)
    elif type(value) is str:
        number = Decimal(value.strip())
    else:
        raise TypeError(f"{type(value).__name__} is not a number")
    if not number.is_finite() or (number and abs(number.adjusted()) > 30):
        raise ValueError(f"{value!r} is out of range")
    return format(number.normalize(), "f")


TRUE_WORDS = frozenset({"true", "1", "yes", "y", "x"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", ""})


def to_boolean(value) -> bool:
    if value is True or value is False:
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    if type(value) is str:
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueError(f"{value!r} is not a yes or no")


def _parse_moment(value, fmt: str) -> datetime | date:
    if fmt in EPOCH_FORMATS:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError("an epoch timestamp is a number")
        return datetime.fromtimestamp(float(value) / EPOCH_FORMATS[fmt], UTC)
    if type(value) is not str:
        raise TypeError(f"{type(value).__name__} is not a date")
    if fmt:
        return datetime.strptime(value.strip(), fmt)
    text = value.strip()
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)


def _compact_date(value) -> str:
    """`%Y%m%d` (SAP's DATS) read strictly and without strptime, which is slow and would take
    `2026110` for 10 January."""
    text = value if type(value) is str else to_string(value)
    if len(text) != 8:
        text = text.strip()
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"{value!r} is not eight digits YYYYMMDD")
    return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()


def date_cast(fmt: str = "") -> Callable[[Any], str]:
    if fmt == "%Y%m%d":
        return _compact_date

    def to_date(value) -> str:
        moment = _parse_moment(value, fmt)
        return (moment.date() if isinstance(moment, datetime) else moment).isoformat()

    return to_date


def datetime_cast(fmt: str = "") -> Callable[[Any], str]:
    def to_datetime(value) -> str:
        moment = _parse_moment(value, fmt)
        if not isinstance(moment, datetime):
            moment = datetime(moment.year, moment.month, moment.day)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    return to_datetime


def enum_cast(choices: Iterable[str]) -> Callable[[Any], str]:
    allowed = frozenset(choices)

    def to_enum(value) -> str:
        text = to_string(value)
        if text not in allowed:
            raise NotInEnum(f"{text!r} is not one of {', '.join(sorted(allowed))}")
        return text

    return to_enum


def list_cast(value) -> list:
    if type(value) is not list:
        raise TypeError(f"{type(value).__name__} is not a list")
    return value


def make_cast(
    field_type: str | None, fmt: str = "", choices: Iterable[str] = ()
) -> Callable[[Any], Any] | None:
    """The cast to `field_type` (None passes values through untouched)."""
    if not field_type:
        return None
    if field_type == FieldType.DATE:
        return date_cast(fmt)
    if field_type == FieldType.DATETIME:
        return datetime_cast(fmt)
    if field_type == FieldType.ENUM:
        return enum_cast(choices)
    casts = {
        FieldType.STRING: to_string,
        FieldType.INTEGER: to_integer,
        FieldType.DECIMAL: to_decimal,
        FieldType.BOOLEAN: to_boolean,
        FieldType.LIST: list_cast,
    }
    if field_type not in casts:
        raise ValueError(f"{field_type!r} is not a type")
    return casts[field_type]


def value_key(value) -> str:
    """How a raw value is spelled as a value map's key (JSON object keys are strings)."""
    return value if type(value) is str else json.dumps(value)


@dataclass(frozen=True)
class Rule:
    """The effective mapping of one field: where its value comes from and how it is shaped.

    `origin` is "default" (the system's), "override" (this connection's), "custom" (a field of
    the connection's own) or "unmapped" (no source at all).
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
        return bool(self.path or "constant" in self.transform or self.transform.get("join"))

    def as_dict(self) -> dict:
        return {"path": self.path, "transform": dict(self.transform), "enabled": self.enabled}


def problem(field_name: str, code: str, message: str) -> dict:
    return {"field": field_name, "code": code, "message": message}


def _where(key: str, index: int | None) -> str:
    if index is None:
        return key
    parent, child = unified.item_key(key)
    return f"{parent}[{index}].{child}"


def _source_getter(rule: Rule, relative_to: str = "") -> Callable[[Any], Any]:
    transform = rule.transform
    if "constant" in transform:
        constant = transform["constant"]
        return lambda record: constant
    if transform.get("join"):
        getters = [_relative_getter(path, relative_to) for path in transform["join"]]
        separator = transform.get("separator", " ")

        def join(record):
            parts = [get(record) for get in getters]
            parts = [to_string(part) for part in parts if part is not MISSING and part is not None]
            return separator.join(parts) if parts else MISSING

        return join
    return _relative_getter(rule.path, relative_to)


def _relative_getter(path: str, relative_to: str) -> Callable[[Any], Any]:
    """Item fields name absolute paths (`lines[*].qty`); inside an item they read `qty`."""
    if relative_to:
        prefix = f"{relative_to}[*]."
        if not path.startswith(prefix):
            return lambda record: MISSING
        path = path[len(prefix) :]
    return compile_path(path)


def _converter(rule: Rule, unified_field, relative_to: str = ""):
    """A closure computing one field's value from a record, appending its problems."""
    key = rule.key
    get = _source_getter(rule, relative_to)
    transform = rule.transform
    has_default = "default" in transform
    default = transform.get("default")
    value_map = transform.get("value_map") or None
    field_type = transform.get("cast") or (unified_field.type if unified_field else None)
    cast = make_cast(
        field_type, transform.get("format", ""), unified_field.choices if unified_field else ()
    )
    own_path = rule.path[len(relative_to) + 4 :] if relative_to else rule.path
    if cast is not None and fans_out(own_path) and field_type != FieldType.LIST:
        element_cast = cast

        def cast(values):
            return [None if value is None else element_cast(value) for value in values]

    required = bool(unified_field and unified_field.required)
    source = rule.path or "the join" if "constant" not in transform else "the constant"

    def absent(value, problems, index):
        if value is MISSING:
            problems.append(
                problem(_where(key, index), "missing_path", f"{source} is not in the record")
            )
        elif required:
            problems.append(
                problem(_where(key, index), "missing_value", "a required value is empty")
            )

    def failed(value, exc, problems, index):
        if isinstance(exc, NotInEnum):
            problems.append(problem(_where(key, index), "not_in_enum", str(exc)))
        else:
            problems.append(
                problem(
                    _where(key, index), "cast_failed", f"{value!r} is not a {field_type}: {exc}"
                )
            )

    if not has_default and value_map is None:
        # The usual rule, a path and a cast, as a closure with nothing else to decide per call;
        # a one-step path is read inline rather than through a getter.
        step = _single_step(rule, own_path)
        if step is not None and cast is not None:
            text_cast = cast is to_string

            def convert_step(record, problems, index=None):
                try:
                    value = record[step]
                except LOOKUP_ERRORS:
                    value = MISSING
                if text_cast and type(value) is str:
                    return value
                if value is MISSING or value is None:
                    absent(value, problems, index)
                    return None
                try:
                    return cast(value)
                except CAST_ERRORS as exc:
                    failed(value, exc, problems, index)
                    return None

            return convert_step
        if cast is None:

            def convert_plain(record, problems, index=None):
                value = get(record)
                if value is MISSING or value is None:
                    absent(value, problems, index)
                    return None
                return value

            return convert_plain

        def convert_cast(record, problems, index=None):
            value = get(record)
            if value is MISSING or value is None:
                absent(value, problems, index)
                return None
            try:
                return cast(value)
            except CAST_ERRORS as exc:
                failed(value, exc, problems, index)
                return None

        return convert_cast

    def convert(record, problems, index=None):
        value = get(record)
        if value is MISSING or value is None:
            if not has_default:
                absent(value, problems, index)
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
            failed(value, exc, problems, index)
            return None

    return convert


def _single_step(rule: Rule, own_path: str) -> str | None:
    """The key when a rule reads one plain key of its record (no join, constant or list step)."""
    if "constant" in rule.transform or rule.transform.get("join") or not own_path:
        return None
    try:
        steps = parse_path(own_path)
    except PathError:
        return None
    return steps[0] if len(steps) == 1 and isinstance(steps[0], str) else None


def _list_converter(rule: Rule, item_converters: list):
    key = rule.key
    get = compile_path(rule.path)
    converters = tuple(item_converters)

    def convert(record, problems, index=None):
        items = get(record)
        if items is MISSING:
            problems.append(problem(key, "missing_path", f"{rule.path} is not in the record"))
            return None
        if items is None:
            return []
        if type(items) is not list:
            problems.append(problem(key, "not_a_list", f"{rule.path} is not a list"))
            return None
        return [
            {child: child_convert(item, problems, position) for child, child_convert in converters}
            for position, item in enumerate(items)
        ]

    return convert


class CompiledMapping:
    """A mapping ready to run: `mapping(raw) -> (unified record, problems)`."""

    def __init__(self, converters: list[tuple[str, Callable]]):
        self._converters = converters

    def __call__(self, raw) -> tuple[dict, list[dict]]:
        problems: list[dict] = []
        if type(raw) is not dict:
            return {}, [problem("", "not_an_object", "a record must be a JSON object")]
        return {key: convert(raw, problems) for key, convert in self._converters}, problems

    def many(self, raws: Iterable) -> list[dict]:
        """Each raw record's output and problems, in order: the mapping API's answer."""
        results = []
        for raw in raws:
            record, problems = self(raw)
            results.append({"record": record, "problems": problems})
        return results


def compile_mapping(entity_name: str, rules: Iterable[Rule]) -> CompiledMapping:
    """Compile the effective `rules` of one entity; unmapped and switched-off fields are left out.

    Raises PathError for a path that cannot be parsed (validation reports those first).
    """
    entity = unified.entity(entity_name)
    rules = list(rules)
    by_key = {rule.key: rule for rule in rules if not rule.is_custom}
    converters = []
    for rule in rules:
        if not rule.enabled or not rule.has_source:
            continue
        unified_field = None if rule.is_custom else entity.by_key.get(rule.key)
        if rule.is_custom:
            converters.append((rule.key, _converter(rule, None)))
        elif unified_field is None or unified.item_key(rule.key):
            continue
        elif unified_field.type == FieldType.LIST:
            items = [
                (child.name, _converter(by_key[f"{rule.key}.{child.name}"], child, rule.path))
                for child in unified_field.item_fields
                if _active(by_key.get(f"{rule.key}.{child.name}"))
            ]
            converters.append((rule.key, _list_converter(rule, items)))
        else:
            converters.append((rule.key, _converter(rule, unified_field)))
    return CompiledMapping(converters)


def _active(rule: Rule | None) -> bool:
    return rule is not None and rule.enabled and rule.has_source
