"""Webhooks received from the upstream, stored as they came."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from connections.models import Connection
from connections.tenancy import TenantQuerySet


class WebhookEventQuerySet(TenantQuerySet):
    customer_path = "connection__customer"


class WebhookEvent(models.Model):
    """A verified webhook as received; the unique webhook-id makes a replay a no-op.

    Processing ends it processed, ignored (with why) or failed (with the error): a stored event
    is never left received for good nor tried for ever (`monitoring.webhooks.process`).
    """

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

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
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times processing started; it is failed for good after a few."
    )

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.event_type}"
