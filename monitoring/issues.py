"""The issues queue: one issue per episode of a connection's ill health.

An episode opens with the transition out of health and ends with the transition back to healthy.
`record()` applies new transitions to issues; only `monitoring.transitions` calls it, inside the
transaction that wrote them. (Reading events after the fact by id would miss one committed late
by a concurrent batch: ids are handed out before commit, not in commit order.) Support works an
issue with the actions below.
"""

from __future__ import annotations

from django.utils import timezone

from connections import audit
from connections.actors import Actor
from health.vocabulary import SEVERITY, UNHEALTHY, HealthStatus
from monitoring.models import ConnectionEvent, Issue, IssueNote, IssueState


class IssueActionError(Exception):
    """An action on an issue that cannot be done; the message is shown as is."""


def record(events: list[ConnectionEvent]) -> None:
    """Turn newly written transitions into opened, escalated and resolved issues.

    A fixed number of queries does it, however many connections of a sweep's batch changed.
    """
    if not events:
        return
    open_issues = {
        issue.connection_id: issue
        for issue in Issue.objects.filter(
            connection_id__any_of={event.connection_id for event in events}
        ).unresolved()
    }
    opened: list[Issue] = []
    changed: dict[int, Issue] = {}
    for event in sorted(events, key=lambda event: (event.created_at, event.pk)):
        issue = open_issues.get(event.connection_id)
        if event.to_status in UNHEALTHY:
            if issue is None:
                issue = Issue(
                    connection_id=event.connection_id,
                    opened_by=event,
                    opened_at=event.created_at,
                    status=event.to_status,
                    severity=SEVERITY[event.to_status],
                )
                open_issues[event.connection_id] = issue
                opened.append(issue)
            elif SEVERITY[event.to_status] > issue.severity:
                issue.status, issue.severity = event.to_status, SEVERITY[event.to_status]
        elif event.to_status == HealthStatus.HEALTHY and issue is not None:
            issue.state, issue.resolved_at, issue.resolved_by = (
                IssueState.RESOLVED,
                event.created_at,
                event,
            )
            del open_issues[event.connection_id]
        else:
            continue
        if issue.pk is not None:
            changed[issue.pk] = issue
    Issue.objects.bulk_create(opened)
    Issue.objects.bulk_update(
        changed.values(), ["status", "severity", "state", "resolved_at", "resolved_by"]
    )


def acknowledge(issue: Issue, *, actor: Actor) -> Issue:
    if issue.state != IssueState.OPEN:
        raise IssueActionError(f"This issue is already {issue.get_state_display().lower()}.")
    before = issue.state
    issue.state, issue.acknowledged_at, issue.acknowledged_by = (
        IssueState.ACKNOWLEDGED,
        timezone.now(),
        actor.user,
    )
    issue.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
    _audit("issue.acknowledged", issue, actor, {"before": before, "after": issue.state})
    return issue


def assign(issue: Issue, *, assignee, actor: Actor) -> Issue:
    if issue.is_resolved:
        raise IssueActionError("This issue is resolved; there is nothing left to assign.")
    before = issue.assignee.get_username() if issue.assignee else None
    issue.assignee = assignee
    issue.save(update_fields=["assignee"])
    _audit("issue.assigned", issue, actor, {"before": before, "after": str(assignee)})
    return issue


def add_note(issue: Issue, *, body: str, actor: Actor) -> IssueNote:
    body = body.strip()
    if not body:
        raise IssueActionError("Write something in the note first.")
    note = IssueNote.objects.create(issue=issue, author=actor.user, body=body[:2000])
    _audit("issue.noted", issue, actor, {"note_id": note.pk, "length": len(body)})
    return note


def _audit(action: str, issue: Issue, actor: Actor, changes: dict) -> None:
    audit.record(action, issue, actor=actor, customer=issue.connection.customer, changes=changes)
