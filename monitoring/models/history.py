"""A connection's health over time: every check, and every change of status."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from django.db import connections, models
from django.utils import timezone

from connections.models import Connection
from connections.tenancy import TenantQuerySet
from health.vocabulary import HealthStatus, Outcome


class Source(models.TextChoices):
    POLL = "poll", "Poll"
    WEBHOOK = "webhook", "Webhook"
    CHECK_NOW = "check_now", "Check now"
    API = "api", "API"


class HealthCheckQuerySet(TenantQuerySet):
    customer_path = "connection__customer"

    def older_than(self, moment) -> HealthCheckQuerySet:
        return self.filter(checked_at__lt=moment)

    def written_in_sweep(self, sweep_id: uuid.UUID, connection_ids: Iterable[int]) -> set[int]:
        """Which of these connections already have their check for the sweep (a redelivery).

        Asked by id range and intersected here: a batch is a run of consecutive due ids, and the
        range is one index scan, where a list of a thousand ids had PostgreSQL test each of the
        sweep's checks so far against the whole list (30 ms by the end of a 10,000 sweep).
        """
        wanted = set(connection_ids)
        if not wanted:
            return set()
        written = self.filter(
            sweep_id=sweep_id, connection_id__gte=min(wanted), connection_id__lte=max(wanted)
        ).values_list("connection_id", flat=True)
        return wanted.intersection(written)

    def insert_rows(self, rows: Sequence[HealthCheckRow]) -> None:
        """Insert the checks in one go: with COPY on PostgreSQL, bulk_create elsewhere.

        A sweep writes a thousand checks per batch. As model instances in one INSERT they cost
        the worker and PostgreSQL several times what COPY does; rows of plain values also skip
        the ORM's per-field conversion, itself 20 ms a batch.
        """
        database = connections[self.db]
        if database.vendor != "postgresql":
            self.bulk_create([self.model(**row._asdict()) for row in rows], batch_size=500)
            return
        quote = database.ops.quote_name
        columns = ", ".join(
            quote(self.model._meta.get_field(name).column) for name in HealthCheckRow._fields
        )
        sql = f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN"
        # Django's error classes, as for any query: a task retries on DatabaseError.
        with (
            database.wrap_database_errors,
            database.cursor() as cursor,
            cursor.cursor.copy(sql) as copy,
        ):
            for row in rows:
                copy.write_row(row)


class HealthCheckRow(NamedTuple):
    """One HealthCheck as plain values (str, not choices members), for `insert_rows`."""

    connection_id: int
    checked_at: datetime
    sweep_id: uuid.UUID | None
    source: str
    outcome: str
    status_after: str
    latency_ms: int
    http_status: int | None
    error_code: str
    request_id: str


class HealthCheck(models.Model):
    """One poll of one connection: what came back and the health it left the connection in.

    Kept HEALTH_CHECK_RETENTION_HOURS; what pages draw over longer spans comes from the rollups
    (`monitoring.models.rollups`). On PostgreSQL the table is partitioned by day on `checked_at`
    (`monitoring.partitions`): the unique (sweep, connection) pair is then enforced within each
    day's partition, and a redelivered batch is kept out by `transitions.record`'s row locks.
    """

    # Indexed by the (connection, -checked_at) index below. No database constraint: deleting a
    # connection cascades in Django; a constraint would check every row a sweep writes and make
    # each partition attached or detached lock the connections table its sweep is updating.
    connection = models.ForeignKey(
        Connection,
        on_delete=models.CASCADE,
        related_name="health_checks",
        db_index=False,
        db_constraint=False,
    )
    # The partition key on PostgreSQL: a range of days is a range of partitions, no index needed.
    checked_at = models.DateTimeField(default=timezone.now)
    sweep_id = models.UUIDField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.POLL)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    status_after = models.CharField(max_length=20, choices=HealthStatus.choices)
    latency_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = HealthCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["connection", "-checked_at"])]
        constraints = [
            # A redelivered batch finds its rows already written and skips them.
            models.UniqueConstraint(
                fields=["sweep_id", "connection"], name="one_health_check_per_sweep"
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.outcome} at {self.checked_at:%Y-%m-%d %H:%M:%S}"


class ConnectionEventQuerySet(TenantQuerySet):
    customer_path = "connection__customer"


class ConnectionEvent(models.Model):
    """A change of a connection's health: from, to, why, when, and the request that showed it."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    from_status = models.CharField(max_length=20, choices=HealthStatus.choices)
    to_status = models.CharField(max_length=20, choices=HealthStatus.choices)
    reason = models.CharField(max_length=300)
    request_id = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)

    objects = ConnectionEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["connection", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.connection_id}: {self.from_status} → {self.to_status}"
