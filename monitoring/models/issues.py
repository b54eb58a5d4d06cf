"""The issues queue: one issue per episode of a connection's ill health, support's notes, what
happened to each issue (its events), and incidents that group many issues of one cause."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from connections.models import Connection, Customer
from connections.systems import System
from connections.tenancy import TenantQuerySet
from health.vocabulary import HealthStatus, Outcome
from monitoring.models.history import ConnectionEvent


class IssueState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class StaffOnlyQuerySet(TenantQuerySet):
    """Rows that span customers (an incident over one system): platform staff only."""

    def visible_to(self, user) -> StaffOnlyQuerySet:
        if getattr(user, "is_authenticated", False) and user.is_platform_staff:
            return self
        return self.none()


class IncidentQuerySet(StaffOnlyQuerySet):
    def unresolved(self) -> IncidentQuerySet:
        return self.exclude(state=IssueState.RESOLVED)

    def for_banner(self) -> IncidentQuerySet:
        """Open incidents, newest first, with what their one-line summary needs."""
        return (
            self.unresolved()
            .select_related("customer", "assignee")
            .annotate(
                member_count=models.Count(
                    "issues", filter=~Q(issues__state=IssueState.RESOLVED), distinct=True
                )
            )
            .order_by("-started_at")
        )


class Incident(models.Model):
    """Many connections of one system, or of one customer, failing the same way at once.

    Opened by `monitoring.incidents.detect` when thresholds in settings are crossed; support
    acknowledges and assigns it as one; it resolves when its last member issue resolves.
    """

    class Scope(models.TextChoices):
        SYSTEM = "system", "System"
        CUSTOMER = "customer", "Customer"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    system = models.CharField(max_length=32, choices=System.choices, blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="incidents"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    error_code = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=IssueState.choices, default=IssueState.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["state", "scope", "system", "outcome"])]

    def __str__(self) -> str:
        return f"{self.subject}: {self.cause} since {self.started_at:%Y-%m-%d %H:%M} UTC"

    @property
    def subject(self) -> str:
        """What fails: a system ("SAP S/4HANA") or a customer ("Acme Manufacturing")."""
        if self.scope == self.Scope.SYSTEM:
            return self.get_system_display()
        return self.customer.name if self.customer else "A customer"

    @property
    def cause(self) -> str:
        return self.error_code or Outcome(self.outcome).label

    @property
    def is_resolved(self) -> bool:
        return self.state == IssueState.RESOLVED


class IssueQuerySet(TenantQuerySet):
    customer_path = "connection__customer"

    def unresolved(self) -> IssueQuerySet:
        return self.exclude(state=IssueState.RESOLVED)

    def muted(self, now) -> IssueQuerySet:
        return self.unresolved().filter(muted_until__gt=now)

    def not_muted(self, now) -> IssueQuerySet:
        return self.filter(Q(muted_until__isnull=True) | Q(muted_until__lte=now))

    def for_queue(self) -> IssueQuerySet:
        """What the issues queue shows per row, fetched with the row.

        The note count is a subquery, not a join and GROUP BY: PostgreSQL then counts notes for
        the page's 50 rows only, and the queue's COUNT(*) needs no join at all.
        """
        notes = (
            IssueNote.objects.filter(issue=OuterRef("pk"))
            .order_by()
            .values("issue")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.select_related("connection__customer", "assignee", "incident").annotate(
            note_count=Coalesce(Subquery(notes), 0)
        )

    def current_for(self, connection) -> Issue | None:
        return self.filter(connection=connection).unresolved().order_by("-opened_at").first()


class Issue(models.Model):
    """One episode of one connection: opened by the transition out of health, resolved once the
    connection has stayed healthy ISSUE_RESOLVE_AFTER_MINUTES (flap damping); a relapse within
    ISSUE_REOPEN_WINDOW_MINUTES of resolving reopens it rather than opening another.

    The rules live in monitoring/issues.py, applied by monitoring/transitions.py with the
    ConnectionEvents each write makes; support works the episode (acknowledge, assign, notes,
    mute, resolve by hand).
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
    outcome = models.CharField(
        max_length=20, choices=Outcome.choices, blank=True, help_text="The latest failure seen."
    )
    error_code = models.CharField(max_length=64, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="Start of the current run of failure (opened or reopened)."
    )
    recovered_at = models.DateTimeField(
        null=True, blank=True, help_text="Healthy since; resolves once that has lasted long enough."
    )
    state = models.CharField(max_length=16, choices=IssueState.choices, default=IssueState.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    muted_until = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        ConnectionEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(max_length=2000, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["state", "-severity", "opened_at"]),
            models.Index(
                fields=["connection"],
                condition=Q(recovered_at__isnull=False),
                name="issue_recovering",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection}: {self.get_status_display()} since {self.opened_at:%Y-%m-%d}"

    @property
    def is_resolved(self) -> bool:
        return self.state == IssueState.RESOLVED

    @property
    def customer(self):
        return self.connection.customer

    def is_muted(self, now=None) -> bool:
        return self.muted_until is not None and self.muted_until > (now or timezone.now())


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


class IssueEventQuerySet(TenantQuerySet):
    customer_path = "issue__connection__customer"


class IssueEvent(models.Model):
    """Something that happened to an issue: the history on its page, and what customers'
    webhooks hear (opened, reopened, resolved, muted)."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        REOPENED = "reopened", "Reopened"
        RECOVERING = "recovering", "Connection recovered, resolving when it stays healthy"
        RESOLVED = "resolved", "Resolved"
        MUTED = "muted", "Muted"
        UNMUTED = "unmuted", "Unmuted"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ASSIGNED = "assigned", "Assigned"
        UNASSIGNED = "unassigned", "Unassigned"
        JOINED_INCIDENT = "joined_incident", "Joined an incident"

    # The kinds customers' webhooks receive, as `issue.<kind>`.
    ANNOUNCED = (Kind.OPENED, Kind.REOPENED, Kind.RESOLVED, Kind.MUTED)

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)

    objects = IssueEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["issue", "created_at"])]

    def __str__(self) -> str:
        return f"issue {self.issue_id} {self.kind}"
