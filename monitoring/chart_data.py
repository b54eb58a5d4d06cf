"""What the failure charts and the customer health page show, as small dataclasses from named
query functions. They read the error log and health checks for now; issue 17's rollups can
replace the queries here without touching the drawing (monitoring/charts.py).

Failures are error log rows other than rate limiting (a 429 says nothing about health). Closed
UTC days never change, so their counts are cached until the day rolls over; today's for a minute.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from connections.models import Customer
from connections.systems import System
from connections.tenancy import scoped
from health.vocabulary import Outcome
from monitoring.models import ErrorLog, HealthCheck

DAYS = 30
# Today's bar is at most this old: a chart of days needs no second-by-second count.
TODAY_TTL_SECONDS = 60
RATE_LIMITED = Q(error_code="RATE_LIMIT_EXCEEDED") | Q(http_status=429)


@dataclass(frozen=True)
class DailyFailures:
    """One system's or customer's failures per UTC day, oldest day first."""

    key: str
    label: str
    days: list[date]
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class CodeCount:
    code: str
    count: int


@dataclass(frozen=True)
class CheckShare:
    """A connection's checks over a period: OK, failed, and rate limited (inconclusive)."""

    ok: int = 0
    failed: int = 0
    rate_limited: int = 0

    @property
    def percent_ok(self) -> float | None:
        conclusive = self.ok + self.failed
        return round(100 * self.ok / conclusive, 1) if conclusive else None


def day_range(now: datetime, days: int = DAYS) -> list[date]:
    today = now.astimezone(UTC).date()
    return [today - timedelta(days=days - 1 - n) for n in range(days)]


def _failures(user, customer=None) -> QuerySet:
    errors = scoped(ErrorLog, user).exclude(RATE_LIMITED)
    return errors.filter(customer=customer) if customer is not None else errors


def _scope_key(user, customer) -> str:
    return f"c{customer.pk}" if customer is not None else (
        "all" if user.is_platform_staff else f"m{user.customer_id}"
    )  # fmt: skip


def _grouped(errors: QuerySet, fields: tuple[str, ...], start: datetime, end: datetime) -> list:
    return list(
        errors.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .order_by()
        .values_list("day", *fields)
        .annotate(n=Count("id"))
    )


def _by_day(user, fields: tuple[str, ...], customer, now: datetime, days: int) -> list[tuple]:
    """(day, *fields, count) rows for the period: closed days from cache, today live."""
    span = day_range(now, days)
    today_start = datetime.combine(span[-1], datetime.min.time(), tzinfo=UTC)
    start = datetime.combine(span[0], datetime.min.time(), tzinfo=UTC)
    errors = _failures(user, customer)
    key = f"chart:{'+'.join(fields)}:{_scope_key(user, customer)}:{span[0]}:{span[-1]}"
    closed = cache.get(key)
    if closed is None:
        closed = _grouped(errors, fields, start, today_start)
        cache.set(key, closed, timeout=24 * 3600)
    today = cache.get(f"{key}:today")
    if today is None:
        today = _grouped(errors, fields, today_start, now + timedelta(seconds=1))
        cache.set(f"{key}:today", today, timeout=TODAY_TTL_SECONDS)
    return closed + today


@dataclass(frozen=True)
class FailureBreakdown:
    """Failures per day per system, and the top error codes, from one grouped query."""

    by_system: list[DailyFailures]
    top_codes: list[CodeCount]


def failures_by_system_and_code(
    user, *, customer=None, now: datetime | None = None, days: int = DAYS, limit: int = 8
) -> FailureBreakdown:
    now = now or timezone.now()
    rows = _by_day(user, ("connection__system", "error_code"), customer, now, days)
    by_system = _series(
        [(day, system, n) for day, system, _, n in rows],
        day_range(now, days),
        lambda key: System(key).label if key in System.values else str(key),
    )
    totals: dict[str, int] = defaultdict(int)
    for _, _, code, n in rows:
        totals[code or "(no code)"] += n
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return FailureBreakdown(by_system, [CodeCount(code, n) for code, n in ranked])


def failures_per_day_by_customer(
    user, *, now: datetime | None = None, days: int = DAYS, limit: int = 10
) -> list[DailyFailures]:
    now = now or timezone.now()
    rows = _by_day(user, ("customer_id",), None, now, days)
    names = {pk: (slug, name) for pk, slug, name in scoped(Customer, user).values_list(
        "pk", "slug", "name")}  # fmt: skip
    series = _series(
        [row for row in rows if row[1] in names],  # a customer since deleted is left out
        day_range(now, days),
        lambda key: names.get(key, ("", "—"))[1],
        slug=lambda key: names.get(key, ("", ""))[0],
    )
    return series[:limit]


def _series(rows, span: list[date], label, slug=str) -> list[DailyFailures]:
    counts: dict[object, list[int]] = defaultdict(lambda: [0] * len(span))
    index = {day: n for n, day in enumerate(span)}
    for day, key, n in rows:
        if day in index and key is not None:
            counts[key][index[day]] += n
    series = [DailyFailures(slug(key), label(key), span, values) for key, values in counts.items()]
    return sorted(series, key=lambda s: (-s.total, s.label))


def check_shares(connection_ids, *, since: datetime) -> dict[int, CheckShare]:
    """OK / failed / rate-limited checks per connection since `since` (checks kept so far)."""
    rows = (
        HealthCheck.objects.filter(connection_id__in=list(connection_ids), checked_at__gte=since)
        .order_by()
        .values_list("connection_id")
        .annotate(
            ok=Count("id", filter=Q(outcome=Outcome.OK)),
            limited=Count("id", filter=Q(outcome=Outcome.RATE_LIMITED)),
            total=Count("id"),
        )
    )
    return {pk: CheckShare(ok, total - ok - limited, limited) for pk, ok, limited, total in rows}
