"""Every write of a connection's health goes through `record()`, in the spirit of Zulip's actions.

A sweep's batch, Check now, a webhook and the demo seed hand in observations; `record()` applies
each through the state machine (`health.state`) and, in one transaction, saves the health fields,
keeps each status call as a health check (and its failure in the error log, its Retry-After as a
backoff), writes a `ConnectionEvent` per change of status, opens, escalates and resolves issues,
opens and resolves notice episodes, and counts the checks into the rollups that strips and charts
draw (`monitoring.rollups`). A new writer cannot miss a step: there is no other path.

The query count is fixed however many observations a batch hands in: a sweep writes a thousand at
a time.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from connections.models import Connection
from health import state
from health.vocabulary import Outcome
from monitoring import incidents, issues, notifications, rollups
from monitoring.models import (
    ConnectionEvent,
    ErrorLog,
    HealthCheck,
    HealthCheckRow,
    PollSchedule,
)
from upstream.protocol import StatusResult

# What a write reads and moves of a connection, in the order of `TrackedConnection`'s fields.
CONNECTION_FIELDS = [
    "health_status",
    "status_changed_at",
    "last_checked_at",
    "last_success_at",
    "consecutive_failures",
]


@dataclass(slots=True)
class TrackedConnection:
    """A connection's health fields, loaded as a plain row under lock and moved in memory.

    A thousand model instances under lock cost a batch more than its query.
    """

    pk: int
    customer_id: int
    system: str
    health_status: str
    status_changed_at: datetime | None
    last_checked_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int


@dataclass(frozen=True, slots=True)
class Observation:
    """One thing seen of one connection's health.

    `result` is a status call's answer, kept as a health check (and in the error log when it
    failed); a webhook has none. `at` defaults to the moment of the write. With
    `unless_older`, an observation from before the connection's last change of status (a webhook
    delivered late) is not applied.
    """

    connection_id: int
    outcome: Outcome
    reason: str = ""
    request_id: str = ""
    at: datetime | None = None
    result: StatusResult | None = None
    unless_older: bool = False

    @classmethod
    def of_status_call(cls, connection_id: int, result: StatusResult) -> Observation:
        return cls(
            connection_id=connection_id,
            outcome=result.outcome,
            reason=state.reason_for(result.outcome, result.error_code, result.message),
            request_id=result.request_id,
            result=result,
        )


@dataclass(frozen=True)
class Recorded:
    """What a write did: checks written, status changes, and observations left out as stale."""

    checks: int = 0
    events: list[ConnectionEvent] = field(default_factory=list)
    stale: set[int] = field(default_factory=set)


def record(
    observations: Sequence[Observation],
    *,
    source: str,
    sweep_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Apply the observations, in order, and write everything they imply in one transaction.

    With a `sweep_id`, connections that already have their check for that sweep (a redelivered
    batch) are skipped.
    """
    if not observations:
        return Recorded()
    now = now or timezone.now()
    with transaction.atomic():
        # Row locks (PostgreSQL; SQLite serialises writers anyway) make a concurrent redelivery
        # wait, then find its checks written and skip them.
        wanted = {observation.connection_id for observation in observations}
        connections = {
            row[0]: TrackedConnection(*row)
            for row in Connection.objects.select_for_update()
            .filter(pk__any_of=wanted)
            .order_by("pk")
            .values_list("pk", "customer_id", "system", *CONNECTION_FIELDS)
        }
        if sweep_id is not None:
            for pk in HealthCheck.objects.written_in_sweep(sweep_id, wanted):
                del connections[pk]
        before = {pk: _health_fields(connection) for pk, connection in connections.items()}
        checks: list[HealthCheckRow] = []
        events: list[ConnectionEvent] = []
        errors: list[ErrorLog] = []
        backoffs: list[PollSchedule] = []
        stale: set[int] = set()
        failures: dict[int, issues.Failure] = {}  # by id() of the event, until it has a pk
        for observation in observations:
            connection = connections.get(observation.connection_id)
            if connection is None:
                continue
            at = observation.at or now
            if observation.unless_older and at < connection.status_changed_at:
                stale.add(connection.pk)
                continue
            transition = state.observe(
                connection,
                observation.outcome,
                at=at,
                reason=observation.reason,
                request_id=observation.request_id,
            )
            if transition.changed:
                events.append(_event(connection.pk, transition, source))
                code = observation.result.error_code if observation.result else ""
                failures[id(events[-1])] = issues.Failure(str(observation.outcome), code)
            result = observation.result
            if result is None:
                continue
            checks.append(_health_check(connection, result, sweep_id, source, at))
            if not result.ok:
                errors.append(_error_log(connection, result, source, at))
            if result.outcome == Outcome.RATE_LIMITED:
                until = at + timedelta(seconds=result.retry_after_seconds or 60)
                backoffs.append(
                    PollSchedule(connection_id=connection.pk, due_at=until, backoff_until=until)
                )
        HealthCheck.objects.insert_rows(checks)
        # One UPDATE per distinct set of new values: a sweep's observations share `now`, so a
        # batch of 500 needs a handful of statements where bulk_update builds a CASE per row.
        updates: dict[tuple, list[int]] = defaultdict(list)
        for pk, connection in connections.items():
            after = _health_fields(connection)
            changed = tuple(
                (name, value)
                for name, value, old in zip(CONNECTION_FIELDS, after, before[pk], strict=True)
                if value != old
            )
            if changed:
                updates[changed].append(pk)
        for changed, pks in updates.items():
            Connection.objects.filter(pk__any_of=pks).update(**dict(changed))
        ConnectionEvent.objects.bulk_create(events, batch_size=500)
        ErrorLog.objects.bulk_create(errors, batch_size=500)
        PollSchedule.objects.bulk_create(
            backoffs,
            update_conflicts=True,
            unique_fields=["connection"],
            update_fields=["due_at", "backoff_until"],
        )
        changes = issues.settle(connections, now=now)
        if events:
            by_pk = {event.pk: failures[id(event)] for event in events}
            changes += issues.record(events, by_pk, now=now)
            notifications.after_transitions(events)
        incidents.after_issue_changes(changes)
        # Last: the day's customer and system rows that concurrent batches share stay locked only
        # until the commit.
        rollups.add(checks, {pk: (c.customer_id, c.system) for pk, c in connections.items()})
    return Recorded(checks=len(checks), events=events, stale=stale)


def _health_fields(connection: TrackedConnection) -> tuple:
    return tuple(getattr(connection, name) for name in CONNECTION_FIELDS)


def _health_check(
    connection: TrackedConnection, result: StatusResult, sweep_id, source: str, at: datetime
) -> HealthCheckRow:
    return HealthCheckRow(
        connection_id=connection.pk,
        checked_at=at,
        sweep_id=sweep_id,
        source=str(source),
        outcome=str(result.outcome),
        status_after=str(connection.health_status),
        latency_ms=result.latency_ms,
        http_status=result.http_status,
        error_code=result.error_code,
        request_id=result.request_id,
    )


def _event(connection_id: int, transition: state.Transition, source: str) -> ConnectionEvent:
    return ConnectionEvent(
        connection_id=connection_id,
        created_at=transition.at,
        from_status=transition.before.status,
        to_status=transition.after.status,
        reason=transition.reason[:300],
        request_id=transition.request_id,
        source=source,
    )


def _error_log(
    connection: TrackedConnection, result: StatusResult, source: str, at: datetime
) -> ErrorLog:
    return ErrorLog(
        created_at=at,
        customer_id=connection.customer_id,
        connection_id=connection.pk,
        source=source,
        http_status=result.http_status,
        error_code=result.error_code,
        error_type=result.error_type,
        message=result.message or Outcome(result.outcome).label,
        request_id=result.request_id,
        raw_body=result.raw_body,
    )
