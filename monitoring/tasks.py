"""Celery tasks: thin, ids in, the domain functions do the work.

Every task has a soft and a hard time limit: the defaults in settings (CELERY_TASK_*_TIME_LIMIT)
or its own below; the broker's visibility timeout is set above the longest (config/settings.py).
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from celery import shared_task
from celery.signals import beat_init
from django.conf import settings
from django.db import DatabaseError

from monitoring import (
    notifications,
    partitions,
    poller,
    reconnect_links,
    retention,
    sweeps,
    webhooks,
)
from monitoring.models import Notification

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def plan_sweep(batch_size: int | None = None, concurrency: int | None = None) -> int:
    """Beat, every POLL_INTERVAL_SECONDS: send again the batches that lost their worker, plan
    the due connections no batch holds, and fan the batches out to the sweep queue."""
    plan = sweeps.plan_sweep(batch_size=batch_size)
    if plan is None:
        logger.info(
            "This interval's sweep is already planned (by an earlier tick or a second beat): "
            "nothing to do."
        )
        return 0
    for batch_id in [*plan.resent, *plan.batch_ids]:
        poll_batch.delay(batch_id, concurrency)
    return len(plan.batch_ids)


@beat_init.connect
def sweep_when_beat_starts(sender=None, **kwargs) -> None:
    """Poll at start-up rather than one interval later: a fresh `make run` shows real health.

    Partitions are made first, in case the worker was down for longer than they reach ahead.
    """
    create_partitions.delay()
    plan_sweep.delay()


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=5,
    soft_time_limit=settings.POLL_BATCH_SOFT_TIME_LIMIT,
    time_limit=settings.POLL_BATCH_TIME_LIMIT,
)
def poll_batch(self, batch_id: int, concurrency: int | None = None) -> int | None:
    """Poll one batch of a sweep under its lease; a duplicate message finds nothing to do.

    A database that is busy or briefly down makes the batch retry (its writes are idempotent),
    rather than count as done with nothing written; after the last try the batch ends as lost,
    so its connections are planned again by the next sweep.
    """
    holder = f"{self.request.hostname or socket.gethostname()}:{os.getpid()}:{self.request.id}"
    holder = holder[:100]
    try:
        return poller.run_batch(batch_id, holder, concurrency=concurrency)
    except DatabaseError:
        if self.request.retries >= self.max_retries:
            logger.exception("Batch %s failed for good after retries", batch_id)
            sweeps.finish_batch(batch_id, lost=True)
        else:
            sweeps.release_batch(batch_id, holder)
        raise


@shared_task(acks_late=True, reject_on_worker_lost=True)
def poll_connection_now(connection_id: int) -> str | None:
    """The dashboard's "Check now": one connection, at once, through the same state machine.

    Routed to the interactive queue (config/settings.py), which workers serve ahead of sweeps.
    """
    result = poller.poll_one(connection_id)
    return None if result is None else str(result.outcome)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def process_webhook_event(event_id: int) -> str:
    return webhooks.process(event_id)


@shared_task
def send_stuck_webhook_events(limit: int = 500) -> int:
    """Beat: send again the events left received (their task was lost); each try is counted,
    so an event that keeps failing ends failed (`webhooks.process`)."""
    ids = list(webhooks.stuck_events().order_by("received_at").values_list("pk", flat=True)[:limit])
    for event_id in ids:
        process_webhook_event.delay(event_id)
    return len(ids)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(notifications.DeliveryFailed,),
    retry_backoff=30,
    # Below the broker's visibility timeout: a retry's countdown is held unacknowledged.
    retry_backoff_max=600,
    max_retries=6,
)
def deliver_notification(self, notification_id: int) -> None:
    notification = (
        Notification.objects.select_related("connection__customer")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return
    try:
        notifications.deliver(notification)
    except notifications.DeliveryFailed:
        if self.request.retries >= self.max_retries:
            notifications.mark_failed(notification_id)
        raise


def beat_period(task_name: str) -> timedelta:
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task_name)
    return timedelta(seconds=entry["schedule"])


@shared_task
def notify_lasting_errors() -> int:
    """Beat: once per period however many beats run (two at once would notify twice)."""
    if not sweeps.take_tick("notify-lasting-errors", beat_period(notify_lasting_errors.name)):
        return 0
    return notifications.notify_lasting_errors()


@shared_task
def prune_history() -> dict[str, int]:
    if not sweeps.take_tick("prune-history", beat_period(prune_history.name)):
        return {}
    return retention.prune_history()


@shared_task
def record_expired_reconnect_links() -> int:
    return reconnect_links.record_expired_links()


@shared_task
def create_partitions() -> list[str]:
    """Beat, hourly: history partitions for the days ahead (PostgreSQL; nothing elsewhere)."""
    return partitions.create_ahead()
