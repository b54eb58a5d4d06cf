"""Saving, rolling back and comparing mapping versions; the editor, import, copy and API use these.

A save names the version it was based on. If another save landed since, nothing is written and
`Conflict` carries the version that won, so the editor can show both (optimistic concurrency; the
unique number per connection and entity settles two saves racing in the same instant).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from connections import audit
from connections.actors import Actor
from connections.models import Connection
from connections.tenancy import scoped
from mappings import catalogs
from mappings.catalogs import EntityCatalog
from mappings.engine import Rule, compile_mapping
from mappings.models import MappingVersion
from mappings.spec import EMPTY_SPEC, effective_rules
from mappings.validation import validate_spec


class Conflict(Exception):
    """Someone saved since the editor was opened; `latest` is their version."""

    def __init__(self, latest: MappingVersion | None):
        super().__init__("The mapping changed since you opened it.")
        self.latest = latest


class InvalidMapping(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("The mapping has errors.")
        self.errors = errors


@dataclass
class CurrentMapping:
    """What a connection's mapping of an entity is now: its version number (0 = defaults)."""

    connection: Connection
    catalog: EntityCatalog
    version: MappingVersion | None

    @property
    def number(self) -> int:
        return self.version.number if self.version else 0

    @property
    def spec(self) -> dict:
        return self.version.spec if self.version else EMPTY_SPEC

    def rules(self) -> list[Rule]:
        return effective_rules(self.catalog, self.spec)

    def compiled(self):
        return compile_mapping(self.catalog.entity, self.rules())


def catalog_for(connection: Connection, entity: str) -> EntityCatalog:
    """KeyError when the connection's system or the entity has no catalog."""
    return catalogs.catalog(connection.system, entity)


def current(connection: Connection, entity: str) -> CurrentMapping:
    """Read from the database on every call: a save is in effect for the very next request."""
    version = (
        MappingVersion.objects.of(connection, entity).select_related("author").order_by("-number")
    ).first()
    return CurrentMapping(connection, catalog_for(connection, entity), version)


def save(
    connection: Connection,
    entity: str,
    spec: dict,
    *,
    base_number: int | None,
    actor: Actor,
    note: str = "",
    rollback_of: MappingVersion | None = None,
    action: str = "mapping.save",
) -> MappingVersion:
    """Store `spec` as the next version, or raise InvalidMapping / Conflict and store nothing.

    `base_number` None means "on top of whatever is newest" (import, copy, rollback do this: the
    person acts on what they see, and the new version is itself reversible).
    """
    catalog = catalog_for(connection, entity)
    errors = validate_spec(catalog, spec)
    if errors:
        raise InvalidMapping(errors)
    try:
        with transaction.atomic():
            latest = MappingVersion.objects.latest_number(connection, entity)
            if base_number is not None and base_number != latest:
                raise Conflict(_version(connection, entity, latest))
            version = MappingVersion.objects.create(
                connection=connection,
                entity=entity,
                number=latest + 1,
                spec=spec,
                note=note[:200],
                author=actor.user,
                rollback_of=rollback_of,
            )
            audit.record(
                action,
                version,
                actor=actor,
                customer=connection.customer,
                changes={
                    "entity": entity,
                    "version": version.number,
                    "overrides": sorted(spec.get("overrides", {})),
                    "custom_fields": [c["name"] for c in spec.get("custom_fields", [])],
                    "note": version.note,
                },
            )
    except IntegrityError:
        raise Conflict(
            _version(connection, entity, MappingVersion.objects.latest_number(connection, entity))
        ) from None
    return version


def rollback(version: MappingVersion, *, actor: Actor) -> MappingVersion:
    """A new version with `version`'s spec: history only ever grows."""
    return save(
        version.connection,
        version.entity,
        version.spec,
        base_number=None,
        actor=actor,
        note=f"Rollback to version {version.number}",
        rollback_of=version,
        action="mapping.rollback",
    )


def restore_defaults(connection, entity: str, *, actor: Actor) -> MappingVersion:
    """Roll back to the system defaults (version 0): a new version with no overrides."""
    return save(
        connection,
        entity,
        EMPTY_SPEC,
        base_number=None,
        actor=actor,
        note="Rollback to the system defaults",
        action="mapping.rollback",
    )


def _version(connection, entity, number) -> MappingVersion | None:
    return (
        MappingVersion.objects.of(connection, entity)
        .select_related("author")
        .filter(number=number)
        .first()
    )


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def describe(rule: Rule | None) -> str:
    """A rule in words, as the history's diff shows it."""
    if rule is None:
        return "—"
    if not rule.enabled:
        return "switched off"
    transform = rule.transform
    if "constant" in transform:
        source = f"constant {transform['constant']!r}"
    elif transform.get("join"):
        source = f"join of {', '.join(transform['join'])}"
    else:
        source = rule.path or "unmapped"
    extras = []
    if transform.get("cast"):
        extras.append(f"as {transform['cast']}")
    if transform.get("format"):
        extras.append(f"format {transform['format']}")
    if transform.get("value_map"):
        pairs = ", ".join(f"{raw}→{mapped}" for raw, mapped in transform["value_map"].items())
        extras.append(f"map {pairs}")
    if "default" in transform:
        extras.append(f"default {transform['default']!r}")
    return source + (f" ({'; '.join(extras)})" if extras else "")


def diff(catalog: EntityCatalog, old_spec: dict, new_spec: dict) -> list[Change]:
    """Field by field, what differs between two specs once merged with the defaults."""
    old = {_label(rule): rule for rule in effective_rules(catalog, old_spec)}
    new = {_label(rule): rule for rule in effective_rules(catalog, new_spec)}
    changes = []
    for label in list(old) + [label for label in new if label not in old]:
        before, after = old.get(label), new.get(label)
        if (before.as_dict() if before else None) != (after.as_dict() if after else None):
            changes.append(Change(label, describe(before), describe(after)))
    return changes


def _label(rule: Rule) -> str:
    return f"custom: {rule.key}" if rule.is_custom else rule.key


def copyable_connections(connection: Connection, user):
    """Other connections of the same customer and system whose mappings may be copied here."""
    return (
        scoped(Connection, user)
        .filter(customer_id=connection.customer_id, system=connection.system)
        .exclude(pk=connection.pk)
    )
