"""Per-system source catalogs: the fields each system exposes, sample records, default mappings.

Each system module declares, per entity, its native fields once (`Native`): the native path,
the unified field it maps to by default, and how a unified value is spelled natively. From that
one declaration come the default mapping, the sample records (spelled natively from the
canonical records in `canonical.py`) and the catalog of source paths and types, so the three
cannot disagree: mapping a sample with the defaults gives the canonical record back, which the
tests check for every system and entity.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from connections.systems import System
from mappings import unified
from mappings.casts import value_key
from mappings.catalogs import canonical
from mappings.governance import Governance
from mappings.paths import catalog_path

SUPPORTED_SYSTEMS = {
    System.SAP_S4HANA: "sap_s4hana",
    System.SAP_ECC: "sap_ecc",
    System.IBM_MAXIMO: "ibm_maximo",
    System.FIIX: "fiix",
    System.NETSUITE: "netsuite",
    System.DYNAMICS_365: "dynamics_365",
    System.UPKEEP: "upkeep",
    System.LIMBLE: "limble",
    System.EMAINT: "emaint",
    System.INFOR_EAM: "infor_eam",
    System.SANDBOX: "sandbox",
}


@dataclass(frozen=True)
class Native:
    """One native field of a system's entity.

    `key` is the unified field it fills by default (relative inside a list), or None for a field
    only the system has; `value` computes such a field from the canonical record. `vmap` maps
    native values to unified ones, `fmt` is the native date format, `spell` turns a unified
    value into the native one (a float, a padded number).
    """

    path: str
    key: str | None = None
    fmt: str = ""
    vmap: dict | None = None
    spell: Callable[[Any], Any] | None = None
    value: Callable[[dict], Any] | None = None
    read_only: bool = False
    custom: bool = False
    items: tuple[Native, ...] = ()
    description: str = ""

    def transform(self) -> dict:
        transform = {}
        if self.vmap is not None:
            transform["value_map"] = {value_key(raw): mapped for raw, mapped in self.vmap.items()}
        if self.fmt:
            transform["format"] = self.fmt
        return transform

    def spelled(self, unified_value):
        if unified_value is None:
            return None
        if self.vmap is not None:
            return {mapped: raw for raw, mapped in self.vmap.items()}[unified_value]
        if self.fmt:
            return spell_moment(unified_value, self.fmt)
        return self.spell(unified_value) if self.spell else unified_value


def spell_moment(text: str, fmt: str):
    moment = (
        datetime.fromisoformat(text)
        if "T" in text
        else datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    )
    if fmt == "epoch_ms":
        return int(moment.timestamp() * 1000)
    if fmt == "epoch_s":
        return int(moment.timestamp())
    return moment.strftime(fmt)


@dataclass(frozen=True)
class SourceField:
    """A path the system's records carry, as the field picker shows it."""

    path: str
    type: str
    read_only: bool = False
    custom: bool = False
    description: str = ""


@dataclass
class EntityCatalog:
    """A system's source fields, samples and default mapping of one entity.

    `defaults` is what a connection inherits: the catalog's own defaults, or, after
    `with_system_default()`, those with the platform admins' system default on top (its version
    `default_number`, 0 for none) and their `governance`.
    """

    system: str
    entity: str
    fields: dict[str, SourceField]
    defaults: dict[str, dict]
    samples: list[dict]
    sample_titles: list[str] = field(default_factory=list)
    governance: Governance = field(default_factory=Governance)
    default_number: int = 0
    catalog_defaults: dict[str, dict] = field(default_factory=dict)

    def with_system_default(
        self, overrides: dict, governance: Governance, number: int
    ) -> EntityCatalog:
        defaults = dict(self.defaults)
        for key, override in overrides.items():
            defaults[key] = {
                "path": override.get("path", ""),
                "transform": dict(override.get("transform", {})),
                "enabled": override.get("enabled", True),
            }
        return replace(
            self,
            defaults=defaults,
            governance=governance,
            default_number=number,
            catalog_defaults=self.defaults,
        )

    def source_field(self, path: str) -> SourceField | None:
        return self.fields.get(catalog_path(path))

    def search(self, query: str = "") -> list[SourceField]:
        words = query.lower().split()
        return [
            source
            for source in self.fields.values()
            if all(word in f"{source.path} {source.description}".lower() for word in words)
        ]


def build_record(natives: tuple[Native, ...] | list[Native], canonical_record: dict) -> dict:
    """A canonical record spelled the way the system sends it."""
    record: dict = {}
    for native in natives:
        if native.items:
            value = [build_record(native.items, item) for item in canonical_record[native.key]]
        elif native.value is not None:
            value = native.value(canonical_record)
        else:
            value = native.spelled(canonical_record.get(native.key))
        place(record, native.path, value)
    return record


def place(record: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for name in parents:
        record = record.setdefault(name, {})
    record[last] = value


def default_mapping(natives, prefix: str = "", key_prefix: str = "") -> dict[str, dict]:
    defaults = {}
    for native in natives:
        if native.key is None:
            continue
        path = f"{prefix}{native.path}"
        key = f"{key_prefix}{native.key}"
        defaults[key] = {"path": path, "transform": native.transform()}
        if native.items:
            defaults.update(default_mapping(native.items, f"{path}[*].", f"{key}."))
    return defaults


def flags(natives, prefix: str = "") -> dict[str, Native]:
    found = {}
    for native in natives:
        path = f"{prefix}{native.path}"
        found[path] = native
        found.update(flags(native.items, f"{path}[*]."))
    return found


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")


def source_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "decimal"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return "date"
    if isinstance(value, str) and ISO_DATETIME.fullmatch(value):
        return "datetime"
    return "string"


def walk(value, prefix: str = ""):
    """Every path in a record with its value's type; list items as `[*]`."""
    for name, child in value.items():
        path = f"{prefix}{name}"
        if child is None:
            continue
        yield path, source_type(child)
        if isinstance(child, dict):
            yield from walk(child, f"{path}.")
        elif isinstance(child, list):
            for item in child:
                if isinstance(item, dict):
                    yield from walk(item, f"{path}[*].")


def build_catalog(system: str, entity: str, natives: list[Native]) -> EntityCatalog:
    canonical_records = canonical.RECORDS[entity]
    samples = [build_record(natives, record) for record in canonical_records]
    declared = flags(natives)
    fields: dict[str, SourceField] = {}
    for sample in samples:
        for path, kind in walk(sample):
            if path not in fields:
                native = declared.get(path)
                fields[path] = SourceField(
                    path=path,
                    type=kind,
                    read_only=bool(native and native.read_only),
                    custom=bool(native and native.custom),
                    description=native.description if native else "",
                )
    defaults = default_mapping(natives)
    return EntityCatalog(
        system=system,
        entity=entity,
        fields=dict(sorted(fields.items())),
        defaults=defaults,
        catalog_defaults=defaults,
        samples=samples,
        sample_titles=[canonical.title(entity, record) for record in canonical_records],
    )


def is_supported(system: str) -> bool:
    return system in SUPPORTED_SYSTEMS


@functools.cache
def catalog(system: str, entity: str) -> EntityCatalog:
    """The catalog of `entity` as `system` spells it; KeyError for an unsupported pair."""
    unified.entity(entity)
    module = importlib.import_module(f"mappings.catalogs.{SUPPORTED_SYSTEMS[system]}")
    return build_catalog(system, entity, module.ENTITIES[entity])


def as_float(value: str) -> float:
    return float(value)


def as_int(value: str) -> int:
    return int(value)


def fixed(places: int) -> Callable[[str], str]:
    """Decimals as systems like SAP send them: strings with a fixed number of places."""
    return lambda value: f"{float(value):.{places}f}"


def zoned(offset: str) -> Callable[[str], str]:
    """A unified date or UTC datetime as a local timestamp with `offset` (`-05:00`)."""
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = (int(part) for part in offset[1:].split(":"))
    zone = timezone(sign * timedelta(hours=hours, minutes=minutes))

    def spell(text: str) -> str:
        if "T" not in text:
            return f"{text}T00:00:00{offset}"
        return datetime.fromisoformat(text).astimezone(zone).isoformat(timespec="seconds")

    return spell
