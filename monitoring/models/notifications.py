"""Notices to customers about their connections, one per episode and channel."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from connections.models import Connection, Customer
from connections.tenancy import TenantQuerySet
from monitoring.models.history import ConnectionEvent


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
