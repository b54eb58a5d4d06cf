"""Saving, rolling back and comparing mapping versions; the editor, import, copy and API use these.

A save names the version it was based on. If another save landed since, the two edits are
merged field by field against that base (mappings/merge.py); only a field both changed
differently stops the save, as a `Conflict` to settle (the unique number per connection and
entity settles two saves racing in the same instant). Every save but a rollback is checked on
the samples and the connection's live records first (mappings/checks.py).

Rollbacks skip that check: they return to a state that was in force before, and are the way out
when a save went wrong, so nothing holds them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from connections import audit
from connections.actors import Actor
from connections.models import Connection
from connections.tenancy import scoped
from mappings import checks, live, system_defaults, transforms
from mappings.catalogs import EntityCatalog
from mappings.checks import NeedsConfirmation, RecordSet
from mappings.engine import Rule, compile_mapping
from mappings.merge import Merge, three_way
from mappings.models import MappingVersion
from mappings.spec import EMPTY_SPEC, effective_rules
from mappings.validation import InvalidMapping, validate_spec

__all__ = ["Conflict", "InvalidMapping", "NeedsConfirmation", "current", "save"]


class Conflict(Exception):
    """Someone saved since the editor was opened and both changed the same fields: `latest` is
    their version, `merge` the three-way merge with the fields to settle."""

    def __init__(self, latest: MappingVersion | None, merge: Merge | None = None):
        super().__init__("The mapping changed since you opened it.")
        self.latest = latest
        self.merge = merge


@dataclass
class CurrentMapping:
    """What a connection's mapping of an entity is now: its version number (0 = defaults), on
    the catalog with the system default and governance in force."""

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

    def record_sets(self) -> tuple[list[RecordSet], str]:
        """The samples and the connection's live records, with a note when there are none."""
        found = live.live_records(self.connection, self.catalog)
        return [checks.sample_set(self.catalog), found.records], found.note


def catalog_for(connection: Connection, entity: str) -> EntityCatalog:
    """The connection's catalog with its system default; KeyError for no catalog."""
    return system_defaults.current(connection.system, entity).catalog


def current(connection: Connection, entity: str) -> CurrentMapping:
    """Read from the database on every call: a save (the connection's, or a system default's)
    is in effect for the very next request."""
    version = (
        MappingVersion.objects.of(connection, entity).select_related("author").order_by("-number")
    ).first()
    return CurrentMapping(connection, catalog_for(connection, entity), version)


@dataclass
class Preflight:
    """What a save would do, found before anything is written."""

    mapping: CurrentMapping
    spec: dict
    merge: Merge | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    breakages: list = field(default_factory=list)
    live_note: str = ""

    @property
    def token(self) -> str:
        return checks.confirmation(self.breakages)


def preflight(
    connection: Connection,
    entity: str,
    spec: dict,
    *,
    base_number: int | None,
    resolutions: dict | None = None,
    check: bool = True,
) -> Preflight:
    """Merge with what was saved since `base_number`, validate, and check the records."""
    mapping = current(connection, entity)
    found = Preflight(mapping, spec)
    if base_number is not None and base_number != mapping.number:
        base_spec = MappingVersion.objects.spec_at(connection, entity, base_number)
        found.merge = three_way(base_spec, mapping.spec, spec, resolutions)
        if not found.merge.is_clean:
            return found
        found.spec = found.merge.spec
    found.errors = validate_spec(mapping.catalog, found.spec)
    if check and not found.errors:
        after = compile_mapping(entity, effective_rules(mapping.catalog, found.spec))
        record_sets, found.live_note = mapping.record_sets()
        found.breakages = checks.breakages(mapping.compiled(), after, record_sets)
    return found


def save(
    connection: Connection,
    entity: str,
    spec: dict,
    *,
    base_number: int | None,
    actor: Actor,
    note: str = "",
    confirm: str = "",
    resolutions: dict | None = None,
    rollback_of: MappingVersion | None = None,
    action: str = "mapping.save",
    check: bool = True,
) -> MappingVersion:
    """Store `spec` as the next version, or raise and store nothing.

    Raises InvalidMapping (errors per field, governance included), Conflict (someone saved
    since `base_number` and both changed a field: settle it with `resolutions`), or
    NeedsConfirmation (fields would fail on records where they did not: pass its `token` as
    `confirm`). Edits to different fields than a save since `base_number` merge by themselves;
    the version's `merge` attribute says so. `base_number` None means "on top of whatever is
    newest" (import, copy, rollback: the person acts on what they see).
    """
    found = preflight(
        connection, entity, spec, base_number=base_number, resolutions=resolutions, check=check
    )
    mapping, merge, spec = found.mapping, found.merge, found.spec
    if merge is not None and not merge.is_clean:
        raise Conflict(mapping.version, merge)
    if found.errors:
        raise InvalidMapping(found.errors)
    if found.breakages and confirm != found.token:
        raise NeedsConfirmation(found.breakages, spec, merge)
    try:
        with transaction.atomic():
            latest = MappingVersion.objects.latest_number(connection, entity)
            if latest != mapping.number:
                raise IntegrityError("a save landed while this one was checked")
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
                    **({"merged_with": mapping.number} if merge else {}),
                },
            )
    except IntegrityError:
        raise Conflict(
            _version(connection, entity, MappingVersion.objects.latest_number(connection, entity))
        ) from None
    version.merge = merge
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
        check=False,
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
        check=False,
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
    kind = transforms.source_kind(rule.path, rule.transform)
    source = rule.path if kind == "path" else ("unmapped" if not kind else "")
    words = transforms.summary(rule.transform)
    if source and words:
        return f"{source} ({words})"
    return source or words


def describe_entry(entry: dict | None, key: str) -> str:
    """A spec entry (an override or a custom field) in words, as the conflict screen shows it."""
    if entry is None:
        return "the default" if not key.startswith("custom: ") else "no such field"
    return describe(
        Rule(key, entry.get("path", ""), entry.get("transform", {}), entry.get("enabled", True))
    )


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
