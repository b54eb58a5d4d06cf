"""Time partitions of the history tables on PostgreSQL (declarative partitioning).

Raw checks, the error log and the rollups are each split by ranges of their time column, a day,
a week or a month per partition. A beat task creates partitions ahead of time (`create_ahead`);
retention drops whole partitions once past their retention (`drop_expired`): a catalog change,
where a DELETE of a day of checks would rewrite and vacuum millions of rows. A DEFAULT partition
takes rows outside every range (a clock far off, a test travelling in time), so a write never
fails for want of a partition; creating a partition first moves its rows out of the default.

Unique constraints of a partitioned table must include the partition key, so each partition
carries its own primary key on `id`, and raw checks their own unique (sweep, connection) index.

On other databases the tables stay plain and `monitoring.retention` deletes old rows instead.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)

LOCK_TIMEOUT = "2s"
LOCK_ATTEMPTS = 5
LOCK_NOT_AVAILABLE = "55P03"


@dataclass(frozen=True)
class PartitionedTable:
    name: str
    key: str
    span: str  # "day", "week" (from Monday) or "month"
    retention: Callable[[], timedelta]
    keyed_by_date: bool = False
    # Each partition's own primary key and unique indexes (they do not include the key).
    local_primary_key: tuple[str, ...] = ()
    local_unique: tuple[tuple[str, ...], ...] = ()
    # Rollup rows are updated in place by every write: room on the page keeps the new version
    # there (a HOT update, no index entry), where a full page moves it and indexes it again.
    fillfactor: int = 100

    @property
    def storage(self) -> str:
        return f" WITH (fillfactor = {self.fillfactor})" if self.fillfactor != 100 else ""

    def floor(self, moment: datetime) -> date | datetime:
        """The start of the partition `moment` falls in."""
        day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
        if self.span == "month":
            day = day.replace(day=1)
        elif self.span == "week":
            day -= timedelta(days=day.weekday())
        return day if self.keyed_by_date else datetime(day.year, day.month, day.day, tzinfo=UTC)

    def following(self, start: date | datetime) -> date | datetime:
        if self.span in ("day", "week"):
            return start + timedelta(days=1 if self.span == "day" else 7)
        year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        return start.replace(year=year, month=month, day=1)

    def cutoff(self, now: datetime) -> date | datetime:
        """Rows before this are past retention."""
        moment = now - self.retention()
        return moment.astimezone(UTC).date() if self.keyed_by_date else moment

    def partition_name(self, start: date | datetime) -> str:
        return f"{self.name}_p{start:%Y%m%d}"

    @property
    def default_name(self) -> str:
        return f"{self.name}_default"

    @property
    def legacy_name(self) -> str:
        return f"{self.name}_legacy"


def _hours(setting: str) -> Callable[[], timedelta]:
    return lambda: timedelta(hours=getattr(settings, setting))


def _days(setting: str) -> Callable[[], timedelta]:
    return lambda: timedelta(days=getattr(settings, setting))


HEALTH_CHECKS = PartitionedTable(
    "monitoring_healthcheck",
    "checked_at",
    "day",
    _hours("HEALTH_CHECK_RETENTION_HOURS"),
    local_primary_key=("id",),
    local_unique=(("sweep_id", "connection_id"),),
)
# A week per partition: the error log is read without a time bound (a request id, a
# connection's latest errors) and a query plans every partition it cannot rule out.
ERROR_LOG = PartitionedTable(
    "monitoring_errorlog",
    "created_at",
    "week",
    _days("ERROR_LOG_RETENTION_DAYS"),
    local_primary_key=("id",),
)
HOURLY_ROLLUPS = PartitionedTable(
    "monitoring_hourlyrollup", "bucket", "day", _days("ROLLUP_RETENTION_DAYS"), fillfactor=70
)
DAILY_ROLLUPS = PartitionedTable(
    "monitoring_dailyrollup", "bucket", "month", _days("ROLLUP_RETENTION_DAYS"), fillfactor=70
)
CUSTOMER_ROLLUPS = PartitionedTable(
    "monitoring_customerdailyrollup",
    "day",
    "month",
    _days("ROLLUP_RETENTION_DAYS"),
    keyed_by_date=True,
    fillfactor=70,
)
SYSTEM_ROLLUPS = PartitionedTable(
    "monitoring_systemdailyrollup",
    "day",
    "month",
    _days("ROLLUP_RETENTION_DAYS"),
    keyed_by_date=True,
    fillfactor=50,
)
TABLES = (HEALTH_CHECKS, ERROR_LOG, HOURLY_ROLLUPS, DAILY_ROLLUPS, CUSTOMER_ROLLUPS, SYSTEM_ROLLUPS)


@dataclass(frozen=True)
class Partition:
    name: str
    start: date | datetime | None  # None: from the beginning of time (MINVALUE)
    end: date | datetime | None  # None: the default partition
    is_default: bool = False

    def overlaps(self, start, end) -> bool:
        if self.is_default:
            return False
        return (self.start is None or self.start < end) and (self.end is None or start < self.end)


def enabled() -> bool:
    return connection.vendor == "postgresql"


def is_partitioned(table: PartitionedTable) -> bool:
    if not enabled():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table.name]
        )
        return cursor.fetchone() is not None


def partitions(table: PartitionedTable) -> list[Partition]:
    """The table's partitions, oldest first, the default last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [table.name],
        )
        found = [_parse_bound(table, name, bound) for name, bound in cursor.fetchall()]
    return sorted(found, key=lambda p: (p.is_default, p.start is not None, p.start or 0))


BOUND = re.compile(r"FOR VALUES FROM \((.+)\) TO \((.+)\)")


def _parse_bound(table: PartitionedTable, name: str, bound: str) -> Partition:
    if bound == "DEFAULT":
        return Partition(name, None, None, is_default=True)
    match = BOUND.fullmatch(bound)
    if match is None:
        raise ValueError(f"{name}: unexpected partition bound {bound!r}")
    start, end = (_parse_value(table, value) for value in match.groups())
    return Partition(name, start, end)


def _parse_value(table: PartitionedTable, value: str):
    if value in ("MINVALUE", "MAXVALUE"):
        return None
    text = value.strip("'")
    return date.fromisoformat(text) if table.keyed_by_date else datetime.fromisoformat(text)


def _literal(value: date | datetime) -> str:
    return f"'{value.isoformat()}'"


def _run_with_lock_retries(work: Callable[[object], None], what: str) -> None:
    """Run DDL that needs a lock on a busy table: wait at most LOCK_TIMEOUT, then try again.

    A long wait would queue every reader and writer behind it; a short one, retried, slips in
    between a sweep's transactions.
    """
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                work(cursor)
            return
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            if attempt == LOCK_ATTEMPTS:
                raise
            logger.info("%s: table busy, attempt %s of %s", what, attempt, LOCK_ATTEMPTS)
            time.sleep(0.5 * attempt)


def _add_local_keys(cursor, table: PartitionedTable, name: str) -> None:
    quote = connection.ops.quote_name
    if table.local_primary_key:
        columns = ", ".join(map(quote, table.local_primary_key))
        cursor.execute(f"ALTER TABLE {quote(name)} ADD PRIMARY KEY ({columns})")
    for index, columns in enumerate(table.local_unique):
        cursor.execute(
            f"CREATE UNIQUE INDEX {quote(f'{name}_u{index}')} ON {quote(name)} "
            f"({', '.join(map(quote, columns))})"
        )


Fill = Callable[[object, str, date | datetime, date | datetime], None]


def create(table: PartitionedTable, start: date | datetime, fill: Fill | None = None) -> str:
    """Create the partition starting at `start`, with any rows the default holds for its range
    (or, for a bulk load, the rows `fill(cursor, name, start, end)` inserts).

    Built as a table of its own, filled, given its keys and then attached: ATTACH takes a lock
    that lets reads and writes of the parent go on, where CREATE TABLE ... PARTITION OF would
    stop them; keys built after the rows are one sort instead of a row-by-row insertion.
    """
    quote = connection.ops.quote_name
    end = table.following(start)
    name = table.partition_name(start)

    def work(cursor) -> None:
        cursor.execute(
            f"CREATE TABLE {quote(name)} (LIKE {quote(table.name)} INCLUDING DEFAULTS "
            f"INCLUDING CONSTRAINTS INCLUDING STORAGE){table.storage}"
        )
        (fill or _move_from_default(table))(cursor, name, start, end)
        _add_local_keys(cursor, table, name)
        cursor.execute(
            f"ALTER TABLE {quote(table.name)} ATTACH PARTITION {quote(name)} "
            f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(end)})"
        )

    _run_with_lock_retries(work, f"create {name}")
    return name


def _move_from_default(table: PartitionedTable) -> Fill:
    def move(cursor, name: str, start, end) -> None:
        if not any(p.is_default for p in partitions(table)):
            return
        quote = connection.ops.quote_name
        default, key = quote(table.default_name), quote(table.key)
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE {key} >= %s AND {key} < %s "  # noqa: S608 - our tables; values are parameters
            f"RETURNING *) INSERT INTO {quote(name)} SELECT * FROM moved",
            [start, end],
        )

    return move


def drop(table: PartitionedTable, partition: Partition) -> tuple[float, float]:
    """Drop one partition: its rows go with its files, whatever their number.

    Detached first, which holds the partitioned table for a moment; then dropped on its own, so
    freeing gigabytes of files (slow where the disk discards them as they go) holds nothing the
    sweep or a page waits on. Returns the seconds each step took.
    """
    quote = connection.ops.quote_name
    started = time.perf_counter()
    _run_with_lock_retries(
        lambda cursor: cursor.execute(
            f"ALTER TABLE {quote(table.name)} DETACH PARTITION {quote(partition.name)}"
        ),
        f"detach {partition.name}",
    )
    detached = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {quote(partition.name)}")
    return detached - started, time.perf_counter() - detached


def _detached(table: PartitionedTable) -> list[str]:
    """Partitions detached but not dropped (a retention run stopped between its two steps)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname ~ %s AND relkind = 'r' "
            "AND NOT relispartition AND pg_table_is_visible(oid)",
            [f"^{re.escape(table.name)}_p[0-9]{{8}}$"],
        )
        return [row[0] for row in cursor.fetchall()]


def create_default(table: PartitionedTable) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {quote(table.default_name)} PARTITION OF {quote(table.name)} DEFAULT"
            f"{table.storage}"
        )
        _add_local_keys(cursor, table, table.default_name)


def periods(table: PartitionedTable, first: datetime, last: datetime) -> Iterator:
    """The starts of every partition period from the one holding `first` to the one holding
    `last`."""
    start = table.floor(first)
    while start <= table.floor(last):
        yield start
        start = table.following(start)


def ensure(table: PartitionedTable, first: datetime, last: datetime) -> list[str]:
    """Create the missing partitions for the periods from `first` to `last`."""
    existing = partitions(table)
    created = []
    for start in periods(table, first, last):
        end = table.following(start)
        if not any(p.overlaps(start, end) for p in existing):
            created.append(create(table, start))
    return created


def create_ahead(now: datetime | None = None) -> list[str]:
    """Beat, hourly: every table has its partitions from now to HISTORY_PARTITIONS_AHEAD_DAYS on."""
    if not enabled():
        return []
    now = now or datetime.now(UTC)
    ahead = now + timedelta(days=settings.HISTORY_PARTITIONS_AHEAD_DAYS)
    return [name for table in TABLES for name in ensure(table, now, ahead)]


def drop_expired(now: datetime | None = None) -> dict[str, int]:
    """Drop every partition wholly past its table's retention; delete such rows from the default.

    Returns how many partitions each table lost.
    """
    if not enabled():
        return {}
    now = now or datetime.now(UTC)
    quote = connection.ops.quote_name
    dropped: dict[str, int] = {}
    for table in TABLES:
        cutoff = table.cutoff(now)
        expired = [p for p in partitions(table) if not p.is_default and p.end and p.end <= cutoff]
        for partition in expired:
            drop(table, partition)
        for name in _detached(table):
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {quote(name)}")
        dropped[table.name] = len(expired)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {quote(table.default_name)} WHERE {quote(table.key)} < %s",  # noqa: S608 - our table; the cutoff is a parameter
                [cutoff],
            )
    return dropped
