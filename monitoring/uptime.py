"""Uptime strips: one bar per hour (last 24 h) or per day (last 30 days), coloured by the worst
status the connection was left in during that bar, from one grouped query over its checks.

Health checks are kept HEALTH_CHECK_RETENTION_DAYS (14 by default), status changes for good: a bar
with no checks left takes its colour from the status changes instead, and says so on hover.

Drawn server-side as SVG: no chart library, nothing to load, and the hover text is a <title>.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Max, Q
from django.db.models.functions import Trunc
from django.utils import timezone

from health.vocabulary import SEVERITY, HealthStatus, Outcome, severity_rank
from monitoring.models import ConnectionEvent, HealthCheck

WORST_BY_RANK = {rank: status for status, rank in SEVERITY.items() if status != "unknown"}
BAR_WIDTH, BAR_GAP, HEIGHT = 10, 2, 28


@dataclass(frozen=True)
class Bar:
    start: datetime
    checks: int
    failures: int
    worst: str  # a HealthStatus, or "none" when nothing is known
    x: int
    from_events: bool = False

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
    end = _floor(now, unit) + step
    start = end - step * count
    rows = (
        HealthCheck.objects.filter(connection=connection, checked_at__gte=start)
        .annotate(bucket=Trunc("checked_at", unit, tzinfo=UTC))
        .order_by()
        .values("bucket")
        .annotate(
            checks=Count("id"),
            failures=Count("id", filter=~Q(outcome__in=[Outcome.OK, Outcome.RATE_LIMITED])),
            worst=Max(severity_rank("status_after")),
        )
    )
    by_bucket = {_floor(row["bucket"], unit): row for row in rows}
    starts = [start + step * index for index in range(count)]
    unchecked = [bucket for bucket in starts if bucket not in by_bucket]
    from_events = worst_from_events(connection, unchecked, step) if unit == "day" else {}
    bars = []
    for index, bucket in enumerate(starts):
        row = by_bucket.get(bucket)
        derived = from_events.get(bucket, "none")
        bars.append(
            Bar(
                start=bucket,
                checks=row["checks"] if row else 0,
                failures=row["failures"] if row else 0,
                worst=WORST_BY_RANK[row["worst"]] if row else derived,
                x=index * (BAR_WIDTH + BAR_GAP),
                from_events=row is None and derived != "none",
            )
        )
    title = "Last 24 hours" if unit == "hour" else f"Last {count} days"
    return Strip(title=title, unit=unit, bars=bars)


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


def _floor(moment: datetime, unit: str) -> datetime:
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if unit == "day" else moment
