"""The poller: poll a batch concurrently and write it in bulk; "Check now" for one connection.

Sweeps are planned and their batches leased in `monitoring/sweeps.py`. A batch hands its results
to `transitions.record`, which writes them in one transaction under row locks and skips
connections already written for the sweep, so a batch run twice changes nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeVar

import uvloop
from django.conf import settings
from django.db import connections as db_connections
from django.db.models import Q
from django.utils import timezone

from connections.crypto import TokenDecryptionError
from connections.models import ApiToken, CallToken, Connection
from health.vocabulary import Outcome
from monitoring import sweeps, transitions
from monitoring.models import HealthCheck, PollSchedule, Source
from monitoring.transitions import Observation
from upstream import client
from upstream.protocol import StatusResult
from upstream.transport import AiohttpTransport

logger = logging.getLogger(__name__)
T = TypeVar("T")


async def poll_concurrently(
    targets: Sequence[tuple[str, CallToken | None]],
    concurrency: int,
    on_result: Callable[[int, StatusResult], None] | None = None,
) -> list[StatusResult]:
    """Poll every (upstream_id, token) with at most `concurrency` calls in flight.

    `concurrency` lanes share one transport with as many keep-alive connections; each lane takes
    the next target when its call is done. `on_result(index, result)` hears each as it lands.
    """
    results: list[StatusResult | None] = [None] * len(targets)
    queue = iter(enumerate(targets))
    lanes = max(1, min(concurrency, len(targets)))

    async with AiohttpTransport(max_connections=lanes) as sent:

        async def lane() -> None:
            for index, (upstream_id, token) in queue:
                results[index] = await poll_safely(sent, upstream_id, token)
                if on_result is not None:
                    on_result(index, results[index])

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
    targets = [(upstream_ids[pk], tokens.get(pk)) for pk in order]
    concurrency = concurrency or settings.POLL_CONCURRENCY
    if len(order) > settings.POLL_WRITE_CHUNK:
        return run_to_completion(write_as_polled(sweep_id, order, targets, concurrency))
    results = run_to_completion(poll_concurrently(targets, concurrency))
    return write_results(sweep_id, list(zip(order, results, strict=True)))


def write_results(sweep_id: uuid.UUID | None, results: list[tuple[int, StatusResult]]) -> int:
    recorded = transitions.record(
        [Observation.of_status_call(pk, result) for pk, result in results],
        source=Source.POLL,
        sweep_id=sweep_id,
    )
    return recorded.checks


async def write_as_polled(
    sweep_id: uuid.UUID | None,
    order: list[int],
    targets: list[tuple[str, CallToken | None]],
    concurrency: int,
) -> int:
    """Poll the batch and write each POLL_WRITE_CHUNK results as they land, from a thread of
    their own, while the lanes go on polling.

    Written only at its end, a batch of ten rounds at 300 ms left its lanes idle for the whole
    write; in chunks, only the last one waits. A batch cut short has its chunks so far written,
    and a second run of it polls only the rest.
    """
    loop = asyncio.get_running_loop()
    landed: list[tuple[int, StatusResult]] = []
    writes: list[asyncio.Future[int]] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-writer") as writer:

        def write(chunk: list[tuple[int, StatusResult]]) -> None:
            writes.append(loop.run_in_executor(writer, write_results, sweep_id, chunk))

        def on_result(index: int, result: StatusResult) -> None:
            landed.append((order[index], result))
            if len(landed) >= settings.POLL_WRITE_CHUNK:
                write(landed[:])
                landed.clear()

        try:
            await poll_concurrently(targets, concurrency, on_result)
            if landed:
                write(landed)
            return sum(await asyncio.gather(*writes))
        finally:
            await asyncio.gather(*writes, return_exceptions=True)
            # The writer thread's own database connection goes with it.
            await loop.run_in_executor(writer, db_connections.close_all)


def run_batch(batch_id: int, holder: str, *, concurrency: int | None = None) -> int | None:
    """Claim a planned batch, poll and write it under a heartbeat, and count it done.

    None when there was nothing to do: the batch is finished, or a live worker holds it (a
    duplicate or late message). An exception leaves the batch claimed: its lease runs out and
    the planner sends it again, unless the caller hands it back with `sweeps.release_batch`.
    """
    batch = sweeps.claim_batch(batch_id, holder)
    if batch is None:
        return None
    with sweeps.heartbeat(batch):
        written = poll_batch(batch.sweep_id, batch.connection_ids, concurrency=concurrency)
    sweeps.finish_batch(batch.pk)
    return written


def backoff_until(connection_id: int, now: datetime) -> datetime | None:
    """When the upstream's Retry-After for this connection runs out, if it has not yet."""
    return (
        PollSchedule.objects.filter(connection_id=connection_id, backoff_until__gt=now)
        .values_list("backoff_until", flat=True)
        .first()
    )


# Clicks on one connection's "Check now" within this long join the check already queued.
CHECK_NOW_COALESCE = timedelta(seconds=5)


@dataclass(frozen=True)
class CheckRequest:
    """What a click on "Check now" did: queued a check, joined the one queued at `since`, or
    nothing because the upstream asked Patchbay to wait `until`."""

    state: Literal["queued", "joined", "rate_limited"]
    since: datetime
    until: datetime | None = None


def request_check(connection_id: int, *, now: datetime | None = None) -> CheckRequest:
    """Decide whether a click calls the upstream; the caller queues the check when "queued".

    One conditional UPDATE decides, so two web processes clicked at once queue one check.
    """
    now = now or timezone.now()
    until = backoff_until(connection_id, now)
    if until is not None:
        return CheckRequest("rate_limited", since=now, until=until)
    # A connection never planned has no schedule yet; it is due now, which the row says.
    PollSchedule.objects.bulk_create(
        [PollSchedule(connection_id=connection_id, due_at=now)], ignore_conflicts=True
    )
    free = Q(check_requested_at__isnull=True) | Q(check_requested_at__lte=now - CHECK_NOW_COALESCE)
    if PollSchedule.objects.filter(free, connection_id=connection_id).update(
        check_requested_at=now
    ):
        return CheckRequest("queued", since=now)
    since = PollSchedule.objects.values_list("check_requested_at", flat=True).get(
        connection_id=connection_id
    )
    return CheckRequest("joined", since=since or now)


def forget_check_request(connection_id: int, since: datetime) -> None:
    """The check could not be queued: the next click tries again at once."""
    PollSchedule.objects.filter(connection_id=connection_id, check_requested_at=since).update(
        check_requested_at=None
    )


def poll_one(connection_id: int) -> StatusResult | None:
    """ "Check now": poll one connection at once, outside any sweep, through the same writes.

    None when the connection is gone, or when the upstream's Retry-After has not run out: then
    nothing is sent (a rate-limited upstream is not called before it said).
    """
    connection = Connection.objects.filter(pk=connection_id).only("pk", "upstream_id").first()
    if connection is None or backoff_until(connection_id, timezone.now()) is not None:
        return None
    token = ApiToken.objects.current_by_connection([connection_id]).get(connection_id)
    if token is not None:
        ApiToken.objects.filter(pk=token.pk).mark_used()
    result = check_status(connection.upstream_id, token)
    transitions.record([Observation.of_status_call(connection_id, result)], source=Source.CHECK_NOW)
    return result
