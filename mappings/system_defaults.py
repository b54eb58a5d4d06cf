"""System defaults: the mapping platform admins set per system and entity, on top of the catalog.

Every connection of the system inherits it for each field it does not override, from the very
next request. Versioned like connection mappings: a save is a new version, a rollback a new
version with an older spec; `governance` (mappings/governance.py) travels in the same version.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max

from connections import audit
from connections.actors import Actor
from connections.models import Connection
from mappings import catalogs, checks, unified
from mappings.catalogs import EntityCatalog
from mappings.checks import NeedsConfirmation
from mappings.engine import Rule, compile_mapping
from mappings.governance import Governance
from mappings.models import MappingVersion, SystemDefaultVersion
from mappings.spec import EMPTY_SPEC, effective_rules
from mappings.validation import InvalidMapping, validate_spec


class Conflict(Exception):
    def __init__(self, latest: SystemDefaultVersion | None):
        super().__init__("The system default changed since you opened it.")
        self.latest = latest


@dataclass
class CurrentDefault:
    """A system's default of one entity now: version 0 is the catalog's own defaults."""

    system: str
    entity: str
    version: SystemDefaultVersion | None
    base: EntityCatalog  # the catalog alone

    @property
    def number(self) -> int:
        return self.version.number if self.version else 0

    @property
    def spec(self) -> dict:
        return {"overrides": self.version.spec.get("overrides", {})} if self.version else EMPTY_SPEC

    @property
    def governance(self) -> Governance:
        return Governance.from_dict(self.version.governance if self.version else None)

    @property
    def catalog(self) -> EntityCatalog:
        """The catalog connections inherit from: the defaults with this version on top."""
        return self.base.with_system_default(
            self.spec.get("overrides", {}), self.governance, self.number
        )

    def rules(self) -> list[Rule]:
        """The system default's rules, marked against the catalog's own defaults."""
        return effective_rules(self.base, self.spec)


def current(system: str, entity: str) -> CurrentDefault:
    """KeyError when the system or the entity has no catalog."""
    base = catalogs.catalog(system, entity)
    return CurrentDefault(system, entity, SystemDefaultVersion.objects.newest(system, entity), base)


def validate(base: EntityCatalog, spec: dict, governance: Governance) -> dict[str, list[str]]:
    """A system default must itself be a valid mapping that maps what it requires."""
    known = unified.entity(base.entity).by_key
    # Required custom fields are each connection's to add; the default maps unified fields.
    required_only = Governance(required=frozenset(governance.required & set(known)))
    errors = validate_spec(base.with_system_default({}, required_only, 0), spec)
    for key in sorted(governance.locked | governance.required):
        if key not in known and key not in governance.listed:
            errors.setdefault(key, []).append(f"{key!r} is neither a unified nor a listed field.")
    return errors


def breakages(now: CurrentDefault, spec: dict) -> list[checks.Breakage]:
    """Fields the new default would make fail on the catalog's samples."""
    before = compile_mapping(now.entity, now.rules())
    after = compile_mapping(now.entity, effective_rules(now.base, spec))
    return checks.breakages(before, after, [checks.sample_set(now.base)])


def save(
    system: str,
    entity: str,
    spec: dict,
    governance: Governance,
    *,
    base_number: int | None,
    actor: Actor,
    note: str = "",
    confirm: str = "",
    rollback_of: SystemDefaultVersion | None = None,
    action: str = "mapping.system_default.save",
    check: bool = True,
) -> SystemDefaultVersion:
    """Store the next version, or raise InvalidMapping / Conflict / NeedsConfirmation (checked
    on the catalog's samples) and store nothing."""
    now = current(system, entity)
    spec = {"overrides": dict(spec.get("overrides", {}))}
    errors = validate(now.base, spec, governance)
    if errors:
        raise InvalidMapping(errors)
    if base_number is not None and base_number != now.number:
        raise Conflict(now.version)
    if check:
        found = breakages(now, spec)
        if found and confirm != checks.confirmation(found):
            raise NeedsConfirmation(found, spec)
    try:
        with transaction.atomic():
            latest = SystemDefaultVersion.objects.latest_number(system, entity)
            if latest != now.number:
                raise IntegrityError("a save landed while this one was checked")
            version = SystemDefaultVersion.objects.create(
                system=system,
                entity=entity,
                number=latest + 1,
                spec=spec,
                governance=governance.as_dict(),
                note=note[:200],
                author=actor.user,
                rollback_of=rollback_of,
            )
            audit.record(
                action,
                version,
                actor=actor,
                changes={
                    "system": system,
                    "entity": entity,
                    "version": version.number,
                    "overrides": sorted(spec["overrides"]),
                    "governance": governance.as_dict(),
                    "note": version.note,
                },
            )
    except IntegrityError:
        raise Conflict(SystemDefaultVersion.objects.newest(system, entity)) from None
    return version


def rollback(version: SystemDefaultVersion, *, actor: Actor) -> SystemDefaultVersion:
    return save(
        version.system,
        version.entity,
        version.spec,
        Governance.from_dict(version.governance),
        base_number=None,
        actor=actor,
        note=f"Rollback to version {version.number}",
        rollback_of=version,
        action="mapping.system_default.rollback",
        check=False,
    )


def restore_catalog(system: str, entity: str, *, actor: Actor) -> SystemDefaultVersion:
    return save(
        system,
        entity,
        EMPTY_SPEC,
        Governance(),
        base_number=None,
        actor=actor,
        note="Rollback to the catalog's defaults",
        action="mapping.system_default.rollback",
        check=False,
    )


@dataclass(frozen=True)
class Reach:
    """Who a change to a system default reaches: every connection of the system, except those
    that override a changed field (they keep their own for that field)."""

    connections: int
    overriding: dict[str, list[Connection]]


def reach(system: str, entity: str, keys: list[str]) -> Reach:
    connections = Connection.objects.filter(system=system)
    newest = (
        MappingVersion.objects.filter(connection__system=system, entity=entity)
        .values("connection_id")
        .annotate(newest=Max("number"))
    )
    wanted = {(row["connection_id"], row["newest"]) for row in newest}
    versions = (
        MappingVersion.objects.filter(
            connection_id__in=[connection_id for connection_id, _ in wanted], entity=entity
        )
        .select_related("connection__customer")
        .only("number", "spec", "connection__display_name", "connection__customer__name")
    )
    overriding: dict[str, list[Connection]] = {key: [] for key in keys}
    for version in versions:
        if (version.connection_id, version.number) not in wanted:
            continue
        for key in keys:
            if key in version.spec.get("overrides", {}):
                overriding[key].append(version.connection)
    return Reach(connections.count(), {key: found for key, found in overriding.items() if found})
