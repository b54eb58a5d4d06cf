"""Notices to customers about their connections, one per episode and channel."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from connections.models import Connection, Customer
from connections.tenancy import TenantQuerySet
from monitoring.models.history import ConnectionEvent
from monitoring.models.issues import Incident, IssueEvent


class NotificationQuerySet(TenantQuerySet):
    def for_listing(self) -> NotificationQuerySet:
        return self.select_related("issue_event", "sent_during").order_by("-created_at", "-id")


class Notification(models.Model):
    """One notice to a customer on one channel about one episode, with its delivery outcome."""

    class Kind(models.TextChoices):
        REAUTH_REQUIRED = "reauth_required", "Reauthorization required"
        LASTING_ERROR = "lasting_error", "Connection in error"
        RESOLVED = "resolved", "Resolved"
        ISSUE_EVENT = "issue_event", "Issue event"

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
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="The transition that opened the episode this notice is about.",
    )
    issue_event = models.ForeignKey(
        IssueEvent,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="For an issue event's webhook: the event it announces.",
    )
    is_resend = models.BooleanField(
        default=False, help_text="Sent again by hand (support's Resend), beside the first notice."
    )
    sent_during = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The incident the notice mentioned, when sent during one.",
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
                fields=["episode", "kind", "channel"],
                condition=models.Q(is_resend=False),
                name="one_notice_per_episode_and_channel",
            ),
            models.UniqueConstraint(
                fields=["issue_event", "channel"], name="one_notice_per_issue_event_and_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} to {self.recipient}"
