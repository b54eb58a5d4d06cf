"""The issues queue: one issue per episode of a connection's ill health, and support's notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from connections.models import Connection
from connections.tenancy import TenantQuerySet
from health.vocabulary import HealthStatus
from monitoring.models.history import ConnectionEvent


class IssueState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class IssueQuerySet(TenantQuerySet):
    customer_path = "connection__customer"

    def unresolved(self) -> IssueQuerySet:
        return self.exclude(state=IssueState.RESOLVED)

    def for_queue(self) -> IssueQuerySet:
        """What the issues queue shows per row, fetched with the row."""
        return self.select_related("connection__customer", "assignee").annotate(
            note_count=models.Count("notes")
        )

    def current_for(self, connection) -> Issue | None:
        return self.filter(connection=connection).unresolved().order_by("-opened_at").first()


class Issue(models.Model):
    """One episode of one connection: opened by the transition out of health, resolved on recovery.

    Support works the episode (acknowledge, assign, notes); the state machine alone opens and
    resolves it (monitoring/issues.py, called by monitoring/transitions.py with the
    ConnectionEvents each write makes).
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="issues")
    opened_by = models.OneToOneField(
        ConnectionEvent, on_delete=models.CASCADE, related_name="opened_issue"
    )
    opened_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        "worst status", max_length=20, choices=HealthStatus.choices, help_text="Worst so far."
    )
    severity = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=16, choices=IssueState.choices, default=IssueState.OPEN)
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

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["state", "-severity", "opened_at"])]

    def __str__(self) -> str:
        return f"{self.connection}: {self.get_status_display()} since {self.opened_at:%Y-%m-%d}"

    @property
    def is_resolved(self) -> bool:
        return self.state == IssueState.RESOLVED

    @property
    def customer(self):
        return self.connection.customer


class IssueNoteQuerySet(TenantQuerySet):
    customer_path = "issue__connection__customer"


class IssueNote(models.Model):
    """A line support writes on an issue: what they tried, who they called."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = IssueNoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"note on issue {self.issue_id}"
