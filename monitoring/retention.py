"""Retention: history, error log and raw webhooks are pruned after their settings' days."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from monitoring.models import ErrorLog, HealthCheck, Sweep, WebhookEvent

CHUNK = 5000


def _delete_in_chunks(queryset) -> int:
    """Small deletes, so pruning a big backlog never holds a long lock on a hot table."""
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return total
        total += queryset.model.objects.filter(pk__in=ids).delete()[0]


def prune_history(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    checks_cutoff = now - timedelta(days=settings.HEALTH_CHECK_RETENTION_DAYS)
    return {
        "health_checks": _delete_in_chunks(HealthCheck.objects.older_than(checks_cutoff)),
        "sweeps": _delete_in_chunks(Sweep.objects.filter(planned_at__lt=checks_cutoff)),
        "error_logs": _delete_in_chunks(
            ErrorLog.objects.filter(
                created_at__lt=now - timedelta(days=settings.ERROR_LOG_RETENTION_DAYS)
            )
        ),
        "webhook_events": _delete_in_chunks(
            WebhookEvent.objects.filter(
                received_at__lt=now - timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
            )
        ),
    }
