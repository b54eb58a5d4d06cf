"""The poller: plan a sweep of due connections, poll a batch concurrently, write it in bulk.

A sweep takes a lease (SweepLock) so sweeps never overlap; planning moves every planned
connection's `due_at` one interval ahead, so none is polled twice in an interval; a batch hands
its results to `transitions.record`, which writes them in one transaction under row locks and
skips connections already written for the sweep, so a redelivered batch changes nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import uvloop
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from connections.crypto import TokenDecryptionError
from connections.models import ApiToken, CallToken, Connection
from health.vocabulary import Outcome
from monitoring import transitions
from monitoring.models import HealthCheck, PollSchedule, Source, Sweep, SweepLock
from monitoring.transitions import Observation
from upstream import client
from upstream.protocol import StatusResult
from upstream.transport import AiohttpTransport

logger = logging.getLogger(__name__)
T = TypeVar("T")

SWEEP_LOCK = "poll-sweep"
# Beat fires every interval, not to the microsecond: a connection planned a hair under one
# interval ago is due again rather than skipped for a whole interval.
DUE_SLACK = timedelta(seconds=2)


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
        secret, failure = secret_of(token)
        if failure is not None:
            return failure
        return await client.get_status_async(transport, upstream_id, secret)
    except Exception as exc:
        logger.exception("Status call for %s failed unexpectedly", upstream_id)
        return StatusResult(
            outcome=Outcome.PROTOCOL_ERROR,
            error_code="CLIENT_FAILURE",
            message=f"Patchbay could not handle the answer ({type(exc).__name__}).",
        )


def secret_of(token: CallToken | None) -> tuple[str, StatusResult | None]:
    """The token's plaintext for the call about to go out, or why there is none to send.

    Decrypted just before its own request, so a batch never holds a thousand plaintexts.
    """
    if token is None:
        return "", no_token(
            "This connection has no active API token: issue one or reconnect.", "TOKEN_MISSING"
        )
    try:
        return token.plaintext(), None
    except TokenDecryptionError:
        return "", no_token(
            "The connection's token cannot be decrypted with the configured "
            "TOKEN_ENCRYPTION_KEYS (a key was retired too soon): restore the key or reissue.",
            "TOKEN_UNDECRYPTABLE",
        )


def check_status(upstream_id: str, token: CallToken | None) -> StatusResult:
    """One status call on its own, with httpx's client."""
    secret, failure = secret_of(token)
    return failure or client.get_status(upstream_id, secret)


def no_token(reason: str, code: str) -> StatusResult:
    return StatusResult(outcome=Outcome.NO_TOKEN, error_code=code, message=reason)


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
        pending -= HealthCheck.objects.written_in_sweep(sweep_id, connection_ids)
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
    recorded = transitions.record(
        [Observation.of_status_call(pk, result) for pk, result in zip(order, results, strict=True)],
        source=Source.POLL,
        sweep_id=sweep_id,
    )
    return recorded.checks


def poll_one(connection_id: int) -> StatusResult | None:
    """ "Check now": poll one connection at once, outside any sweep, through the same writes."""
    connection = Connection.objects.filter(pk=connection_id).only("pk", "upstream_id").first()
    if connection is None:
        return None
    token = ApiToken.objects.current_by_connection([connection_id]).get(connection_id)
    if token is not None:
        ApiToken.objects.filter(pk=token.pk).mark_used()
    result = check_status(connection.upstream_id, token)
    transitions.record([Observation.of_status_call(connection_id, result)], source=Source.CHECK_NOW)
    return result
