"""Health history, transitions, the error log, received webhooks, notifications, poll schedule."""

from __future__ import annotations

import uuid

from django.db import models
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
