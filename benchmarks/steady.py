"""Issue 17: the dashboard in steady state, on a month of history.

Seeds 10,000 connections with 48 hours of raw checks (a check a minute each: 28.8 million rows),
30 days of rollups and 5,000,000 error log rows (PostgreSQL: each partition one INSERT ... SELECT
over generate_series; `--quick` and other databases: a small fleet through the ORM), then prints:

- the sweep's write per batch (`transitions.record` of 1,000 status calls) before any history
  and with the steady-state tables present;
- p50/p95 server time of each page through Django's test Client (as the dashboard benchmark
  does), and of the chart queries, timed from `monitoring.rollups` directly until the charts
  have pages of their own (issue 14);
- the time to drop one day of history (raw checks, error log, hourly rollups);
- the overview with the fleet grown to 100,000 connections;
- bytes per connection per day of each history table, tables and indexes.

Targets: every page p95 < 100 ms, request-id lookup p95 < 10 ms, dropping a day < 1 s.
"""

# ruff: noqa: S608 - the SQL names tables from the models.
from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from benchmarks import _steady_seed as seed
from benchmarks._support import percentile, report, scratch_database, timed

FULL = {
    "customers": 200,
    "connections": 10_000,
    "raw_hours": 48,
    "rollup_days": 30,
    "errors": 5_000_000,
    "overview": 100_000,
}
QUICK = {
    "customers": 10,
    "connections": 300,
    "raw_hours": 6,
    "rollup_days": 3,
    "errors": 3_000,
    "overview": 1_000,
}
REQUESTS = 50
PAGE_SIZE = 50
WRITE_ROUNDS = 3
TARGET_MS = 100.0
TARGETS_MS = {"request-id lookup": 10.0}
TARGET_DROP_S = 1.0


def run(args) -> None:
    sizes = QUICK if getattr(args, "quick", False) else FULL
    postgresql = connection.vendor == "postgresql"
    # A name of its own, so a concurrent run of another benchmark never clobbers this database.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"test_{connection.settings_dict['NAME']}_steady" if postgresql else None
    )
    with scratch_database():
        started = time.perf_counter()
        if postgresql:
            seed.seed_fleet(sizes)
        else:
            seed.seed_fleet_orm(sizes)
        make_support_user()
        empty = write_per_batch()
        clear_history()
        now = timezone.now()
        if postgresql:
            seed.seed_history(sizes, now)
            catch_up_issues()
        else:
            seed.seed_history_orm(sizes, now)
        raw = count_raw_checks()
        print(
            f"seeded {sizes['connections']:,} connections, {raw:,} raw health checks "
            f"({sizes['raw_hours']} h), {sizes['rollup_days']} days of rollups, "
            f"{sizes['errors']:,} error log rows in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        steady = write_per_batch()
        report_writes(empty, steady)
        misses = measure_pages(sizes)
        storage = storage_per_connection_day(sizes) if postgresql else None
        drop_seconds = drop_one_day(now)
        if drop_seconds >= TARGET_DROP_S:
            misses.append(f"dropping a day {drop_seconds:.2f} s >= {TARGET_DROP_S:.0f} s")
        seed.add_connections(sizes, sizes["overview"])
        misses += measure_overview_at(sizes["overview"])
        report_storage(storage)
    print("targets: " + ("all met" if not misses else "MISSED: " + "; ".join(misses)), flush=True)


def make_support_user():
    from connections.models import Role, User

    return User.objects.create_user("bench-support", role=Role.SUPPORT, password=None)


def catch_up_issues() -> None:
    """Writers record issues with their transitions; the SQL-seeded ones get theirs here."""
    from monitoring import issues
    from monitoring.models import ConnectionEvent

    issues.record(list(ConnectionEvent.objects.order_by("pk")))
    with connection.cursor() as cursor:  # as autovacuum would, once that many rows changed
        cursor.execute("ANALYZE monitoring_issue")


def clear_history() -> None:
    """What the write measurement before seeding left behind, so the seeded days load whole."""
    from monitoring.models import (
        ConnectionEvent,
        CustomerDailyRollup,
        DailyRollup,
        ErrorLog,
        HealthCheck,
        HourlyRollup,
        Issue,
        Notification,
        SystemDailyRollup,
    )

    models = [Notification, Issue, ConnectionEvent, HealthCheck, ErrorLog]
    models += [HourlyRollup, DailyRollup, CustomerDailyRollup, SystemDailyRollup]
    if connection.vendor == "postgresql":
        tables = ", ".join(model._meta.db_table for model in models)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} CASCADE")
        return
    for model in models:
        model.objects.all().delete()


def count_raw_checks() -> int:
    from monitoring.models import HealthCheck

    if connection.vendor != "postgresql":
        return HealthCheck.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(reltuples)::bigint FROM pg_class c JOIN pg_inherits i "
            "ON i.inhrelid = c.oid WHERE i.inhparent = 'monitoring_healthcheck'::regclass"
        )
        return cursor.fetchone()[0] or 0


def write_per_batch() -> list[float]:
    """Milliseconds per `transitions.record` of a sweep's batch of status calls, every batch of
    the fleet, WRITE_ROUNDS sweeps after one untimed; failures as the seeded classes of connection
    have them."""
    from connections.models import Connection
    from health.vocabulary import Outcome
    from monitoring import transitions
    from monitoring.models import Source
    from upstream.protocol import StatusResult

    ids = list(Connection.objects.order_by("pk").values_list("pk", flat=True))
    batch = settings.POLL_BATCH_SIZE
    failing = [
        (Outcome.UPSTREAM_ERROR, 503, "SYSTEM_UNAVAILABLE"),
        (Outcome.REAUTH, 401, "AUTHENTICATION_FAILED"),
        (Outcome.DISCONNECTED, 410, "CONNECTION_DISCONNECTED"),
    ]
    rng = random.Random(17)

    def result(index: int) -> StatusResult:
        klass = index % 100
        if klass < 85 or (klass < 90 and rng.random() < 0.5):
            return StatusResult(Outcome.OK, 200, f"req_{uuid.uuid4().hex[:24]}", 40)
        outcome, http_status, code = failing[klass % 3]
        return StatusResult(
            outcome, http_status, f"req_{uuid.uuid4().hex[:24]}", 60, error_code=code,
            message="The upstream answered with an error.",
        )  # fmt: skip

    times = []
    # A sweep first, untimed: the seeded statuses meet their first observations there (issues
    # opened, status changes written), so the rounds timed are the steady writes of any minute.
    for round_ in range(WRITE_ROUNDS + 1):
        sweep_id = uuid.uuid4()
        for first in range(0, len(ids), batch):
            observations = [
                transitions.Observation.of_status_call(pk, result(first + offset))
                for offset, pk in enumerate(ids[first : first + batch])
            ]
            started = time.perf_counter()
            transitions.record(observations, source=Source.POLL, sweep_id=sweep_id)
            if round_:
                times.append((time.perf_counter() - started) * 1000)
    return times


def report_writes(empty: list[float], steady: list[float]) -> None:
    from connections.models import Connection

    batch = min(settings.POLL_BATCH_SIZE, Connection.objects.count())
    report(f"sweep write per batch of {batch}, no history", empty)
    report(f"sweep write per batch of {batch}, steady state", steady)
    ratio = statistics.median(steady) / statistics.median(empty)
    print(f"sweep write steady / no history (median)   {ratio:5.2f}x", flush=True)


def measure_pages(sizes: dict) -> list[str]:
    from connections.keyset import encode_cursor
    from connections.models import Connection, Customer, User
    from monitoring import rollups
    from monitoring.models import ErrorLog

    user = User.objects.get(username="bench-support")
    client = Client()
    client.force_login(user)
    rng = random.Random(7)
    connection_ids = list(Connection.objects.order_by("?").values_list("pk", flat=True)[:REQUESTS])
    # Request ids of the last day: lookups by id, as support pastes them from a fresh report.
    request_ids = list(
        ErrorLog.objects.filter(created_at__gte=timezone.now() - timedelta(days=1))
        .order_by("?")
        .values_list("request_id", flat=True)[:REQUESTS]
    )
    depth = min(500, sizes["errors"] // PAGE_SIZE)
    deep = ErrorLog.objects.newest_first()[(depth - 1) * PAGE_SIZE - 1]
    customers = list(Customer.objects.order_by("?")[:REQUESTS])
    pages = {
        "overview": lambda: reverse("home"),
        "filtered overview": lambda: reverse("home") + rng.choice(FILTERS),
        "connection detail (both strips)": lambda: reverse(
            "connection_detail", args=[rng.choice(connection_ids)]
        ),
        "request-id lookup": lambda: (
            f"{reverse('request_search')}?request_id={rng.choice(request_ids)}"
        ),
        "error log page 1": lambda: reverse("error_list"),
        f"error log page {depth}": lambda: f"{reverse('error_list')}?before={encode_cursor(deep)}",
        "issues queue": lambda: reverse("issue_list"),
    }
    misses = [miss for label, url in pages.items() if (miss := measure_page(client, label, url))]
    charts = {
        "chart: fleet failures per day by system": lambda: rollups.failures_per_day_by_system(user),
        "chart: fleet top error codes": lambda: rollups.top_error_codes(user),
        "chart: a customer's failures per day by system": lambda: (
            rollups.failures_per_day_by_system(user, customer=rng.choice(customers))
        ),
        "chart: a customer's top error codes": lambda: rollups.top_error_codes(
            user, customer=rng.choice(customers)
        ),
        "chart: one connection's 30 days": lambda: rollups.connection_buckets(
            rng.choice(connection_ids), "day", 30
        ),
    }
    print("charts, timed from monitoring.rollups directly (no chart page yet):", flush=True)
    for label, query in charts.items():
        for _ in range(3):
            query()
        times = timed(query, REQUESTS)
        report(label, times)
        if (p95 := percentile(times, 0.95)) >= TARGET_MS:
            misses.append(f"{label} p95 {p95:.1f} ms >= {TARGET_MS:.0f} ms")
    return misses


FILTERS = [
    "?status=error&environment=production",
    "?q=Plant 12&sort=-since",
    "?status=reauth_required&system=fiix&page=2",
    "?environment=sandbox&sort=customer",
]


def measure_page(client: Client, label: str, url) -> str:
    for _ in range(3):  # warm up caches and connections, as a running server would be
        client.get(url())
    statuses = []

    def one() -> None:
        statuses.append(client.get(url()).status_code)

    times = timed(one, REQUESTS)
    assert set(statuses) <= {200, 302}, (label, set(statuses))
    report(label, times)
    target = TARGETS_MS.get(label, TARGET_MS)
    if (p95 := percentile(times, 0.95)) >= target:
        return f"{label} p95 {p95:.1f} ms >= {target:.0f} ms"
    return ""


def measure_overview_at(total: int) -> list[str]:
    from connections.models import User

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE connections_connection")
    client = Client()
    client.force_login(User.objects.get(username="bench-support"))
    rng = random.Random(11)
    misses = [
        measure_page(client, f"overview, {total:,} connections", lambda: reverse("home")),
        measure_page(
            client,
            f"filtered overview, {total:,} connections",
            lambda: reverse("home") + rng.choice(FILTERS),
        ),
    ]
    return [miss for miss in misses if miss]


def drop_one_day(now: datetime) -> float:
    """Seconds to drop one whole day of history: yesterday's raw checks (a full day) and hourly
    rollups, partitions of a day each (elsewhere: DELETE of that day's rows). The error log's
    partitions hold a week: dropping its oldest is timed on a line of its own."""
    from monitoring import partitions
    from monitoring.models import HealthCheck, HourlyRollup

    day = partitions.HEALTH_CHECKS.floor(now - timedelta(days=1))
    if not partitions.enabled():
        started = time.perf_counter()
        next_day = day + timedelta(days=1)
        HealthCheck.objects.filter(checked_at__gte=day, checked_at__lt=next_day).delete()
        HourlyRollup.objects.filter(bucket__gte=day, bucket__lt=next_day).delete()
        seconds = time.perf_counter() - started
        print(f"drop one day of history (DELETE, {connection.vendor}): {seconds:.3f} s")
        return seconds
    timings = []
    for table in (partitions.HEALTH_CHECKS, partitions.HOURLY_ROLLUPS):
        timings += [_timed_drop(table, p) for p in partitions.partitions(table) if p.start == day]
    detach = sum(t[2] for t in timings)
    seconds = sum(t[2] + t[3] for t in timings)
    detail = ", ".join(
        f"{name} {rows:,} rows: detach {held * 1000:.0f} ms, drop {freed * 1000:.0f} ms"
        for name, rows, held, freed in timings
    )
    print(
        f"drop one day of history ({day:%Y-%m-%d}): {seconds:.3f} s, of which the live tables "
        f"waited {detach * 1000:.0f} ms  ({detail})",
        flush=True,
    )
    oldest = partitions.partitions(partitions.ERROR_LOG)[0]
    name, rows, held, freed = _timed_drop(partitions.ERROR_LOG, oldest)
    print(
        f"drop the oldest week of the error log: {held + freed:.3f} s  ({name} {rows:,} rows)",
        flush=True,
    )
    return seconds


def _timed_drop(table, partition) -> tuple[str, int, float, float]:
    from monitoring import partitions

    rows = _estimated_rows(partition.name)
    held, freed = partitions.drop(table, partition)
    return table.name, rows, held, freed


def _estimated_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def storage_per_connection_day(sizes: dict) -> list[tuple[str, float, float]]:
    """(table, bytes per connection per day held, days kept at the default retention)."""
    from monitoring import partitions

    held_days = {
        partitions.HEALTH_CHECKS.name: sizes["raw_hours"] / 24,
        partitions.ERROR_LOG.name: sizes["rollup_days"],
        partitions.HOURLY_ROLLUPS.name: sizes["rollup_days"],
        partitions.DAILY_ROLLUPS.name: sizes["rollup_days"],
        partitions.CUSTOMER_ROLLUPS.name: sizes["rollup_days"],
        partitions.SYSTEM_ROLLUPS.name: sizes["rollup_days"],
    }
    kept_days = {
        partitions.HEALTH_CHECKS.name: settings.HEALTH_CHECK_RETENTION_HOURS / 24,
        partitions.ERROR_LOG.name: settings.ERROR_LOG_RETENTION_DAYS,
        partitions.HOURLY_ROLLUPS.name: settings.ROLLUP_RETENTION_DAYS,
        partitions.DAILY_ROLLUPS.name: settings.ROLLUP_RETENTION_DAYS,
        partitions.CUSTOMER_ROLLUPS.name: settings.ROLLUP_RETENTION_DAYS,
        partitions.SYSTEM_ROLLUPS.name: settings.ROLLUP_RETENTION_DAYS,
    }
    rows = []
    with connection.cursor() as cursor:
        for table, days in held_days.items():
            cursor.execute(
                "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) "
                "FROM pg_partition_tree(%s::regclass)",
                [table],
            )
            total = int(cursor.fetchone()[0])
            rows.append((table, total / sizes["connections"] / days, kept_days[table]))
    return rows


def report_storage(rows: list[tuple[str, float, float]] | None) -> None:
    if rows is None:
        print("bytes per connection per day: measured on PostgreSQL only", flush=True)
        return
    for table, per_day, kept in rows:
        print(
            f"bytes per connection per day  {table:<30} {per_day:10,.0f}   "
            f"kept {kept:g} days: {per_day * kept / 1024:8,.0f} KiB per connection",
            flush=True,
        )
    written = sum(per_day for _, per_day, _ in rows)
    kept = sum(per_day * days for _, per_day, days in rows)
    print(
        f"bytes per connection per day  {'all history tables':<30} {written:10,.0f}   "
        f"kept at default retention: {kept / 1024:8,.0f} KiB per connection",
        flush=True,
    )
