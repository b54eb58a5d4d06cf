"""Casts: a raw value turned into a unified type, and what to say when it cannot be.

Every cast raises one of CAST_ERRORS on a value it cannot convert; `failure()` turns any of them
into a sentence a person reads (never Python's own "bad directive" or a decimal signal class).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from mappings.unified import FieldType

CAST_ERRORS = (ValueError, TypeError, ArithmeticError, OverflowError)
EPOCH_FORMATS = {"epoch_ms": 1000, "epoch_s": 1}

TYPE_WORDS = {
    FieldType.STRING: "text",
    FieldType.INTEGER: "a whole number",
    FieldType.DECIMAL: "a decimal number",
    FieldType.BOOLEAN: "a yes or no",
    FieldType.DATE: "a date",
    FieldType.DATETIME: "a date and time",
    FieldType.ENUM: "one of the choices",
    FieldType.LIST: "a list",
}


class CastError(ValueError):
    """A cast's refusal, already in words."""


class NotInEnum(CastError):
    pass


def to_string(value) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (dict, list)):
        raise CastError("an object or a list is not text")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_integer(value) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise CastError(f"{value!r} is a yes or no, not a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise CastError(f"{value} is not a whole number")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 30:
            return int(text)
        number = Decimal(text)
        if not number.is_finite() or number != number.to_integral_value():
            raise CastError(f"{value!r} is not a whole number")
        if abs(number.adjusted()) > 30:
            raise CastError(f"{value!r} is out of range")
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
        raise CastError(f"{value!r} is a yes or no, not a number")
    if type(value) is float:
        number = Decimal(repr(value))
    elif type(value) is int:
        number = Decimal(value)
    elif type(value) is str:
        number = Decimal(value.strip())
    else:
        raise TypeError(f"{type(value).__name__} is not a number")
    if not number.is_finite() or (number and abs(number.adjusted()) > 30):
        raise CastError(f"{value!r} is out of range")
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
    raise CastError(f"{value!r} is not a yes or no (true/false, yes/no, 1/0, X)")


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
    `2026110` for 10 January; the ISO spelling is checked as a calendar date by fromisoformat."""
    text = value if type(value) is str else to_string(value)
    if len(text) != 8:
        text = text.strip()
    if len(text) != 8 or not text.isdigit() or not text.isascii():
        raise CastError(f"{value!r} is not eight digits YYYYMMDD")
    spelled = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        _iso_date(spelled)
    except ValueError:
        raise CastError(f"{value!r} is not a date on the calendar") from None
    return spelled


_iso_date = date.fromisoformat


def date_cast(fmt: str = "") -> Callable[[Any], str]:
    if fmt == "%Y%m%d":
        return _compact_date

    def to_date(value) -> str:
        moment = _parse_moment(value, fmt)
        return (moment.date() if isinstance(moment, datetime) else moment).isoformat()

    return to_date


def _is_utc_text(value) -> bool:
    """Already spelled as the output spells it: `2026-11-20T08:00:00Z`."""
    return (
        len(value) == 20
        and value[19] == "Z"
        and value[10] == "T"
        and value[4] == value[7] == "-"
        and value[13] == value[16] == ":"
    )


def datetime_cast(fmt: str = "") -> Callable[[Any], str]:
    def to_datetime(value) -> str:
        if not fmt and type(value) is str and _is_utc_text(value):
            datetime.fromisoformat(value)  # a real moment, or ValueError
            return value
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
        raise CastError(f"{json.dumps(value)[:40]} is not a list")
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


def failure(value, field_type: str, fmt: str, exc: Exception) -> str:
    """Why `value` did not become a `field_type`, in words."""
    if isinstance(exc, CastError):
        return str(exc)
    shown = _shown(value)
    if field_type in (FieldType.DATE, FieldType.DATETIME) and fmt in EPOCH_FORMATS:
        return f"{shown} is not an epoch timestamp ({fmt})"
    if field_type in (FieldType.DATE, FieldType.DATETIME) and fmt:
        return f"{shown} does not match the date format {fmt}"
    if field_type in (FieldType.DATE, FieldType.DATETIME):
        return (
            f"{shown} is not {TYPE_WORDS[field_type]} in ISO 8601 (2026-11-02, 2026-11-02T08:00Z)"
        )
    return f"{shown} is not {TYPE_WORDS.get(field_type, field_type)}"


def _shown(value) -> str:
    text = repr(value) if isinstance(value, (str, int, float, bool)) else json.dumps(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def value_key(value) -> str:
    """How a raw value is spelled as a value map's key (JSON object keys are strings)."""
    return value if type(value) is str else json.dumps(value)


# The codes strptime knows (Python 3.11), with the words the editor offers for the common ones.
DATE_CODES = set("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
COMMON_CODES = "%Y year, %m month, %d day, %H hour, %M minute, %S second, %z offset"


def format_errors(fmt: str) -> list[str]:
    """What is wrong with a date format as typed, in words (empty when it is usable)."""
    if not fmt or fmt in EPOCH_FORMATS:
        return []
    if "%" not in fmt:
        return [
            f"{fmt!r} has no date codes: write it with codes such as %Y-%m-%d "
            "(year-month-day), or epoch_ms / epoch_s for timestamps."
        ]
    errors = []
    position = 0
    while (position := fmt.find("%", position)) != -1:
        code = fmt[position + 1 : position + 2]
        if not code:
            errors.append("The format ends with a lone %: write %% for a percent sign.")
        elif code not in DATE_CODES:
            errors.append(f"%{code} is not a date code: use {COMMON_CODES}.")
        position += 2
    return errors
