"""Mapping versions: every save of a connection's mapping of one entity, kept for history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Max
from django.utils import timezone

from connections.models import Connection
from connections.systems import System
from connections.tenancy import TenantQuerySet
from mappings import unified

ENTITY_CHOICES = [(entity.name, entity.label) for entity in unified.ENTITIES.values()]


class MappingVersionQuerySet(TenantQuerySet):
    customer_path = "connection__customer"

    def of(self, connection: Connection, entity: str) -> MappingVersionQuerySet:
        return self.filter(connection=connection, entity=entity)

    def for_history(self) -> MappingVersionQuerySet:
        return self.select_related("author", "rollback_of").order_by("-number")

    def newest_numbers(self, connection: Connection) -> dict[str, int]:
        """Each entity's newest version number for one connection (absent: on the defaults)."""
        numbers = self.filter(connection=connection).values_list("entity").annotate(Max("number"))
        return dict(numbers)

    def spec_at(self, connection: Connection, entity: str, number: int) -> dict:
        """The spec of version `number`; version 0 (the defaults) has none."""
        version = self.of(connection, entity).filter(number=number).first()
        return version.spec if version else {}

    def latest_number(self, connection: Connection, entity: str) -> int:
        """The newest version's number; 0 while the connection still runs on the defaults."""
        newest = self.of(connection, entity).order_by("-number").values_list("number").first()
        return newest[0] if newest else 0


class MappingVersion(models.Model):
    """One saved state of a connection's mapping of one entity: its spec, who saved it and why.

    Versions are never edited; a rollback is a new version with an older spec.
    """

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="mapping_versions"
    )
    entity = models.CharField(max_length=32, choices=ENTITY_CHOICES)
    number = models.PositiveIntegerField()
    spec = models.JSONField(default=dict)
    note = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    model_version = models.CharField(max_length=20, default=unified.MODEL_VERSION)
    rollback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MappingVersionQuerySet.as_manager()

    class Meta:
        ordering = ["connection", "entity", "-number"]
        constraints = [
            # Two saves from the same base race for the same number; the loser gets a conflict.
            models.UniqueConstraint(
                fields=["connection", "entity", "number"], name="one_mapping_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection.display_name} · {self.get_entity_display()} v{self.number}"

    @property
    def customer(self):
        return self.connection.customer


class SystemDefaultVersionQuerySet(models.QuerySet):
    def of(self, system: str, entity: str) -> SystemDefaultVersionQuerySet:
        return self.filter(system=system, entity=entity)

    def for_history(self) -> SystemDefaultVersionQuerySet:
        return self.select_related("author", "rollback_of").order_by("-number")

    def newest(self, system: str, entity: str) -> SystemDefaultVersion | None:
        return self.of(system, entity).select_related("author").order_by("-number").first()

    def latest_number(self, system: str, entity: str) -> int:
        newest = self.of(system, entity).order_by("-number").values_list("number").first()
        return newest[0] if newest else 0

    def newest_numbers(self, system: str) -> dict[str, int]:
        numbers = self.filter(system=system).values_list("entity").annotate(Max("number"))
        return dict(numbers)


class SystemDefaultVersion(models.Model):
    """One saved state of a system's default mapping of one entity, set by platform admins.

    `spec` holds overrides of the catalog's defaults (the shape of a connection's spec, without
    custom fields); `governance` what customers may change (mappings/governance.py). Every
    connection of the system inherits it for each field it does not override. Platform-wide,
    not owned by a customer. Never edited: a rollback is a new version.
    """

    system = models.CharField(max_length=32, choices=System.choices)
    entity = models.CharField(max_length=32, choices=ENTITY_CHOICES)
    number = models.PositiveIntegerField()
    spec = models.JSONField(default=dict)
    governance = models.JSONField(default=dict)
    note = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    rollback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SystemDefaultVersionQuerySet.as_manager()

    class Meta:
        ordering = ["system", "entity", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "entity", "number"], name="one_system_default_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()} · {self.get_entity_display()} default v{self.number}"
