"""Celery tasks: thin, ids in, the domain functions do the work."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import beat_init
from django.db import DatabaseError

from monitoring import notifications, partitions, poller, retention, webhooks
from monitoring.models import Notification

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def plan_sweep(batch_size: int | None = None, concurrency: int | None = None) -> int:
    """Beat, every POLL_INTERVAL_SECONDS: claim due connections and fan out batch tasks."""
    plan = poller.plan_sweep(batch_size=batch_size)
    if plan is None:
        logger.info("Previous sweep still running: this interval's sweep is skipped.")
        return 0
    for batch in plan.batches:
        poll_batch.delay(str(plan.sweep_id), batch, concurrency)
    return len(plan.batches)


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
)
def poll_batch(
    self, sweep_id: str, connection_ids: list[int], concurrency: int | None = None
) -> int:
    """Poll one batch; redelivered after a lost worker, it writes only what is missing.

    A database that is busy or briefly down makes the batch retry (its writes are idempotent),
    rather than count as done with nothing written; after the last try the sweep still ends, so
    the next interval's sweep is not blocked by one lost batch.
    """
    try:
        written = poller.poll_batch(sweep_id, connection_ids, concurrency=concurrency)
    except DatabaseError:
        if self.request.retries >= self.max_retries:
            logger.exception("Batch of sweep %s failed for good after retries", sweep_id)
            poller.finish_batch(sweep_id)
        raise
    poller.finish_batch(sweep_id)
    return written


@shared_task(acks_late=True, reject_on_worker_lost=True)
def poll_connection_now(connection_id: int) -> str | None:
    """The dashboard's "Check now": one connection, at once, through the same state machine."""
    result = poller.poll_one(connection_id)
    return None if result is None else str(result.outcome)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def process_webhook_event(event_id: int) -> str:
    return webhooks.process(event_id)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(notifications.DeliveryFailed,),
    retry_backoff=30,
    retry_backoff_max=3600,
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


@shared_task
def notify_lasting_errors() -> int:
    return notifications.notify_lasting_errors()


@shared_task
def prune_history() -> dict[str, int]:
    return retention.prune_history()


@shared_task
def create_partitions() -> list[str]:
    """Beat, hourly: history partitions for the days ahead (PostgreSQL; nothing elsewhere)."""
    return partitions.create_ahead()
