"""The issues queue's rules: one issue per episode of a connection's ill health.

An episode opens with the transition out of health. The transition back to healthy does not
end it at once: the issue resolves itself only once the connection has stayed healthy for
ISSUE_RESOLVE_AFTER_MINUTES (flap damping, `settle()`), and a relapse within
ISSUE_REOPEN_WINDOW_MINUTES of resolving reopens the same issue instead of opening another.

`record()` and `settle()` are called only by `monitoring.transitions`, inside the transaction
that wrote the transitions, in a fixed number of queries per batch. (Reading events after the
fact by id would miss one committed late by a concurrent batch: ids are handed out before
commit, not in commit order.) Support works an issue with the actions below; each writes an
`IssueEvent`, and the kinds customers hear of (opened, reopened, resolved, muted) go out as
their signed webhooks (`notifications.announce_issue_events`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connections import audit
from connections.actors import Actor
from health.vocabulary import SEVERITY, UNHEALTHY, HealthStatus
from monitoring import notifications
from monitoring.models import ConnectionEvent, Issue, IssueEvent, IssueNote, IssueState

MAX_MUTE = timedelta(days=90)


class IssueActionError(Exception):
    """An action on an issue that cannot be done; the message is shown as is."""


@dataclass(frozen=True, slots=True)
class Failure:
    """What a failing observation saw, kept on the issue for its playbook and incidents."""

    outcome: str
    error_code: str = ""


@dataclass
class Changes:
    """What a write did to issues: which now fail (opened, reopened, failing anew) and which
    resolved, for incident detection; and the events written."""

    failing: list[Issue] = field(default_factory=list)
    resolved: list[Issue] = field(default_factory=list)
    events: list[IssueEvent] = field(default_factory=list)

    def __iadd__(self, other: Changes) -> Changes:
        self.failing += other.failing
        self.resolved += other.resolved
        self.events += other.events
        return self


def resolve_after() -> timedelta:
    return timedelta(minutes=settings.ISSUE_RESOLVE_AFTER_MINUTES)


def reopen_window() -> timedelta:
    return timedelta(minutes=settings.ISSUE_REOPEN_WINDOW_MINUTES)


def record(
    events: list[ConnectionEvent],
    failures: Mapping[int, Failure] | None = None,
    *,
    now: datetime | None = None,
) -> Changes:
    """Turn newly written transitions into opened, reopened, escalated, recovering and resolved
    issues. `failures` maps an event's pk to what the observation behind it saw.

    Three queries however many connections of a sweep's batch changed (plus the inserts).
    """
    changes = Changes()
    if not events:
        return changes
    failures = failures or {}
    now = now or timezone.now()
    damping = resolve_after()
    ids = {event.connection_id for event in events}
    earliest = min(event.created_at for event in events)
    live: dict[int, Issue] = {}
    reopenable: dict[int, Issue] = {}
    candidates = Issue.objects.filter(connection_id__any_of=ids).filter(
        ~Q(state=IssueState.RESOLVED) | Q(resolved_at__gte=earliest - reopen_window())
    )
    for issue in candidates.order_by("resolved_at", "opened_at"):
        if issue.is_resolved:
            reopenable[issue.connection_id] = issue  # the latest resolved wins
        else:
            live[issue.connection_id] = issue
    opened: list[Issue] = []
    changed: dict[int, Issue] = {}
    pending_events: list[tuple[Issue, str, datetime, str]] = []
    for event in sorted(events, key=lambda event: (event.created_at, event.pk or 0)):
        issue = live.get(event.connection_id)
        at = event.created_at
        failure = failures.get(event.pk)
        if event.to_status in UNHEALTHY:
            if issue is None:
                previous = reopenable.pop(event.connection_id, None)
                if previous is not None and at - previous.resolved_at <= reopen_window():
                    issue = _reopen(previous, event)
                    pending_events.append((issue, IssueEvent.Kind.REOPENED, at, event.reason))
                else:
                    issue = Issue(
                        connection_id=event.connection_id,
                        opened_by=event,
                        opened_at=at,
                        failing_since=at,
                        status=event.to_status,
                        severity=SEVERITY[event.to_status],
                    )
                    opened.append(issue)
                    pending_events.append((issue, IssueEvent.Kind.OPENED, at, event.reason))
                live[event.connection_id] = issue
                changes.failing.append(issue)
            else:
                if issue.recovered_at is not None:  # a flap: it relapsed before resolving
                    issue.recovered_at = None
                if SEVERITY[event.to_status] > issue.severity:
                    issue.status, issue.severity = event.to_status, SEVERITY[event.to_status]
            if failure is not None:
                if failure.outcome != issue.outcome and issue not in changes.failing:
                    changes.failing.append(issue)
                issue.outcome, issue.error_code = failure.outcome, failure.error_code
        elif event.to_status == HealthStatus.HEALTHY and issue is not None:
            if damping:
                issue.recovered_at = issue.recovered_at or at
                pending_events.append((issue, IssueEvent.Kind.RECOVERING, at, event.reason))
            else:
                _resolve(issue, at, event=event)
                del live[event.connection_id]
                changes.resolved.append(issue)
                pending_events.append((issue, IssueEvent.Kind.RESOLVED, at, event.reason))
        else:
            continue
        if issue.pk is not None:
            changed[issue.pk] = issue
    Issue.objects.bulk_create(opened)
    Issue.objects.bulk_update(changed.values(), CHANGING_FIELDS)
    changes.events = _write_events(pending_events)
    return changes


CHANGING_FIELDS = [
    "status",
    "severity",
    "state",
    "outcome",
    "error_code",
    "failing_since",
    "recovered_at",
    "resolved_at",
    "resolved_by",
    "resolved_by_user",
    "resolution_note",
    "reopened_at",
    "reopen_count",
]


def settle(connection_ids: Iterable[int], *, now: datetime | None = None) -> Changes:
    """Resolve the issues of these connections that have stayed healthy long enough.

    The caller holds the connections' row locks, so two batches never settle one issue twice.
    Two queries when nothing is ripe is one.
    """
    now = now or timezone.now()
    ripe = list(
        Issue.objects.filter(connection_id__any_of=list(connection_ids))
        .filter(recovered_at__isnull=False, recovered_at__lte=now - resolve_after())
        .unresolved()
    )
    changes = Changes()
    if not ripe:
        return changes
    minutes = settings.ISSUE_RESOLVE_AFTER_MINUTES
    for issue in ripe:
        _resolve(issue, now)
    Issue.objects.bulk_update(ripe, CHANGING_FIELDS)
    changes.resolved = ripe
    changes.events = _write_events(
        [(issue, IssueEvent.Kind.RESOLVED, now, f"Healthy for {minutes} minutes") for issue in ripe]
    )
    return changes


def _reopen(issue: Issue, event: ConnectionEvent) -> Issue:
    issue.state = IssueState.OPEN
    issue.resolved_at = issue.resolved_by = issue.resolved_by_user = None
    issue.resolution_note = ""
    issue.reopened_at = issue.failing_since = event.created_at
    issue.reopen_count += 1
    issue.recovered_at = None
    issue.status, issue.severity = event.to_status, SEVERITY[event.to_status]
    return issue


def _resolve(issue: Issue, at: datetime, *, event=None, user=None, note: str = "") -> None:
    issue.state, issue.resolved_at = IssueState.RESOLVED, at
    issue.resolved_by, issue.resolved_by_user, issue.resolution_note = event, user, note
    issue.recovered_at = None


def _write_events(pending: list[tuple[Issue, str, datetime, str]], actor=None) -> list[IssueEvent]:
    """Write the issue events and queue the webhooks of the kinds customers hear of."""
    written = IssueEvent.objects.bulk_create(
        IssueEvent(issue=issue, kind=kind, created_at=at, detail=detail[:300], actor=actor)
        for issue, kind, at, detail in pending
    )
    notifications.announce_issue_events([e for e in written if e.kind in IssueEvent.ANNOUNCED])
    return written


# Support's actions. Each takes the Actor, writes an IssueEvent and an audit event.


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
    _done(issue, IssueEvent.Kind.ACKNOWLEDGED, actor, {"before": before, "after": issue.state})
    return issue


def assign(issue: Issue, *, assignee, actor: Actor) -> Issue:
    if issue.is_resolved:
        raise IssueActionError("This issue is resolved; there is nothing left to assign.")
    before = issue.assignee.get_username() if issue.assignee else None
    issue.assignee = assignee
    issue.save(update_fields=["assignee"])
    kind = IssueEvent.Kind.ASSIGNED if assignee else IssueEvent.Kind.UNASSIGNED
    after = assignee.get_username() if assignee else None
    _done(issue, kind, actor, {"before": before, "after": after}, detail=after or "")
    return issue


def unassign(issue: Issue, *, actor: Actor) -> Issue:
    if issue.assignee_id is None:
        raise IssueActionError("Nobody is assigned to this issue.")
    return assign(issue, assignee=None, actor=actor)


def mute(issue: Issue, *, until: datetime, actor: Actor) -> Issue:
    """Hide the issue from the queue until `until` (support's snooze); it comes back by itself."""
    now = timezone.now()
    if issue.is_resolved:
        raise IssueActionError("This issue is resolved; there is nothing to mute.")
    if until <= now:
        raise IssueActionError("Choose a time in the future to mute until.")
    if until - now > MAX_MUTE:
        raise IssueActionError("An issue can be muted for at most 90 days.")
    before = issue.muted_until.isoformat() if issue.muted_until else None
    issue.muted_until = until
    issue.save(update_fields=["muted_until"])
    _done(issue, IssueEvent.Kind.MUTED, actor, {"before": before, "after": until.isoformat()},
          detail=f"until {until.isoformat()}")  # fmt: skip
    return issue


def unmute(issue: Issue, *, actor: Actor) -> Issue:
    if not issue.is_muted():
        raise IssueActionError("This issue is not muted.")
    before = issue.muted_until.isoformat()
    issue.muted_until = None
    issue.save(update_fields=["muted_until"])
    _done(issue, IssueEvent.Kind.UNMUTED, actor, {"before": before, "after": None})
    return issue


def resolve(issue: Issue, *, note: str, actor: Actor) -> Issue:
    """Resolve by hand, with a note saying why (the connection may still be failing)."""
    note = note.strip()
    if not note:
        raise IssueActionError("Say in a note why you resolve this issue by hand.")
    with transaction.atomic():
        issue = (
            Issue.objects.select_for_update()
            .select_related("connection__customer")
            .get(pk=issue.pk)
        )
        if issue.is_resolved:
            raise IssueActionError("This issue is already resolved.")
        _resolve(issue, timezone.now(), user=actor.user, note=note[:2000])
        issue.save(update_fields=CHANGING_FIELDS)
        _done(issue, IssueEvent.Kind.RESOLVED, actor, {"after": "resolved", "note": note[:200]},
              detail=note)  # fmt: skip
        from monitoring import incidents

        incidents.after_issue_changes(Changes(resolved=[issue]))
    return issue


def add_note(issue: Issue, *, body: str, actor: Actor) -> IssueNote:
    body = body.strip()
    if not body:
        raise IssueActionError("Write something in the note first.")
    note = IssueNote.objects.create(issue=issue, author=actor.user, body=body[:2000])
    _audit("issue.noted", issue, actor, {"note_id": note.pk, "length": len(body)})
    return note


@dataclass
class BulkResult:
    done: int = 0
    skipped: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        text = f"{self.done} issue{'s' if self.done != 1 else ''} updated."
        if self.skipped:
            text += f" {len(self.skipped)} left as they were: " + "; ".join(self.skipped[:5])
        return text


def bulk(issues: Iterable[Issue], action: str, *, actor: Actor, until=None) -> BulkResult:
    """Acknowledge, assign to the actor, or mute many issues; each as its own action."""
    result = BulkResult()
    for issue in issues:
        try:
            if action == "acknowledge":
                acknowledge(issue, actor=actor)
            elif action == "assign":
                assign(issue, assignee=actor.user, actor=actor)
            elif action == "mute":
                mute(issue, until=until, actor=actor)
            else:
                raise IssueActionError(f"Unknown action {action!r}.")
        except IssueActionError as error:
            result.skipped.append(f"{issue.connection.display_name}: {error}")
        else:
            result.done += 1
    return result


def _done(issue: Issue, kind: str, actor: Actor, changes: dict, detail: str = "") -> None:
    _write_events([(issue, kind, timezone.now(), detail)], actor=actor.user)
    _audit(f"issue.{kind}", issue, actor, changes)


def _audit(action: str, issue: Issue, actor: Actor, changes: dict) -> None:
    audit.record(action, issue, actor=actor, customer=issue.connection.customer, changes=changes)
