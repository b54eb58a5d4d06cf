"""Health history, transitions, the error log, received webhooks, notifications, poll schedule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import connections, models
from django.utils import timezone

from connections.models import Connection, Customer
from connections.systems import HealthStatus
from connections.tenancy import TenantQuerySet
from monitoring.state import Outcome


class Source(models.TextChoices):
    POLL = "poll", "Poll"
    WEBHOOK = "webhook", "Webhook"
    CHECK_NOW = "check_now", "Check now"
    API = "api", "API"


class HealthCheckQuerySet(TenantQuerySet):
    customer_path = "connection__customer"

    def older_than(self, moment) -> HealthCheckQuerySet:
        return self.filter(checked_at__lt=moment)

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
        with database.cursor() as cursor, cursor.cursor.copy(sql) as copy:
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
    """One poll of one connection: what came back and the health it left the connection in."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="health_checks"
    )
    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
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


class ErrorLogQuerySet(TenantQuerySet):
    def with_request_id(self, request_id: str) -> ErrorLogQuerySet:
        """Support pastes a request id from a customer's report: one indexed lookup."""
        return self.filter(request_id=request_id.strip())

    def with_connection(self) -> ErrorLogQuerySet:
        return self.select_related("customer", "connection")

    def newest_first(self) -> ErrorLogQuerySet:
        """The error log's one order, which keyset pagination relies on (index below)."""
        return self.order_by("-created_at", "-id")


class ErrorLog(models.Model):
    """An error seen from the upstream (poll, webhook or API), with its raw body minus secrets."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="error_logs"
    )
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="error_logs"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_type = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    raw_body = models.TextField(blank=True, help_text="As received, with secrets redacted.")

    objects = ErrorLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Keyset pagination walks (created_at, id) newest first, for everyone and per customer.
            models.Index(fields=["-created_at", "-id"], name="errorlog_newest_first"),
            models.Index(
                fields=["customer", "-created_at", "-id"], name="errorlog_customer_newest"
            ),
            # A connection's recent errors and the overview's "last error code".
            models.Index(fields=["connection", "-created_at"], name="errorlog_connection_newest"),
            # A member's request-id lookups and nearest-prefix suggestions stay in their rows.
            models.Index(fields=["customer", "request_id"], name="errorlog_customer_request"),
        ]

    def __str__(self) -> str:
        return f"{self.error_code or self.http_status} {self.request_id}"


class WebhookEventQuerySet(TenantQuerySet):
    customer_path = "connection__customer"


class WebhookEvent(models.Model):
    """A verified webhook as received; the unique webhook-id makes a replay a no-op."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"

    webhook_id = models.CharField(max_length=100, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    event_type = models.CharField(max_length=64, blank=True)
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhooks"
    )
    raw_body = models.TextField(help_text="As received, with secrets redacted.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.RECEIVED)
    processed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.event_type}"


class NotificationQuerySet(TenantQuerySet):
    pass


class Notification(models.Model):
    """One notice to a customer on one channel about one episode, with its delivery outcome."""

    class Kind(models.TextChoices):
        REAUTH_REQUIRED = "reauth_required", "Reauthorization required"
        LASTING_ERROR = "lasting_error", "Connection in error"
        RESOLVED = "resolved", "Resolved"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    class Delivery(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notifications")
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="notifications"
    )
    episode = models.ForeignKey(
        ConnectionEvent,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="The transition that opened the episode this notice is about.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=500)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "kind", "channel"], name="one_notice_per_episode_and_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} to {self.recipient}"


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


class SweepLock(models.Model):
    """A named lease row: taken by a conditional UPDATE, so it works on SQLite and PostgreSQL."""

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'} until {self.expires_at}"


class ProblemState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class ProblemQuerySet(TenantQuerySet):
    customer_path = "connection__customer"

    def unresolved(self) -> ProblemQuerySet:
        return self.exclude(state=ProblemState.RESOLVED)

    def for_queue(self) -> ProblemQuerySet:
        """What the issues queue shows per row, fetched with the row."""
        return self.select_related("connection__customer", "assignee").annotate(
            note_count=models.Count("notes")
        )

    def current_for(self, connection) -> Problem | None:
        return self.filter(connection=connection).unresolved().order_by("-opened_at").first()


class Problem(models.Model):
    """One episode of one connection: opened by the transition out of health, resolved on recovery.

    Support works the episode (acknowledge, assign, notes); the state machine alone opens and
    resolves it (monitoring/problems.py reads the ConnectionEvents it wrote).
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="problems")
    opened_by = models.OneToOneField(
        ConnectionEvent, on_delete=models.CASCADE, related_name="opened_problem"
    )
    opened_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        "worst status", max_length=20, choices=HealthStatus.choices, help_text="Worst so far."
    )
    severity = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=16, choices=ProblemState.choices, default=ProblemState.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        ConnectionEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ProblemQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["state", "-severity", "opened_at"])]

    def __str__(self) -> str:
        return f"{self.connection}: {self.get_status_display()} since {self.opened_at:%Y-%m-%d}"

    @property
    def is_resolved(self) -> bool:
        return self.state == ProblemState.RESOLVED

    @property
    def customer(self):
        return self.connection.customer


class ProblemNoteQuerySet(TenantQuerySet):
    customer_path = "problem__connection__customer"


class ProblemNote(models.Model):
    """A line support writes on a problem: what they tried, who they called."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProblemNoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"note on problem {self.problem_id}"
