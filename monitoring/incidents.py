"""Incidents: many connections of one system, or of one customer, failing the same way at once.

When at least INCIDENT_MIN_CONNECTIONS connections of one system (or of one customer), and at
least INCIDENT_MIN_PERCENT of all of that system's (customer's) connections, started failing
with the same outcome within INCIDENT_WINDOW_MINUTES, their issues become one incident. Issues
failing the same way later join it while it is open; it resolves when its last member does.

Called by `monitoring.issues` (through `monitoring.transitions`), inside the write's
transaction, in a fixed number of queries per batch whatever its size.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from connections import audit
from connections.actors import Actor
from connections.models import Connection
from monitoring.models import Incident, Issue, IssueEvent, IssueState

Scope = Incident.Scope


def window() -> timedelta:
    return timedelta(minutes=settings.INCIDENT_WINDOW_MINUTES)


def after_issue_changes(changes) -> None:
    """Group newly failing issues into incidents, and resolve incidents whose members are done."""
    if changes.failing:
        detect(changes.failing)
    if changes.resolved:
        resolve_finished({issue.incident_id for issue in changes.resolved} - {None})


def detect(failing: list[Issue]) -> list[Incident]:
    """Join failing issues to open incidents of their kind, or open incidents where the
    thresholds are crossed. Returns the incidents opened."""
    failing = [issue for issue in failing if issue.outcome and issue.pk is not None]
    if not failing:
        return []
    moment = max(issue.failing_since or issue.opened_at for issue in failing)
    where: dict[int, str] = {}
    customer_of: dict[int, int] = {}
    for pk, system, customer_id in (
        Connection.objects.filter(pk__any_of={issue.connection_id for issue in failing})
        .order_by()
        .values_list("pk", "system", "customer_id")
    ):
        where[pk], customer_of[pk] = system, customer_id
    systems = set(where.values())
    customers = set(customer_of.values())
    outcomes = {issue.outcome for issue in failing}
    # Every issue of these systems or customers that started failing within the window.
    recent = list(
        Issue.objects.unresolved()
        .filter(failing_since__gte=moment - window(), failing_since__lte=moment)
        .filter(outcome__in=outcomes)
        .filter(Q(connection__system__in=systems) | Q(connection__customer_id__in=customers))
        .values_list(
            "pk", "connection__system", "connection__customer_id", "outcome", "error_code",
            "failing_since", "incident_id",
        )
    )  # fmt: skip
    open_incidents = {
        _key(incident): incident
        for incident in Incident.objects.unresolved().filter(outcome__in=outcomes)
        .filter(
            Q(scope=Scope.SYSTEM, system__in=systems)
            | Q(scope=Scope.CUSTOMER, customer_id__in=customers)
        )
    }  # fmt: skip
    by_key: dict[tuple, list[tuple]] = defaultdict(list)
    for row in recent:
        by_key[(Scope.SYSTEM, row[1], row[3])].append(row)
        by_key[(Scope.CUSTOMER, row[2], row[3])].append(row)
    needed = [key for key, rows in by_key.items() if key not in open_incidents]
    totals = _totals(needed)
    # An issue belongs to one incident: one already open, else the first new one that claims
    # it (systems before customers), so a customer's share of a system outage is no second one.
    claimed = {row[0] for row in recent if row[6] is not None}
    for row in recent:
        if row[6] is None and any(key in open_incidents for key in _keys_of(row)):
            claimed.add(row[0])
    opened: list[Incident] = []
    for key in sorted(needed, key=lambda key: key[0] != Scope.SYSTEM):  # systems first
        rows = [row for row in by_key[key] if row[0] not in claimed]
        total = totals.get(key[:2], 0)
        if len(rows) < settings.INCIDENT_MIN_CONNECTIONS or not total:
            continue
        if 100 * len(rows) < settings.INCIDENT_MIN_PERCENT * total:
            continue
        scope, owner, outcome = key
        codes = Counter(row[4] for row in rows if row[4])
        incident = Incident(
            scope=scope,
            system=owner if scope == Scope.SYSTEM else "",
            customer_id=owner if scope == Scope.CUSTOMER else None,
            outcome=outcome,
            error_code=codes.most_common(1)[0][0] if codes else "",
            started_at=min(row[5] for row in rows),
        )
        open_incidents[key] = incident
        opened.append(incident)
        claimed.update(row[0] for row in rows)
    Incident.objects.bulk_create(opened)
    joining: dict[int, Incident] = {}
    for row in recent:
        if row[6] is not None:
            continue
        for key in _keys_of(row):
            if key in open_incidents:
                joining[row[0]] = open_incidents[key]
                break
    # Failing issues outside the window still join an open incident of their kind.
    for issue in failing:
        if issue.incident_id is None and issue.pk not in joining:
            for key in (
                (Scope.SYSTEM, where[issue.connection_id], issue.outcome),
                (Scope.CUSTOMER, customer_of[issue.connection_id], issue.outcome),
            ):
                if key in open_incidents:
                    joining[issue.pk] = open_incidents[key]
                    break
    if joining:
        members = [Issue(pk=pk, incident=incident) for pk, incident in joining.items()]
        Issue.objects.bulk_update(members, ["incident"])
        for issue in failing:
            if issue.pk in joining:
                issue.incident = joining[issue.pk]
        IssueEvent.objects.bulk_create(
            IssueEvent(
                issue_id=pk,
                kind=IssueEvent.Kind.JOINED_INCIDENT,
                created_at=moment,
                detail=str(incident)[:300],
            )
            for pk, incident in joining.items()
        )
    return opened


def _keys_of(row: tuple) -> tuple[tuple, tuple]:
    """The (scope, owner, outcome) keys a recent row counts towards: system's, customer's."""
    return (Scope.SYSTEM, row[1], row[3]), (Scope.CUSTOMER, row[2], row[3])


def _key(incident: Incident) -> tuple:
    owner = incident.system if incident.scope == Scope.SYSTEM else incident.customer_id
    return (incident.scope, owner, incident.outcome)


def _totals(keys: list[tuple]) -> dict[tuple, int]:
    """How many connections each system and customer has: two grouped queries at most."""
    systems = {owner for scope, owner, _ in keys if scope == Scope.SYSTEM}
    customers = {owner for scope, owner, _ in keys if scope == Scope.CUSTOMER}
    totals: dict[tuple, int] = {}
    if systems:
        for system, count in (
            Connection.objects.filter(system__in=systems)
            .order_by()
            .values_list("system")
            .annotate(n=Count("pk"))
        ):
            totals[(Scope.SYSTEM, system)] = count
    if customers:
        for customer_id, count in (
            Connection.objects.filter(customer_id__in=customers)
            .order_by()
            .values_list("customer_id")
            .annotate(n=Count("pk"))
        ):
            totals[(Scope.CUSTOMER, customer_id)] = count
    return totals


def resolve_finished(incident_ids: set[int]) -> int:
    """Resolve the incidents among these whose every member issue has resolved."""
    if not incident_ids:
        return 0
    live_member = Issue.objects.filter(incident=OuterRef("pk")).unresolved()
    return (
        Incident.objects.filter(pk__in=incident_ids)
        .unresolved()
        .exclude(Exists(live_member))
        .update(state=IssueState.RESOLVED, resolved_at=timezone.now())
    )


class IncidentActionError(Exception):
    """An action on an incident that cannot be done; the message is shown as is."""


def acknowledge(incident: Incident, *, actor: Actor) -> int:
    """Acknowledge the incident and every open member issue, as one."""
    from monitoring import issues

    if incident.state != IssueState.OPEN:
        raise IncidentActionError(
            f"This incident is already {incident.get_state_display().lower()}."
        )
    incident.state, incident.acknowledged_at, incident.acknowledged_by = (
        IssueState.ACKNOWLEDGED,
        timezone.now(),
        actor.user,
    )
    incident.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
    members = list(
        incident.issues.filter(state=IssueState.OPEN).select_related("connection__customer")
    )
    for issue in members:
        issues.acknowledge(issue, actor=actor)
    _audit("incident.acknowledged", incident, actor, {"issues": len(members)})
    return len(members)


def assign(incident: Incident, *, assignee, actor: Actor) -> int:
    """Assign the incident and every unresolved member issue to `assignee`, as one."""
    from monitoring import issues

    if incident.is_resolved:
        raise IncidentActionError("This incident is resolved; there is nothing left to assign.")
    incident.assignee = assignee
    incident.save(update_fields=["assignee"])
    members = list(incident.issues.unresolved().select_related("connection__customer"))
    for issue in members:
        if issue.assignee_id != getattr(assignee, "pk", None):
            issues.assign(issue, assignee=assignee, actor=actor)
    after = assignee.get_username() if assignee else None
    _audit("incident.assigned", incident, actor, {"after": after, "issues": len(members)})
    return len(members)


def _audit(action: str, incident: Incident, actor: Actor, changes: dict) -> None:
    audit.record(action, incident, actor=actor, customer=incident.customer, changes=changes)
