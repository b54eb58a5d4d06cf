"""Uptime strips: one bar per hour (last 24 h) or per day (last 30 days), coloured by the worst
status the connection was left in during that bar, from its rollups (`monitoring.rollups`): one
indexed query per strip, never the raw checks.

Rollups are kept ROLLUP_RETENTION_DAYS (90 by default), status changes for good: a day with no
rollup takes its colour from the status changes instead, and says so on hover.

Drawn server-side as SVG: no chart library, nothing to load, and the hover text is a <title>.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from health.vocabulary import SEVERITY, HealthStatus
from monitoring import rollups
from monitoring.models import ConnectionEvent

BAR_WIDTH, BAR_GAP, HEIGHT = 10, 2, 28


@dataclass(frozen=True)
class Bar:
    start: datetime
    checks: int
    failures: int
    worst: str  # a HealthStatus, or "none" when nothing is known
    x: int
    from_events: bool = False
    bucket: rollups.Bucket | None = None  # the counts per outcome behind the bar

    @property
    def label(self) -> str:
        if self.from_events:
            worst = HealthStatus(self.worst).label
            return f"no checks kept, worst status from its status changes: {worst}"
        if not self.checks:
            return "no checks"
        worst = HealthStatus(self.worst).label
        return f"{self.checks} checks, {self.failures} failed, worst: {worst}"


@dataclass(frozen=True)
class Strip:
    title: str
    unit: str  # "hour" or "day"
    bars: list[Bar]

    @property
    def width(self) -> int:
        return len(self.bars) * (BAR_WIDTH + BAR_GAP)

    height = HEIGHT
    bar_width = BAR_WIDTH

    @property
    def uptime_percent(self) -> float | None:
        checks = sum(bar.checks for bar in self.bars)
        if not checks:
            return None
        return round(100 * (checks - sum(bar.failures for bar in self.bars)) / checks, 2)


def strip(connection, unit: str, count: int, *, now: datetime | None = None) -> Strip:
    """The last `count` hours or days of `connection`, oldest bar first."""
    now = now or timezone.now()
    step = timedelta(hours=1) if unit == "hour" else timedelta(days=1)
    buckets = rollups.connection_buckets(connection, unit, count, now=now)
    unchecked = [bucket.start for bucket in buckets if not bucket.checks]
    from_events = worst_from_events(connection, unchecked, step) if unit == "day" else {}
    bars = []
    for index, bucket in enumerate(buckets):
        derived = from_events.get(bucket.start, "none")
        bars.append(
            Bar(
                start=bucket.start,
                checks=bucket.checks,
                failures=bucket.failures,
                worst=_drawn(bucket.worst) if bucket.checks else derived,
                x=index * (BAR_WIDTH + BAR_GAP),
                from_events=not bucket.checks and derived != "none",
                bucket=bucket,
            )
        )
    title = "Last 24 hours" if unit == "hour" else f"Last {count} days"
    return Strip(title=title, unit=unit, bars=bars)


def _drawn(worst: str) -> str:
    """The strip draws a bar seen only as unknown as healthy, as it always has; the bar's
    `bucket` keeps the unknown (and the rate-limited count) for a drawing that tells them apart."""
    return HealthStatus.HEALTHY if worst == HealthStatus.UNKNOWN else worst


def worst_from_events(connection, buckets: list[datetime], step: timedelta) -> dict:
    """The worst status each bucket saw, replayed from the connection's status changes: the
    status it entered the bucket in, and every status it changed to within it."""
    if not buckets:
        return {}
    first, end = buckets[0], buckets[-1] + step
    changes = list(
        ConnectionEvent.objects.filter(connection=connection, created_at__lt=end)
        .filter(created_at__gte=first)
        .order_by("created_at", "id")
        .values_list("created_at", "from_status", "to_status")
    )
    before = (
        ConnectionEvent.objects.filter(connection=connection, created_at__lt=first)
        .order_by("-created_at", "-id")
        .values_list("to_status", flat=True)
        .first()
    )
    if before is not None:
        status = before
    elif changes:
        status = changes[0][1]
    else:
        status = connection.health_status
    worst: dict[datetime, str] = {}
    applied = 0
    for bucket in buckets:
        while applied < len(changes) and changes[applied][0] < bucket:
            status = changes[applied][2]
            applied += 1
        if bucket + step <= connection.created_at:
            continue
        seen = [status] + [
            to_status
            for created_at, _, to_status in changes[applied:]
            if created_at < bucket + step
        ]
        known = [s for s in seen if s != HealthStatus.UNKNOWN]
        if known:
            worst[bucket] = max(known, key=lambda s: SEVERITY[s])
    return worst
