"""Uptime strips: one bar per hour (last 24 h) or per day (last 30 days), coloured by the worst
status the connection was left in during that bar, from one grouped query over its checks.

Drawn server-side as SVG: no chart library, nothing to load, and the hover text is a <title>.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Max, Q
from django.db.models.functions import Trunc
from django.utils import timezone

from connections.systems import HealthStatus
from monitoring.models import HealthCheck
from monitoring.problems import severity_rank
from monitoring.state import Outcome

WORST_BY_RANK = {
    0: HealthStatus.HEALTHY,
    1: HealthStatus.DEGRADED,
    2: HealthStatus.REAUTH_REQUIRED,
    3: HealthStatus.ERROR,
}
BAR_WIDTH, BAR_GAP, HEIGHT = 10, 2, 28


@dataclass(frozen=True)
class Bar:
    start: datetime
    checks: int
    failures: int
    worst: str  # a HealthStatus, or "none" when nothing was checked
    x: int

    @property
    def label(self) -> str:
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
    bars = []
    for index in range(count):
        bucket = start + step * index
        row = by_bucket.get(bucket)
        bars.append(
            Bar(
                start=bucket,
                checks=row["checks"] if row else 0,
                failures=row["failures"] if row else 0,
                worst=WORST_BY_RANK[row["worst"]] if row else "none",
                x=index * (BAR_WIDTH + BAR_GAP),
            )
        )
    title = "Last 24 hours" if unit == "hour" else f"Last {count} days"
    return Strip(title=title, unit=unit, bars=bars)


def _floor(moment: datetime, unit: str) -> datetime:
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if unit == "day" else moment
