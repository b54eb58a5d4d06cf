"""The issues queue's problems: one per episode, read from the state machine's ConnectionEvents.

The state machine (monitoring/state.py, written by the poller and the webhook processor) records
every transition as a ConnectionEvent. An episode opens with the transition out of health and
ends with the transition back to healthy; `sync()` turns the events written since its last run
into opened, escalated and resolved problems. It runs before any page shows problems, so the
queue is current without the poller knowing problems exist, and a fixed handful of queries
does it however many events are new.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from connections import audit
from connections.systems import HealthStatus
from monitoring.models import ConnectionEvent, EpisodeCursor, Problem, ProblemNote, ProblemState

CURSOR = "problems"
# Worst first: what the queue sorts by and the uptime strip colours by.
SEVERITY = {
    HealthStatus.HEALTHY: 0,
    HealthStatus.UNKNOWN: 0,
    HealthStatus.DEGRADED: 1,
    HealthStatus.REAUTH_REQUIRED: 2,
    HealthStatus.DISCONNECTED: 3,
    HealthStatus.ERROR: 4,
}
UNHEALTHY = frozenset(status for status, rank in SEVERITY.items() if rank > 0)


def severity_rank(field: str) -> Case:
    """SEVERITY as a database expression over a status column, to sort or take the worst."""
    return Case(
        *[When(**{field: status}, then=Value(rank)) for status, rank in SEVERITY.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


class ProblemActionError(Exception):
    """An action on a problem that cannot be done; the message is shown as is."""


def sync(batch: int = 5000) -> int:
    """Apply the ConnectionEvents written since the last run; returns how many were read."""
    # Two cheap reads when nothing is new (most page views); the lock only when there is work.
    seen = EpisodeCursor.objects.filter(name=CURSOR).values_list("last_event_id", flat=True)
    if not ConnectionEvent.objects.filter(pk__gt=next(iter(seen), 0)).exists():
        return 0
    with transaction.atomic():
        EpisodeCursor.objects.get_or_create(name=CURSOR)
        cursor = EpisodeCursor.objects.select_for_update().get(name=CURSOR)
        events = list(
            ConnectionEvent.objects.filter(pk__gt=cursor.last_event_id).order_by("pk")[:batch]
        )
        if not events:
            return 0
        open_problems = {
            problem.connection_id: problem
            for problem in Problem.objects.filter(
                connection_id__in={event.connection_id for event in events}
            ).unresolved()
        }
        for event in events:
            apply_event(event, open_problems)
        cursor.last_event_id = events[-1].pk
        cursor.save(update_fields=["last_event_id"])
    return len(events)


def apply_event(event: ConnectionEvent, open_problems: dict[int, Problem]) -> None:
    """One transition: open a problem, escalate the open one, or resolve it."""
    problem = open_problems.get(event.connection_id)
    if event.to_status in UNHEALTHY:
        if problem is None:
            open_problems[event.connection_id] = Problem.objects.create(
                connection_id=event.connection_id,
                opened_by=event,
                opened_at=event.created_at,
                status=event.to_status,
                severity=SEVERITY[event.to_status],
            )
        elif SEVERITY[event.to_status] > problem.severity:
            problem.status, problem.severity = event.to_status, SEVERITY[event.to_status]
            problem.save(update_fields=["status", "severity"])
    elif event.to_status == HealthStatus.HEALTHY and problem is not None:
        problem.state, problem.resolved_at, problem.resolved_by = (
            ProblemState.RESOLVED,
            event.created_at,
            event,
        )
        problem.save(update_fields=["state", "resolved_at", "resolved_by"])
        del open_problems[event.connection_id]


def acknowledge(problem: Problem, *, actor, request) -> Problem:
    if problem.state != ProblemState.OPEN:
        raise ProblemActionError(f"This problem is already {problem.get_state_display().lower()}.")
    before = problem.state
    problem.state, problem.acknowledged_at, problem.acknowledged_by = (
        ProblemState.ACKNOWLEDGED,
        timezone.now(),
        actor,
    )
    problem.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
    _audit("problem.acknowledged", problem, request, {"before": before, "after": problem.state})
    return problem


def assign(problem: Problem, *, assignee, request) -> Problem:
    if problem.is_resolved:
        raise ProblemActionError("This problem is resolved; there is nothing left to assign.")
    before = problem.assignee.get_username() if problem.assignee else None
    problem.assignee = assignee
    problem.save(update_fields=["assignee"])
    _audit("problem.assigned", problem, request, {"before": before, "after": str(assignee)})
    return problem


def add_note(problem: Problem, *, author, body: str, request) -> ProblemNote:
    body = body.strip()
    if not body:
        raise ProblemActionError("Write something in the note first.")
    note = ProblemNote.objects.create(problem=problem, author=author, body=body[:2000])
    _audit("problem.noted", problem, request, {"note_id": note.pk, "length": len(body)})
    return note


def _audit(action: str, problem: Problem, request, changes: dict) -> None:
    audit.record(
        action,
        problem,
        request=request,
        customer=problem.connection.customer,
        changes=changes,
    )
