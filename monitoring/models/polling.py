"""When each connection is polled next, the sweeps that poll them, their batches' leases, and
the planner's lease (one tick per interval however many beats run)."""

from __future__ import annotations

import uuid

from django.db import connections, models
from django.utils import timezone

from connections.models import Connection
from connections.tenancy import TenantQuerySet


class PollScheduleQuerySet(TenantQuerySet):
    customer_path = "connection__customer"

    def schedule(self, connection_ids: list[int], *, due_at, sweep_id: uuid.UUID) -> None:
        """Next due at `due_at`, planned by `sweep_id`: schedules that exist move, missing ones
        are created; a backoff already set stays.

        On PostgreSQL one upsert takes the ids as one array; as ORM objects a sweep's 10,000
        rows cost the planner more than its whole query work.
        """
        database = connections[self.db]
        if database.vendor == "postgresql":
            table = database.ops.quote_name(self.model._meta.db_table)
            upsert = (
                f"INSERT INTO {table} (connection_id, due_at, last_sweep_id) "  # noqa: S608 - our own table; values are parameters
                "SELECT connection_id, %s, %s FROM unnest(%s::bigint[]) AS connection_id "
                "ON CONFLICT (connection_id) DO UPDATE "
                "SET due_at = EXCLUDED.due_at, last_sweep_id = EXCLUDED.last_sweep_id"
            )
            with database.cursor() as cursor:
                cursor.execute(upsert, [due_at, sweep_id, list(connection_ids)])
            return
        self.bulk_create(
            [
                self.model(connection_id=pk, due_at=due_at, last_sweep_id=sweep_id)
                for pk in connection_ids
            ],
            update_conflicts=True,
            unique_fields=["connection"],
            update_fields=["due_at", "last_sweep_id"],
            batch_size=1000,
        )


class PollSchedule(models.Model):
    """When a connection is next due: one interval after it was planned, or after a backoff."""

    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, primary_key=True, related_name="poll_schedule"
    )
    due_at = models.DateTimeField(db_index=True)
    backoff_until = models.DateTimeField(null=True, blank=True)
    last_sweep_id = models.UUIDField(null=True, blank=True)
    # When the last "Check now" was queued: clicks within a few seconds join that check.
    check_requested_at = models.DateTimeField(null=True, blank=True)

    objects = PollScheduleQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.connection_id} due {self.due_at}"


class Sweep(models.Model):
    """One planned poll of every due connection, fanned out as batch tasks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    planned_at = models.DateTimeField(default=timezone.now, db_index=True)
    connection_count = models.PositiveIntegerField(default=0)
    batch_count = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-planned_at"]

    def __str__(self) -> str:
        return f"sweep {self.id} ({self.batches_done}/{self.batch_count})"


class SweepBatch(models.Model):
    """A batch of a sweep, and the lease of the worker polling it.

    Queued, `claimed_by` is empty and `lease_expires_at` says how long its message may wait in
    the broker; claimed, the worker's heartbeat keeps pushing `lease_expires_at` ahead. A batch
    past its lease and not finished lost its worker (or its message): the planner sends it again.
    """

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="batches")
    connection_ids = models.JSONField()
    claimed_by = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField()
    dispatches = models.PositiveSmallIntegerField(default=1)
    finished_at = models.DateTimeField(null=True, blank=True)
    lost = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(finished_at__isnull=True),
                name="sweepbatch_unfinished_lease",
            )
        ]

    def __str__(self) -> str:
        return f"batch {self.pk} of sweep {self.sweep_id} ({self.claimed_by or 'queued'})"


class SweepLock(models.Model):
    """A named lease row: taken by a conditional UPDATE, so it works on SQLite and PostgreSQL."""

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'} until {self.expires_at}"
