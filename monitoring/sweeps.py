"""Sweeps: plan due connections into batches, lease each batch to the worker polling it, and
send again the batches whose worker died.

The database, not the broker, knows what is left to poll. Each beat tick (one per interval,
however many beats run: the tick takes a lease) first sends again every batch whose lease ran
out, then plans the due connections that no unfinished batch holds. A worker claims a batch
with a conditional UPDATE and keeps its lease alive with a heartbeat while it polls; a worker
killed mid-batch stops the heartbeat, so its batch is sent again at the first tick after the
lease runs out, whatever the broker does with the message it never acknowledged. Writes are
idempotent per sweep (`transitions.record` skips connections already written for it), so a
batch run twice writes once. DEVELOPERS.md ("Workers that die lose nothing") states the
guarantees.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from connections.models import Connection
from monitoring.models import PollSchedule, Sweep, SweepBatch, SweepLock

logger = logging.getLogger(__name__)

PLAN_TICK = "poll-tick"
# Beat fires every interval, not to the microsecond: a connection planned a hair under one
# interval ago is due again rather than skipped for a whole interval, and the planner's tick
# lease is free again by the next tick.
DUE_SLACK = timedelta(seconds=2)
# A batch sent this many times without being finished is given up: its connections are planned
# afresh by the next tick (a batch that kills every worker that takes it must not loop forever).
MAX_DISPATCHES = 3


@dataclass(frozen=True)
class SweepPlan:
    """What one tick planned: the new sweep's batches (connection ids, and their rows' ids) and
    the batches of earlier sweeps it sends again."""

    sweep_id: uuid.UUID
    batches: list[list[int]]
    batch_ids: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)


def interval() -> timedelta:
    return timedelta(seconds=settings.POLL_INTERVAL_SECONDS)


def batch_lease() -> timedelta:
    """How long a claimed batch lives without a heartbeat: half an interval, 2 to 30 seconds.

    Short, because a dead worker's batch waits this long before it can be sent again.
    """
    seconds = min(max(settings.POLL_INTERVAL_SECONDS / 2, 2), 30)
    return timedelta(seconds=settings.POLL_BATCH_LEASE_SECONDS or seconds)


def heartbeat_every() -> float:
    return batch_lease().total_seconds() / 3


def queue_grace() -> timedelta:
    """How long a batch's message may wait in the broker before the planner sends a copy.

    A message can be lost without a worker ever claiming it (a worker killed between receiving
    and starting it; a broker restarted without persistence); a copy of one that was only
    waiting behind others is harmless: whichever copy comes second finds the batch taken.
    """
    return max(interval() * 2, timedelta(seconds=30))


def acquire_lock(name: str, holder: str, *, now: datetime, lease: timedelta) -> bool:
    """Take the named lease if it is free or expired: one conditional UPDATE, atomic anywhere."""
    # Make sure the row exists; if another planner creates it at the same moment, the UPDATE
    # below still lets only one of them through.
    SweepLock.objects.bulk_create([SweepLock(name=name, expires_at=now)], ignore_conflicts=True)
    taken = SweepLock.objects.filter(name=name, expires_at__lte=now).update(
        holder=holder, expires_at=now + lease
    )
    return taken == 1


def take_tick(name: str, every: timedelta, *, now: datetime | None = None) -> bool:
    """True for the first caller in each period: a periodic task run by a second beat (started
    by mistake) finds the period taken and does nothing."""
    now = now or timezone.now()
    return acquire_lock(f"tick:{name}", str(uuid.uuid4()), now=now, lease=every - DUE_SLACK)


def due_connection_ids(now: datetime) -> list[int]:
    return list(
        Connection.objects.filter(Q(poll_schedule__isnull=True) | Q(poll_schedule__due_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def held_connection_ids() -> set[int]:
    """Connections in a batch not finished yet (queued, running, or just sent again)."""
    held: set[int] = set()
    for ids in SweepBatch.objects.filter(finished_at__isnull=True).values_list(
        "connection_ids", flat=True
    ):
        held.update(ids)
    return held


def plan_sweep(*, batch_size: int | None = None, now: datetime | None = None) -> SweepPlan | None:
    """One beat tick: send again the batches that lost their worker, then claim every due
    connection no batch holds for a new sweep. None when this interval's tick already ran (a
    second beat, or beat's start-up tick right after a regular one)."""
    now = now or timezone.now()
    batch_size = max(1, batch_size or settings.POLL_BATCH_SIZE)
    sweep_id = uuid.uuid4()
    if not acquire_lock(PLAN_TICK, str(sweep_id), now=now, lease=interval() - DUE_SLACK):
        return None
    resent = recover_batches(now)
    with transaction.atomic():
        held = held_connection_ids()
        ids = [pk for pk in due_connection_ids(now) if pk not in held]
        PollSchedule.objects.schedule(ids, due_at=now + interval() - DUE_SLACK, sweep_id=sweep_id)
        batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
        Sweep.objects.create(
            id=sweep_id,
            planned_at=now,
            connection_count=len(ids),
            batch_count=len(batches),
            finished_at=None if batches else now,
        )
        rows = SweepBatch.objects.bulk_create(
            SweepBatch(
                sweep_id=sweep_id, connection_ids=batch, lease_expires_at=now + queue_grace()
            )
            for batch in batches
        )
    return SweepPlan(sweep_id, batches, [row.pk for row in rows], resent)


def recover_batches(now: datetime) -> list[int]:
    """Batches past their lease: sent again (their ids returned), or given up after
    MAX_DISPATCHES, which ends them so their connections are planned afresh."""
    resend = []
    expired = SweepBatch.objects.filter(finished_at__isnull=True, lease_expires_at__lte=now)
    for pk, sweep_id, claimed_by, dispatches in expired.values_list(
        "pk", "sweep_id", "claimed_by", "dispatches"
    ):
        still_expired = SweepBatch.objects.filter(
            pk=pk, finished_at__isnull=True, lease_expires_at__lte=now
        )
        if dispatches >= MAX_DISPATCHES:
            if still_expired.update(finished_at=now, lost=True):
                logger.error(
                    "Batch %s of sweep %s was sent %s times and never finished: given up; its "
                    "connections are planned again by the next sweep.",
                    pk,
                    sweep_id,
                    dispatches,
                )
                _count_batch_done(sweep_id, now)
            continue
        if still_expired.update(
            claimed_by="", lease_expires_at=now + queue_grace(), dispatches=F("dispatches") + 1
        ):
            logger.warning(
                "Batch %s of sweep %s %s: sent again.",
                pk,
                sweep_id,
                f"lost its worker ({claimed_by} stopped its heartbeat)"
                if claimed_by
                else "was never taken by a worker",
            )
            resend.append(pk)
    return resend


@dataclass(frozen=True)
class ClaimedBatch:
    pk: int
    sweep_id: uuid.UUID
    connection_ids: list[int]
    holder: str


def claim_batch(batch_id: int, holder: str, *, now: datetime | None = None) -> ClaimedBatch | None:
    """Take the batch for this worker if it is queued or its lease ran out; None when it is
    finished or another worker holds it (a duplicate message: nothing to do)."""
    now = now or timezone.now()
    claimable = SweepBatch.objects.filter(pk=batch_id, finished_at__isnull=True).filter(
        Q(claimed_by="") | Q(lease_expires_at__lte=now)
    )
    if not claimable.update(claimed_by=holder, lease_expires_at=now + batch_lease()):
        return None
    sweep_id, ids = SweepBatch.objects.values_list("sweep_id", "connection_ids").get(pk=batch_id)
    return ClaimedBatch(batch_id, sweep_id, ids, holder)


def extend_lease(batch: ClaimedBatch) -> bool:
    """The heartbeat: False once the batch is no longer this worker's (finished or taken over)."""
    return bool(
        SweepBatch.objects.filter(
            pk=batch.pk, claimed_by=batch.holder, finished_at__isnull=True
        ).update(lease_expires_at=timezone.now() + batch_lease())
    )


def release_batch(batch_id: int, holder: str) -> None:
    """Hand the batch back (its task is about to retry): queued again, claimable at once."""
    SweepBatch.objects.filter(pk=batch_id, claimed_by=holder, finished_at__isnull=True).update(
        claimed_by="", lease_expires_at=timezone.now() + queue_grace()
    )


def finish_batch(batch_id: int, *, lost: bool = False) -> None:
    """Count the batch done (whoever holds it now: its connections are written); the last one
    ends the sweep."""
    now = timezone.now()
    updated = SweepBatch.objects.filter(pk=batch_id, finished_at__isnull=True).update(
        finished_at=now, lost=lost
    )
    if updated:
        _count_batch_done(
            SweepBatch.objects.values_list("sweep_id", flat=True).get(pk=batch_id), now
        )


def _count_batch_done(sweep_id: uuid.UUID, now: datetime) -> None:
    Sweep.objects.filter(pk=sweep_id).update(batches_done=F("batches_done") + 1)
    Sweep.objects.filter(
        pk=sweep_id, finished_at__isnull=True, batches_done__gte=F("batch_count")
    ).update(finished_at=now)


@contextmanager
def heartbeat(batch: ClaimedBatch) -> Iterator[None]:
    """Keep the batch's lease alive from a thread of its own while the block polls and writes.

    The thread has its own database connection (Django's are per thread) and closes it.
    """
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(heartbeat_every()):
                try:
                    if not extend_lease(batch):
                        logger.warning("Batch %s is no longer this worker's lease.", batch.pk)
                        return
                except Exception:
                    logger.exception("Heartbeat of batch %s failed; trying again", batch.pk)
        finally:
            db_connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-batch-{batch.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
