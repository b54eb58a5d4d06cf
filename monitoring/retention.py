"""Retention: raw checks, the error log, rollups and raw webhooks go after their settings' time.

On PostgreSQL the history tables are partitioned by time and lose whole partitions
(`monitoring.partitions.drop_expired`); elsewhere old rows are deleted in chunks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from monitoring import partitions
from monitoring.models import (
    CustomerDailyRollup,
    DailyRollup,
    ErrorLog,
    HealthCheck,
    HourlyRollup,
    Sweep,
    SystemDailyRollup,
    WebhookEvent,
)

CHUNK = 5000


def _delete_in_chunks(queryset) -> int:
    """Small deletes, so pruning a big backlog never holds a long lock on a hot table."""
    total = 0
    while True:
        keys = list(queryset.values_list("pk", flat=True)[:CHUNK])
        if not keys:
            return total
        total += queryset.model.objects.filter(pk__in=keys).delete()[0]


def prune_history(now: datetime | None = None) -> dict[str, int]:
    """Beat, hourly. Returns rows deleted, or partitions dropped (`<table> partitions`)."""
    now = now or timezone.now()
    checks_cutoff = now - timedelta(hours=settings.HEALTH_CHECK_RETENTION_HOURS)
    pruned = {
        "sweeps": _delete_in_chunks(Sweep.objects.filter(planned_at__lt=checks_cutoff)),
        "webhook_events": _delete_in_chunks(
            WebhookEvent.objects.filter(
                received_at__lt=now - timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
            )
        ),
    }
    if partitions.enabled():
        dropped = partitions.drop_expired(now)
        return pruned | {f"{table} partitions": count for table, count in dropped.items()}
    rollups_cutoff = now - timedelta(days=settings.ROLLUP_RETENTION_DAYS)
    return pruned | {
        "health_checks": _delete_in_chunks(HealthCheck.objects.older_than(checks_cutoff)),
        "error_logs": _delete_in_chunks(
            ErrorLog.objects.filter(
                created_at__lt=now - timedelta(days=settings.ERROR_LOG_RETENTION_DAYS)
            )
        ),
        # A bucket goes once all of it is past retention, as a partition does.
        "hourly_rollups": _delete_in_chunks(
            HourlyRollup.objects.filter(bucket__lt=rollups_cutoff - timedelta(hours=1))
        ),
        "daily_rollups": _delete_in_chunks(
            DailyRollup.objects.filter(bucket__lt=rollups_cutoff - timedelta(days=1))
        ),
        "customer_rollups": _delete_in_chunks(
            CustomerDailyRollup.objects.filter(day__lt=rollups_cutoff.date() - timedelta(days=1))
        ),
        "system_rollups": _delete_in_chunks(
            SystemDailyRollup.objects.filter(day__lt=rollups_cutoff.date() - timedelta(days=1))
        ),
    }
