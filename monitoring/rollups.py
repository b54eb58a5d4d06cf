"""Rollups: how checks are counted into them, and the queries pages draw history from.

`add()` runs inside `transitions.record`'s transaction, in the same write as the checks: counted
in Python per (connection, hour), (connection, day), (day, customer, system, outcome, error code)
and (day, system, outcome, error code), then upserted in one statement on PostgreSQL. Kept in the
write rather than by a periodic job so a strip is exact the moment a check lands, with no
watermark to lose a late batch by.

Strips, charts and the per-customer health page read only what this module's query functions
return; none of them touches the raw checks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection as database
from django.db.models import Sum
from django.utils import timezone

from connections.tenancy import scoped
from health.vocabulary import Outcome
from monitoring.models import (
    CustomerDailyRollup,
    DailyRollup,
    HealthCheckRow,
    HourlyRollup,
    SystemDailyRollup,
)
from monitoring.models.rollups import OUTCOME_COLUMNS, WORST_ORDER, WORST_RANK

# A connection rollup's counts, in column order after (connection_id, bucket).
COUNT_COLUMNS = ("checks", *OUTCOME_COLUMNS, "worst", "latency_total_ms", "latency_max_ms")
OUTCOME_OFFSET = {outcome: 1 + index for index, outcome in enumerate(OUTCOME_COLUMNS)}
WORST, LATENCY_TOTAL, LATENCY_MAX = (COUNT_COLUMNS.index(c) for c in COUNT_COLUMNS[-3:])
# Neither a failure nor a success: the call was refused for now (the strip draws it apart).
NOT_FAILURES = (Outcome.OK, Outcome.RATE_LIMITED)


# -- Writing ------------------------------------------------------------------------------------


@dataclass
class Tally:
    """A write's checks counted into rollup deltas."""

    hourly: dict[tuple[int, datetime], list[int]]
    daily: dict[tuple[int, datetime], list[int]]
    customers: dict[tuple[date, int, str, str, str], int]
    systems: dict[tuple[date, str, str, str], int]


def tally(checks: Iterable[HealthCheckRow], owners: Mapping[int, tuple[int, str]]) -> Tally:
    """Count `checks` per bucket; `owners` maps each connection to its (customer id, system)."""
    counted = Tally({}, {}, defaultdict(int), defaultdict(int))
    hours: dict[datetime, tuple[datetime, datetime]] = {}
    for check in checks:
        if check.checked_at not in hours:  # a sweep's checks share one moment
            hour = check.checked_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            hours[check.checked_at] = hour, hour.replace(hour=0)
        hour, day = hours[check.checked_at]
        for buckets, bucket in ((counted.hourly, hour), (counted.daily, day)):
            counts = buckets.get((check.connection_id, bucket))
            if counts is None:
                counts = buckets[check.connection_id, bucket] = [0] * len(COUNT_COLUMNS)
            counts[0] += 1
            counts[OUTCOME_OFFSET[check.outcome]] += 1
            counts[WORST] = max(counts[WORST], WORST_RANK[check.status_after])
            counts[LATENCY_TOTAL] += check.latency_ms
            counts[LATENCY_MAX] = max(counts[LATENCY_MAX], check.latency_ms)
        customer_id, system = owners[check.connection_id]
        counted.customers[day.date(), customer_id, system, check.outcome, check.error_code] += 1
        counted.systems[day.date(), system, check.outcome, check.error_code] += 1
    return counted


def add(checks: Sequence[HealthCheckRow], owners: Mapping[int, tuple[int, str]]) -> None:
    """Count `checks` into the rollups: one statement on PostgreSQL, whatever the batch size.

    Rows are upserted in key order, so two writes that share a day's customer or system row lock
    them in the same order and never deadlock.
    """
    if not checks:
        return
    counted = tally(checks, owners)
    if database.vendor == "postgresql":
        _upsert_postgresql(counted)
    else:
        _upsert_rows(counted)


def _sum_columns(columns: Iterable[str], greatest: str) -> str:
    """SET clause adding the delta to the stored counts (and keeping the larger of the maxima)."""
    assignments = []
    for column in columns:
        if column in ("worst", "latency_max_ms"):
            assignments.append(f"{column} = {greatest}(r.{column}, EXCLUDED.{column})")
        else:
            assignments.append(f"{column} = r.{column} + EXCLUDED.{column}")
    return ", ".join(assignments)


CONNECTION_COLUMNS = ("connection_id", "bucket", *COUNT_COLUMNS)
CUSTOMER_COLUMNS = ("day", "customer_id", "system", "outcome", "error_code", "checks")
SYSTEM_COLUMNS = ("day", "system", "outcome", "error_code", "checks")


def _connection_upsert_postgresql(table: str, source: str) -> str:
    columns = ", ".join(CONNECTION_COLUMNS)
    return (
        f"INSERT INTO {table} AS r ({columns}) SELECT {columns} FROM {source} "  # noqa: S608 - our tables and columns
        f"ORDER BY connection_id, bucket ON CONFLICT (connection_id, bucket) DO UPDATE SET "
        f"{_sum_columns(COUNT_COLUMNS, 'greatest')}"
    )


def _pg_array(values: Iterable, kind: str) -> str:
    """A PostgreSQL array literal of `kind` elements, sent as one text parameter.

    psycopg adapts a list element by element in Python, about 1.5 ms per thousand; the sweep's
    write sends 35 such columns, so it builds the literal with str.join instead.
    """
    if kind == "text":
        values = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    elif kind in ("date", "timestamptz"):
        values = (v.isoformat() for v in values)
    else:
        values = map(str, values)
    return "{" + ",".join(values) + "}"


def _unnest(columns: Sequence[str], types: Sequence[str], rows: Sequence[Sequence]):
    """`unnest(%s::type[], ...) AS alias(columns)` and its parameters, one array per column."""
    placeholders = ", ".join(f"%s::{kind}[]" for kind in types)
    arrays = [
        _pg_array(column, kind) for column, kind in zip(zip(*rows, strict=True), types, strict=True)
    ]
    return f"unnest({placeholders}) AS d({', '.join(columns)})", arrays


def _tally_upsert(table: str, columns: Sequence[str], source: str, ordered: bool = True) -> str:
    key = ", ".join(columns[:-1])
    order = f" ORDER BY {key}" if ordered else ""
    return (
        f"INSERT INTO {table} AS r ({', '.join(columns)}) {source}{order} "  # noqa: S608 - our table and columns
        f"ON CONFLICT ({key}) DO UPDATE SET checks = r.checks + EXCLUDED.checks"
    )


def _upsert_postgresql(counted: Tally) -> None:
    with database.cursor() as cursor:
        cursor.execute(*upsert_statement(counted))


def upsert_statement(counted: Tally) -> tuple[str, list[str]]:
    """The one statement that adds a write's tallies to all four rollup tables (PostgreSQL)."""
    connection_types = ("bigint", "timestamptz", *["bigint"] * len(COUNT_COLUMNS))
    statements, params = [], []
    for model, deltas in ((HourlyRollup, counted.hourly), (DailyRollup, counted.daily)):
        rows, arrays = _unnest(
            CONNECTION_COLUMNS, connection_types, [(*key, *n) for key, n in deltas.items()]
        )
        statements.append(_connection_upsert_postgresql(model._meta.db_table, rows))
        params += arrays
    for model, columns, deltas in (
        (CustomerDailyRollup, CUSTOMER_COLUMNS, counted.customers),
        (SystemDailyRollup, SYSTEM_COLUMNS, counted.systems),
    ):
        types = ["date", *["text"] * (len(columns) - 2), "bigint"]
        if "customer_id" in columns:
            types[1] = "bigint"
        rows, arrays = _unnest(columns, types, [(*key, n) for key, n in deltas.items()])
        statements.append(
            _tally_upsert(model._meta.db_table, columns, f"SELECT {', '.join(columns)} FROM {rows}")  # noqa: S608 - our columns
        )
        params += arrays
    *ctes, last = statements
    sql = "WITH " + ", ".join(f"u{n} AS ({cte})" for n, cte in enumerate(ctes)) + f" {last}"
    return sql, params


def _upsert_rows(counted: Tally) -> None:
    """Other databases (SQLite): the same upserts, a statement per table, keys in order."""
    columns = ", ".join(CONNECTION_COLUMNS)
    placeholders = ", ".join(["%s"] * len(CONNECTION_COLUMNS))
    moment, day = database.ops.adapt_datetimefield_value, database.ops.adapt_datefield_value
    with database.cursor() as cursor:
        for model, deltas in ((HourlyRollup, counted.hourly), (DailyRollup, counted.daily)):
            cursor.executemany(
                f"INSERT INTO {model._meta.db_table} AS r ({columns}) VALUES ({placeholders}) "  # noqa: S608 - our tables and columns
                f"ON CONFLICT (connection_id, bucket) DO UPDATE SET "
                f"{_sum_columns(COUNT_COLUMNS, 'max')}",
                [(pk, moment(bucket), *counts) for (pk, bucket), counts in sorted(deltas.items())],
            )
        for model, tally_columns, deltas in (
            (CustomerDailyRollup, CUSTOMER_COLUMNS, counted.customers),
            (SystemDailyRollup, SYSTEM_COLUMNS, counted.systems),
        ):
            values = f"VALUES ({', '.join(['%s'] * len(tally_columns))})"
            cursor.executemany(
                _tally_upsert(model._meta.db_table, tally_columns, values, ordered=False),
                [(day(key[0]), *key[1:], n) for key, n in sorted(deltas.items())],
            )


# -- Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """One hour or day of one connection: its checks by outcome, worst status, latency."""

    start: datetime
    checks: int = 0
    outcomes: Mapping[str, int] | None = None
    worst: str | None = None  # a HealthStatus; None when nothing was checked
    latency_total_ms: int = 0
    latency_max_ms: int = 0

    def count(self, outcome: str) -> int:
        return (self.outcomes or {}).get(outcome, 0)

    @property
    def failures(self) -> int:
        """Checks that failed: every outcome but OK and rate-limited."""
        return self.checks - sum(self.count(outcome) for outcome in NOT_FAILURES)

    @property
    def latency_avg_ms(self) -> int | None:
        """Mean latency of the calls made (a check without a usable token makes none)."""
        calls = self.checks - self.count(Outcome.NO_TOKEN)
        return round(self.latency_total_ms / calls) if calls else None


def bucket_starts(unit: str, count: int, now: datetime | None = None) -> list[datetime]:
    """The last `count` hours or days up to and including the current one, oldest first."""
    now = (now or timezone.now()).astimezone(UTC)
    step = timedelta(hours=1) if unit == "hour" else timedelta(days=1)
    current = now.replace(minute=0, second=0, microsecond=0)
    if unit == "day":
        current = current.replace(hour=0)
    return [current - step * index for index in range(count - 1, -1, -1)]


def connection_buckets(
    connection, unit: str, count: int, *, now: datetime | None = None
) -> list[Bucket]:
    """The connection's last `count` hours (unit "hour") or days ("day"), oldest first; a bucket
    without checks is there too, with `worst` None. One indexed query."""
    starts = bucket_starts(unit, count, now)
    model = HourlyRollup if unit == "hour" else DailyRollup
    rows = model.objects.filter(connection=connection, bucket__gte=starts[0])
    found = {row.bucket: row for row in rows}
    return [_bucket(start, found.get(start)) for start in starts]


def _bucket(start: datetime, row) -> Bucket:
    if row is None:
        return Bucket(start)
    return Bucket(
        start=start,
        checks=row.checks,
        outcomes=row.outcomes,
        worst=WORST_ORDER[row.worst],
        latency_total_ms=row.latency_total_ms,
        latency_max_ms=row.latency_max_ms,
    )


@dataclass(frozen=True)
class DayCount:
    """One day of a group of connections: checks per outcome."""

    day: date
    outcomes: Mapping[str, int]

    @property
    def checks(self) -> int:
        return sum(self.outcomes.values())

    @property
    def failures(self) -> int:
        return self.checks - sum(self.outcomes.get(o, 0) for o in NOT_FAILURES)


def _days(days: int, now: datetime | None) -> list[date]:
    today = (now or timezone.now()).astimezone(UTC).date()
    return [today - timedelta(days=index) for index in range(days - 1, -1, -1)]


def _tallies(user, days: list[date], customer=None):
    """The day tallies `user` may see: the whole fleet's (the per-system table, a few dozen rows a
    day) for platform staff asking about no one customer; else one customer's (a member's own)."""
    if customer is None and getattr(user, "is_platform_staff", False) and user.is_active:
        rows = SystemDailyRollup.objects.all()
    else:
        rows = scoped(CustomerDailyRollup, user)
        if customer is not None:
            rows = rows.filter(customer=customer)
    return rows.filter(day__gte=days[0], day__lte=days[-1]).order_by()


def _per_day(rows, days: list[date]) -> dict[str, list[DayCount]]:
    counts: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for system, day, outcome, checks in rows.values_list("system", "day", "outcome").annotate(
        n=Sum("checks")
    ):
        counts[system][day][outcome] += checks
    return {
        system: [DayCount(day, dict(by_day.get(day, {}))) for day in days]
        for system, by_day in sorted(counts.items())
    }


def failures_per_day_by_system(
    user, *, days: int = 30, customer=None, now: datetime | None = None
) -> dict[str, list[DayCount]]:
    """Per system: each of the last `days` days' checks per outcome, oldest first. The whole
    fleet for platform staff, one customer's with `customer` (a member: always their own)."""
    span = _days(days, now)
    return _per_day(_tallies(user, span, customer), span)


def failures_per_day(
    user, *, days: int = 30, customer=None, now: datetime | None = None
) -> list[DayCount]:
    """Each of the last `days` days' checks per outcome over every system, oldest first (a
    customer's health page, with `customer`)."""
    span = _days(days, now)
    counts: dict = defaultdict(lambda: defaultdict(int))
    for day, outcome, checks in (
        _tallies(user, span, customer).values_list("day", "outcome").annotate(n=Sum("checks"))
    ):
        counts[day][outcome] += checks
    return [DayCount(day, dict(counts.get(day, {}))) for day in span]


@dataclass(frozen=True)
class ErrorCodeCount:
    error_code: str
    outcome: str
    checks: int


def top_error_codes(
    user, *, days: int = 30, customer=None, limit: int = 10, now: datetime | None = None
) -> list[ErrorCodeCount]:
    """The most frequent error codes of checks that were not OK (rate limits included, with their
    outcome to tell them apart) over the last `days` days, most frequent first."""
    rows = (
        _tallies(user, _days(days, now), customer)
        .exclude(outcome=Outcome.OK)
        .values_list("error_code", "outcome")
        .annotate(n=Sum("checks"))
        .order_by("-n", "error_code")[:limit]
    )
    return [ErrorCodeCount(code, outcome, checks) for code, outcome, checks in rows]
