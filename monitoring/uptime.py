"""Uptime strips: one bar per hour (last 24 h) or per day (last 30 days), coloured by the worst
status the connection was left in during that bar, from its rollups (`monitoring.rollups`): one
indexed query per strip, never the raw checks. Rate-limited checks are counted and drawn as what
they are (inconclusive), never as success.

Rollups are kept ROLLUP_RETENTION_DAYS (90 by default), status changes for good: a day with no
rollup takes its colour from the status changes instead, and says so on hover.

Drawn server-side as SVG: no chart library, nothing to load, and the hover text is a <title>.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from health.vocabulary import SEVERITY, HealthStatus, Outcome
from monitoring import rollups
from monitoring.models import ConnectionEvent

BAR_WIDTH, BAR_GAP, HEIGHT = 10, 2, 28


@dataclass(frozen=True)
class BucketCounts:
    """One bucket of a connection's checks: how many were OK, failed or rate limited, and the
    worst status a conclusive one left it in (None when none was conclusive)."""

    start: datetime
    ok: int
    failed: int
    rate_limited: int
    worst: str | None


def counts_of(bucket: rollups.Bucket) -> BucketCounts | None:
    """What a strip draws of one rollup bucket (None when nothing was checked in it).

    A rate-limited check says nothing about health: it is counted apart and lends the bar no
    status, so a bucket of rate-limited checks only has no worst status.
    """
    if not bucket.checks:
        return None
    ok = bucket.count(Outcome.OK)
    rate_limited = bucket.count(Outcome.RATE_LIMITED)
    conclusive = bucket.checks - rate_limited
    worst = None
    if conclusive:
        worst = HealthStatus.HEALTHY if bucket.worst == HealthStatus.UNKNOWN else bucket.worst
    return BucketCounts(bucket.start, ok, conclusive - ok, rate_limited, worst)


@dataclass(frozen=True)
class Bar:
    start: datetime
    ok: int
    failed: int
    rate_limited: int
    worst: str  # a HealthStatus, "rate_limited" when every check was, "none" when nothing known
    x: int
    from_events: bool = False
    end: datetime | None = None

    @property
    def checks(self) -> int:
        return self.ok + self.failed + self.rate_limited

    @property
    def label(self) -> str:
        if self.from_events:
            worst = HealthStatus(self.worst).label
            return f"no checks kept, worst status from its status changes: {worst}"
        if not self.checks:
            return "no checks"
        if self.worst == "rate_limited":
            return f"{self.checks} checks, all rate limited: health unknown"
        parts = [f"{self.checks} checks: {self.ok} OK, {self.failed} failed"]
        if self.rate_limited:
            parts.append(f"{self.rate_limited} rate limited")
        return ", ".join(parts) + f"; worst: {HealthStatus(self.worst).label}"


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
    def conclusive(self) -> int:
        return sum(bar.ok + bar.failed for bar in self.bars)

    @property
    def rate_limited(self) -> int:
        return sum(bar.rate_limited for bar in self.bars)

    @property
    def uptime_percent(self) -> float | None:
        """Share of conclusive checks that were OK; None when no check was conclusive."""
        if not self.conclusive:
            return None
        return round(100 * sum(bar.ok for bar in self.bars) / self.conclusive, 2)

    @property
    def summary(self) -> str:
        """The caption: what share was OK, of what, and what could not be judged."""
        limited = f"{self.rate_limited} rate limited" if self.rate_limited else ""
        if self.uptime_percent is None:
            if limited:
                return f"no conclusive check: {limited}, health unknown"
            return "no checks"
        text = f"{self.uptime_percent}% of {self.conclusive} conclusive checks OK"
        return f"{text} · {limited} (not counted)" if limited else text


def strip(connection, unit: str, count: int, *, now: datetime | None = None) -> Strip:
    """The last `count` hours or days of `connection`, oldest bar first."""
    now = now or timezone.now()
    step = timedelta(hours=1) if unit == "hour" else timedelta(days=1)
    buckets = rollups.connection_buckets(connection, unit, count, now=now)
    unchecked = [bucket.start for bucket in buckets if not bucket.checks]
    from_events = worst_from_events(connection, unchecked, step) if unit == "day" else {}
    bars = []
    for index, bucket in enumerate(buckets):
        counts = counts_of(bucket)
        derived = from_events.get(bucket.start, "none")
        if counts is None:
            worst = derived
        elif counts.worst is None:
            worst = "rate_limited"
        else:
            worst = counts.worst
        bars.append(
            Bar(
                start=bucket.start,
                ok=counts.ok if counts else 0,
                failed=counts.failed if counts else 0,
                rate_limited=counts.rate_limited if counts else 0,
                worst=worst,
                x=index * (BAR_WIDTH + BAR_GAP),
                from_events=counts is None and derived != "none",
                end=bucket.start + step,
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
