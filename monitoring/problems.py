"""The issues queue's problems: one per episode of the state machine's transitions.

The state machine (monitoring/state.py, applied by the poller and the webhook processor) records
every transition as a ConnectionEvent. An episode opens with the transition out of health and
ends with the transition back to healthy; `record()` applies new transitions to problems in the
same transaction. (Reading events after the fact by id would miss one committed late by a
concurrent batch: ids are handed out before commit, not in commit order.)
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from connections import audit
from connections.systems import HealthStatus
from monitoring.models import ConnectionEvent, Problem, ProblemNote, ProblemState

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


def record(events: list[ConnectionEvent]) -> None:
    """Turn newly written transitions into opened, escalated and resolved problems.

    Called by every writer of ConnectionEvents, inside the transaction that wrote them, so a
    problem exists exactly when its transition does. A fixed number of queries does it, however
    many connections of a sweep's batch changed at once.
    """
    if not events:
        return
    open_problems = {
        problem.connection_id: problem
        for problem in Problem.objects.filter(
            connection_id__any_of={event.connection_id for event in events}
        ).unresolved()
    }
    opened: list[Problem] = []
    changed: dict[int, Problem] = {}
    for event in sorted(events, key=lambda event: (event.created_at, event.pk)):
        problem = open_problems.get(event.connection_id)
        if event.to_status in UNHEALTHY:
            if problem is None:
                problem = Problem(
                    connection_id=event.connection_id,
                    opened_by=event,
                    opened_at=event.created_at,
                    status=event.to_status,
                    severity=SEVERITY[event.to_status],
                )
                open_problems[event.connection_id] = problem
                opened.append(problem)
            elif SEVERITY[event.to_status] > problem.severity:
                problem.status, problem.severity = event.to_status, SEVERITY[event.to_status]
        elif event.to_status == HealthStatus.HEALTHY and problem is not None:
            problem.state, problem.resolved_at, problem.resolved_by = (
                ProblemState.RESOLVED,
                event.created_at,
                event,
            )
            del open_problems[event.connection_id]
        else:
            continue
        if problem.pk is not None:
            changed[problem.pk] = problem
    Problem.objects.bulk_create(opened)
    Problem.objects.bulk_update(
        changed.values(), ["status", "severity", "state", "resolved_at", "resolved_by"]
    )


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
