"""The poller: plan a sweep of due connections, poll a batch concurrently, write it in bulk.

A sweep takes a lease (SweepLock) so sweeps never overlap; planning moves every planned
connection's `due_at` one interval ahead, so none is polled twice in an interval; a batch writes
in one transaction under row locks and skips connections it already wrote for its sweep, so a
redelivered batch changes nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import uvloop
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from connections.models import ApiToken, CallToken, Connection
from monitoring import client, notifications, problems, state
from monitoring.client import StatusResult
from monitoring.models import (
    ConnectionEvent,
    ErrorLog,
    HealthCheck,
    HealthCheckRow,
    PollSchedule,
    Source,
    Sweep,
    SweepLock,
)
from monitoring.state import Outcome
from monitoring.transport import AiohttpTransport

logger = logging.getLogger(__name__)
T = TypeVar("T")

SWEEP_LOCK = "poll-sweep"
# Beat fires every interval, not to the microsecond: a connection planned a hair under one
# interval ago is due again rather than skipped for a whole interval.
DUE_SLACK = timedelta(seconds=2)
CONNECTION_FIELDS = [
    "health_status",
    "status_changed_at",
    "last_checked_at",
    "last_success_at",
    "consecutive_failures",
]


@dataclass(slots=True)
class PolledConnection:
    """What a batch's write reads and moves of a connection (CONNECTION_FIELDS, in order).

    Loaded as plain rows: a thousand model instances under lock cost more than the query.
    """

    pk: int
    customer_id: int
    health_status: str
    status_changed_at: datetime | None
    last_checked_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int


@dataclass(frozen=True)
class SweepPlan:
    sweep_id: uuid.UUID
    batches: list[list[int]]


def interval() -> timedelta:
    return timedelta(seconds=settings.POLL_INTERVAL_SECONDS)


def sweep_lease() -> timedelta:
    """Long enough for a slow sweep to finish, short enough that a crashed one frees the lock."""
    return max(interval() * 5, timedelta(minutes=5))


def acquire_lock(name: str, holder: str, *, now: datetime, lease: timedelta) -> bool:
    """Take the named lease if it is free or expired: one conditional UPDATE, atomic anywhere."""
    # Make sure the row exists; if another planner creates it at the same moment, the UPDATE
    # below still lets only one of them through.
    SweepLock.objects.bulk_create([SweepLock(name=name, expires_at=now)], ignore_conflicts=True)
    taken = SweepLock.objects.filter(name=name, expires_at__lte=now).update(
        holder=holder, expires_at=now + lease
    )
    return taken == 1


def release_lock(name: str, holder: str) -> None:
    SweepLock.objects.filter(name=name, holder=holder).update(expires_at=timezone.now())


def due_connection_ids(now: datetime) -> list[int]:
    return list(
        Connection.objects.filter(Q(poll_schedule__isnull=True) | Q(poll_schedule__due_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def plan_sweep(*, batch_size: int | None = None, now: datetime | None = None) -> SweepPlan | None:
    """Claim every due connection for a new sweep; None when a sweep is still running."""
    now = now or timezone.now()
    batch_size = max(1, batch_size or settings.POLL_BATCH_SIZE)
    sweep_id = uuid.uuid4()
    if not acquire_lock(SWEEP_LOCK, str(sweep_id), now=now, lease=sweep_lease()):
        return None
    with transaction.atomic():
        ids = due_connection_ids(now)
        PollSchedule.objects.schedule(ids, due_at=now + interval() - DUE_SLACK, sweep_id=sweep_id)
        batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
        Sweep.objects.create(
            id=sweep_id, planned_at=now, connection_count=len(ids), batch_count=len(batches)
        )
    if not batches:
        finish_sweep(sweep_id)
    return SweepPlan(sweep_id, batches)


def finish_batch(sweep_id: uuid.UUID) -> None:
    """Count a batch done; the last one ends the sweep and frees the lock for the next."""
    Sweep.objects.filter(pk=sweep_id).update(batches_done=F("batches_done") + 1)
    sweep = Sweep.objects.filter(pk=sweep_id).first()
    if sweep is not None and sweep.batches_done >= sweep.batch_count:
        finish_sweep(sweep_id)


def finish_sweep(sweep_id: uuid.UUID) -> None:
    Sweep.objects.filter(pk=sweep_id, finished_at__isnull=True).update(finished_at=timezone.now())
    release_lock(SWEEP_LOCK, str(sweep_id))


async def poll_concurrently(
    targets: Sequence[tuple[str, CallToken | None]], concurrency: int
) -> list[StatusResult]:
    """Poll every (upstream_id, token) with at most `concurrency` calls in flight.

    `concurrency` lanes share one transport with as many keep-alive connections; each lane takes
    the next target when its call is done.
    """
    results: list[StatusResult | None] = [None] * len(targets)
    queue = iter(enumerate(targets))
    lanes = max(1, min(concurrency, len(targets)))

    async with AiohttpTransport(max_connections=lanes) as sent:

        async def lane() -> None:
            for index, (upstream_id, token) in queue:
                results[index] = await poll_safely(sent, upstream_id, token)

        await asyncio.gather(*(lane() for _ in range(lanes)))
    return results  # type: ignore[return-value]  # every index was filled by a lane


async def poll_safely(transport: AiohttpTransport, upstream_id: str, token) -> StatusResult:
    """One status call; a poll run survives anything one answer does."""
    try:
        return await client.get_status_async(transport, upstream_id, token)
    except Exception as exc:
        logger.exception("Status call for %s failed unexpectedly", upstream_id)
        return StatusResult(
            outcome=Outcome.PROTOCOL_ERROR,
            error_code="CLIENT_FAILURE",
            message=f"Patchbay could not handle the answer ({type(exc).__name__}).",
        )


def run_to_completion(coroutine: Coroutine[None, None, T]) -> T:
    """Run the coroutine on a new event loop, also when this thread already runs one (then on a
    fresh thread).

    A Celery worker has no loop, but a caller inside one (an async view, a test driving
    Playwright's sync API) must not crash the poll.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_on_uvloop(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run_on_uvloop, coroutine).result()


def _run_on_uvloop(coroutine: Coroutine[None, None, T]) -> T:
    """uvloop's event loop (libuv, in C) takes about a tenth off each status call's CPU."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def poll_batch(
    sweep_id: uuid.UUID | None, connection_ids: Sequence[int], *, concurrency: int | None = None
) -> int:
    """Poll one batch of a sweep and write the results; returns how many were written."""
    pending = set(connection_ids)
    if sweep_id is not None:
        pending -= written_in_sweep(sweep_id, connection_ids)
    upstream_ids = dict(
        Connection.objects.filter(pk__any_of=pending)
        .order_by("pk")
        .values_list("pk", "upstream_id")
    )
    tokens = ApiToken.objects.current_by_connection(upstream_ids)
    order = list(upstream_ids)
    ApiToken.objects.filter(pk__any_of=[token.pk for token in tokens.values()]).mark_used()
    results = run_to_completion(
        poll_concurrently(
            [(upstream_ids[pk], tokens.get(pk)) for pk in order],
            concurrency or settings.POLL_CONCURRENCY,
        )
    )
    return write_results(dict(zip(order, results, strict=True)), sweep_id=sweep_id)


def written_in_sweep(sweep_id: uuid.UUID, connection_ids: Iterable[int]) -> set[int]:
    """Which of these connections already have their check for the sweep (a redelivery).

    Asked by id range and intersected here: a batch is a run of consecutive due ids, and the
    range is one index scan, where a list of a thousand ids had PostgreSQL test each of the
    sweep's checks so far against the whole list (30 ms by the end of a 10,000 sweep).
    """
    wanted = set(connection_ids)
    if not wanted:
        return set()
    written = HealthCheck.objects.filter(
        sweep_id=sweep_id, connection_id__gte=min(wanted), connection_id__lte=max(wanted)
    ).values_list("connection_id", flat=True)
    return wanted.intersection(written)


def poll_one(connection_id: int) -> StatusResult | None:
    """ "Check now": poll one connection at once, outside any sweep, through the same writes."""
    connection = Connection.objects.filter(pk=connection_id).only("pk", "upstream_id").first()
    if connection is None:
        return None
    token = ApiToken.objects.current_by_connection([connection_id]).get(connection_id)
    if token is not None:
        ApiToken.objects.filter(pk=token.pk).mark_used()
    result = client.get_status(connection.upstream_id, token)
    write_results({connection_id: result}, sweep_id=None, source=Source.CHECK_NOW)
    return result


def write_results(
    results: dict[int, StatusResult],
    *,
    sweep_id: uuid.UUID | None,
    source: str = Source.POLL,
    now: datetime | None = None,
) -> int:
    """Apply results through the state machine and write everything in one transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        # Row locks (PostgreSQL; SQLite serialises writers anyway) make a concurrent redelivery
        # wait, then find its checks written below and skip them.
        connections = [
            PolledConnection(*row)
            for row in Connection.objects.select_for_update()
            .filter(pk__any_of=results)
            .order_by("pk")
            .values_list("pk", "customer_id", *CONNECTION_FIELDS)
        ]
        if sweep_id is not None:
            done = written_in_sweep(sweep_id, results)
            connections = [c for c in connections if c.pk not in done]
        checks, events, errors, backoffs = [], [], [], []
        updates: dict[tuple, list[int]] = defaultdict(list)
        for connection in connections:
            result = results[connection.pk]
            before = {name: getattr(connection, name) for name in CONNECTION_FIELDS}
            transition = state.observe(
                connection,
                result.outcome,
                at=now,
                reason=state.reason_for(result.outcome, result.error_code, result.message),
                request_id=result.request_id,
            )
            changed = tuple(
                (name, getattr(connection, name))
                for name in CONNECTION_FIELDS
                if getattr(connection, name) != before[name]
            )
            if changed:
                updates[changed].append(connection.pk)
            checks.append(health_check(connection, result, sweep_id, source, now))
            if transition.changed:
                events.append(event_for(connection, transition, source))
            if not result.ok:
                errors.append(error_log(connection, result, source, now))
            if result.outcome == Outcome.RATE_LIMITED:
                until = now + timedelta(seconds=result.retry_after_seconds or 60)
                backoffs.append(
                    PollSchedule(connection_id=connection.pk, due_at=until, backoff_until=until)
                )
        HealthCheck.objects.insert_rows(checks)
        # One UPDATE per distinct set of new values: a sweep's observations share `now`, so a
        # batch of 500 needs a handful of statements where bulk_update builds a CASE per row.
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
        if events:
            problems.record(events)
            notifications.after_transitions(events)
    return len(checks)


def health_check(
    connection: PolledConnection, result: StatusResult, sweep_id, source: str, now
) -> HealthCheckRow:
    return HealthCheckRow(
        connection_id=connection.pk,
        checked_at=now,
        sweep_id=sweep_id,
        source=str(source),
        outcome=str(result.outcome),
        status_after=str(connection.health_status),
        latency_ms=result.latency_ms,
        http_status=result.http_status,
        error_code=result.error_code,
        request_id=result.request_id,
    )


def event_for(
    connection: PolledConnection, transition: state.Transition, source: str
) -> ConnectionEvent:
    return ConnectionEvent(
        connection_id=connection.pk,
        created_at=transition.at,
        from_status=transition.before.status,
        to_status=transition.after.status,
        reason=transition.reason[:300],
        request_id=transition.request_id,
        source=source,
    )


def error_log(connection: PolledConnection, result: StatusResult, source: str, now) -> ErrorLog:
    return ErrorLog(
        created_at=now,
        customer_id=connection.customer_id,
        connection_id=connection.pk,
        source=source,
        http_status=result.http_status,
        error_code=result.error_code,
        error_type=result.error_type,
        message=result.message or state.Outcome(result.outcome).label,
        request_id=result.request_id,
        raw_body=result.raw_body,
    )
