"""Seeding for the steady-state benchmark: a fleet with its history, as SQL on PostgreSQL.

Every history partition is loaded the way `monitoring.partitions.create` builds one: a bare
table filled by one INSERT ... SELECT over generate_series, then its keys, then attached (which
builds the partitioned table's indexes on it in one sort each). Other databases (the test
suite's `--quick` run on SQLite) get a small fleet through the ORM and the one writer.
"""

# ruff: noqa: S608 - the SQL names tables from the models and binds every value.
from __future__ import annotations

import dataclasses
import math
import random
import uuid
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

SYSTEMS = ["sap_s4hana", "sap_ecc", "ibm_maximo", "fiix", "netsuite", "dynamics_365", "upkeep"]
# Per connection class (g % 100): its status, and the failure its unhealthy checks show.
STATUS_SQL = """CASE WHEN {g} %% 100 < 85 THEN 'healthy' WHEN {g} %% 100 < 90 THEN 'degraded'
    WHEN {g} %% 100 < 94 THEN 'error' WHEN {g} %% 100 < 97 THEN 'reauth_required'
    WHEN {g} %% 100 < 99 THEN 'disconnected' ELSE 'unknown' END"""
ERROR_CODES = [
    ("SYSTEM_UNAVAILABLE", "api_error", 503),
    ("INTERNAL_ERROR", "api_error", 500),
    ("RATE_LIMIT_EXCEEDED", "rate_limit_error", 429),
    ("AUTHENTICATION_FAILED", "authentication_error", 401),
    ("PERMISSION_DENIED", "permission_error", 403),
]


def seed_fleet(sizes: dict, *, first_index: int = 0, customers: bool = True) -> None:
    """Customers and `sizes['connections']` connections (numbered from `first_index`)."""
    from connections.models import Connection, Customer

    customer, fleet = Customer._meta.db_table, Connection._meta.db_table
    statements = []
    if customers:
        statements.append(
            f"""INSERT INTO {customer} (name, slug, contact_email, notification_webhook_url,
                    created_at)
                SELECT 'Customer ' || g, 'customer-' || g, 'ops@customer-' || g || '.example', '',
                       now() FROM generate_series(1, %(customers)s) g"""
        )
    statements.append(
        f"""INSERT INTO {fleet} (customer_id, system, environment, upstream_id, display_name,
                health_status, status_changed_at, last_checked_at, last_success_at,
                consecutive_failures, created_at)
            SELECT (SELECT min(id) FROM {customer}) + g %% %(customers)s,
                   (ARRAY{SYSTEMS!r})[1 + g %% {len(SYSTEMS)}],
                   (ARRAY['production', 'sandbox', 'development'])[1 + (g / 7) %% 3],
                   'conn_steady_' || g, 'Plant ' || g || ' ERP', {STATUS_SQL.format(g="g")},
                   now() - (g %% 5000) * interval '1 minute',
                   now() - (g %% 60) * interval '1 second',
                   now() - (g %% 60) * interval '1 second', 0, now() - interval '90 days'
            FROM generate_series(%(first)s, %(first)s + %(connections)s - 1) g"""
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, {**sizes, "first": first_index})
        cursor.execute(f"ANALYZE {customer}, {fleet}")


def load_partition(table, start, columns: str, fill_sql: str, params: dict) -> None:
    """(Re)create `table`'s partition starting at `start` with the rows `fill_sql` selects."""
    from monitoring import partitions

    for existing in partitions.partitions(table):
        if existing.start == start and not existing.is_default:
            partitions.drop(table, existing)

    def fill(cursor, name, first, end):
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(name)} ({columns}) {fill_sql}",
            {**params, "start": first, "end": end},
        )

    partitions.create(table, start, fill)


def seed_history(sizes: dict, now: datetime) -> None:
    """Raw checks for the last `raw_hours`, hourly rollups (and from them daily, customer and
    system ones)
    for `rollup_days`, `errors` error log rows over the same days, a status change per unhealthy
    connection."""
    from connections.models import Connection
    from monitoring import partitions
    from monitoring.models import (
        ConnectionEvent,
        CustomerDailyRollup,
        DailyRollup,
        HealthCheck,
        HourlyRollup,
        SystemDailyRollup,
    )

    fleet = Connection._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("SET work_mem = '64MB'")
        cursor.execute(f"SELECT min(id) FROM {fleet}")
        (c0,) = cursor.fetchone()
    n = sizes["connections"]
    raw_start = (now - timedelta(hours=sizes["raw_hours"])).replace(second=0, microsecond=0)
    params = {"c0": c0, "n": n, "now": now, "raw_start": raw_start}
    status = STATUS_SQL.format(g="c")
    # A check per connection per minute (a sweep): each class of connection fails as its status
    # says (a healthy one once in a hundred checks, a degraded one every other check).
    seen = """CASE WHEN klass = 'healthy' THEN CASE WHEN h = 0 THEN 2 ELSE 1 END
        WHEN klass = 'degraded' THEN CASE WHEN h < 50 THEN 2 ELSE 1 END
        WHEN klass = 'error' THEN 3 WHEN klass = 'reauth_required' THEN 4
        WHEN klass = 'disconnected' THEN 5 ELSE 6 END"""
    checks_columns = (
        "id, connection_id, checked_at, sweep_id, source, outcome, status_after, latency_ms, "
        "http_status, error_code, request_id"
    )
    checks_sql = f"""
        SELECT m * %(n)s + c, %(c0)s + c, at + c * interval '3 milliseconds',
               ('00000000-0000-4000-8000-' || lpad(to_hex(m), 12, '0'))::uuid, 'poll',
               (ARRAY['ok', 'upstream_error', 'upstream_error', 'reauth', 'disconnected',
                      'rate_limited'])[i],
               (ARRAY['healthy', 'degraded', 'error', 'reauth_required', 'disconnected',
                      'unknown'])[i],
               20 + (c * 37 + m * 11) %% 900, (ARRAY[200, 503, 500, 401, 410, 429])[i],
               (ARRAY['', 'SYSTEM_UNAVAILABLE', 'INTERNAL_ERROR', 'AUTHENTICATION_FAILED',
                      'CONNECTION_DISCONNECTED', 'RATE_LIMIT_EXCEEDED'])[i],
               'req_' || substr(md5(m || '-' || c), 1, 24)
        FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 minute',
                             interval '1 minute') at
        CROSS JOIN LATERAL (SELECT (extract(epoch FROM at - %(raw_start)s) / 60)::bigint AS m) mm
        CROSS JOIN generate_series(0, %(n)s - 1) c
        CROSS JOIN LATERAL (SELECT {status} AS klass, (c * 7919 + m * 104729) %% 100 AS h) k
        CROSS JOIN LATERAL (SELECT {seen} AS i) seen
        WHERE at >= %(raw_start)s AND at < %(now)s"""
    for start in partitions.periods(partitions.HEALTH_CHECKS, raw_start, now):
        load_partition(partitions.HEALTH_CHECKS, start, checks_columns, checks_sql, params)

    rollup_start = partitions.HOURLY_ROLLUPS.floor(now - timedelta(days=sizes["rollup_days"] - 1))
    hourly_columns = (
        "connection_id, bucket, checks, ok, reauth, permission, rate_limited, upstream_error, "
        "unreachable, protocol_error, disconnected, no_token, worst, latency_total_ms, "
        "latency_max_ms"
    )
    # Sixty checks an hour; the classes fail as the raw checks do. Worst as WORST_ORDER ranks.
    hourly_sql = f"""
        SELECT %(c0)s + c, hour, 60, 60 - f.upstream - f.reauth - f.gone - f.limited, f.reauth, 0,
               f.limited, f.upstream, 0, 0, f.gone, 0,
               CASE k.klass WHEN 'healthy' THEN CASE WHEN f.upstream > 0 THEN 2 ELSE 0 END
                    WHEN 'degraded' THEN 2 WHEN 'error' THEN 5 WHEN 'reauth_required' THEN 3
                    WHEN 'disconnected' THEN 4 ELSE 1 END,
               60 * (20 + c %% 400), 320 + c %% 400
        FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 hour',
                             interval '1 hour') hour
        CROSS JOIN generate_series(0, %(n)s - 1) c
        CROSS JOIN LATERAL (SELECT {status} AS klass,
                                   (c * 31 + extract(hour FROM hour)::int) %% 60 AS h) k
        CROSS JOIN LATERAL (SELECT
            CASE k.klass WHEN 'healthy' THEN (k.h = 0)::int WHEN 'degraded' THEN 30
                 WHEN 'error' THEN 60 ELSE 0 END AS upstream,
            CASE WHEN k.klass = 'reauth_required' THEN 60 ELSE 0 END AS reauth,
            CASE WHEN k.klass = 'disconnected' THEN 60 ELSE 0 END AS gone,
            CASE WHEN k.klass = 'unknown' THEN 60 ELSE 0 END AS limited) f
        WHERE hour <= %(now)s"""
    for start in partitions.periods(partitions.HOURLY_ROLLUPS, rollup_start, now):
        load_partition(partitions.HOURLY_ROLLUPS, start, hourly_columns, hourly_sql, params)

    # Rows in the order the sweep's writes would have made them: a day's rows, connection after
    # connection, so a batch's updates share pages (a scattered seed costs each write a page image
    # per row in the write-ahead log after every checkpoint).
    hourly, daily = HourlyRollup._meta.db_table, DailyRollup._meta.db_table
    counts = ["checks", "ok", "reauth", "permission", "rate_limited", "upstream_error",
              "unreachable", "protocol_error", "disconnected", "no_token"]  # fmt: skip
    with connection.cursor() as cursor:
        for table in (
            partitions.DAILY_ROLLUPS,
            partitions.CUSTOMER_ROLLUPS,
            partitions.SYSTEM_ROLLUPS,
        ):
            partitions.ensure(table, rollup_start, now)
        cursor.execute(
            f"""INSERT INTO {daily} (connection_id, bucket, {", ".join(counts)}, worst,
                    latency_total_ms, latency_max_ms)
                SELECT connection_id, date_trunc('day', bucket, 'UTC'),
                       {", ".join(f"sum({c})" for c in counts)}, max(worst),
                       sum(latency_total_ms), max(latency_max_ms)
                FROM {hourly} GROUP BY 1, 2 ORDER BY 2, 1"""
        )
        cursor.execute(
            f"""INSERT INTO {CustomerDailyRollup._meta.db_table}
                    (day, customer_id, system, outcome, error_code, checks)
                SELECT (d.bucket AT TIME ZONE 'UTC')::date, c.customer_id, c.system, v.outcome,
                       v.code, sum(v.n)
                FROM {daily} d JOIN {fleet} c ON c.id = d.connection_id
                CROSS JOIN LATERAL (VALUES
                    ('ok', '', d.ok),
                    ('upstream_error', 'SYSTEM_UNAVAILABLE',
                     d.upstream_error - d.upstream_error / 3),
                    ('upstream_error', 'INTERNAL_ERROR', d.upstream_error / 3),
                    ('reauth', 'AUTHENTICATION_FAILED', d.reauth),
                    ('disconnected', 'CONNECTION_DISCONNECTED', d.disconnected),
                    ('rate_limited', 'RATE_LIMIT_EXCEEDED', d.rate_limited)) v(outcome, code, n)
                WHERE v.n > 0 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"""
        )
        cursor.execute(
            f"""INSERT INTO {SystemDailyRollup._meta.db_table}
                    (day, system, outcome, error_code, checks)
                SELECT day, system, outcome, error_code, sum(checks)
                FROM {CustomerDailyRollup._meta.db_table} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"""
        )

    # `errors` rows evenly over the days, round-robin over connections and error codes.
    errors_columns = (
        "id, created_at, customer_id, connection_id, source, http_status, error_code, "
        "error_type, message, request_id, raw_body"
    )
    errors_sql = f"""
        SELECT g, %(first_error)s + g * %(spacing)s * interval '1 second', c.customer_id, c.id,
               'poll', (ARRAY{[e[2] for e in ERROR_CODES]!r})[1 + g %% 5],
               (ARRAY{[e[0] for e in ERROR_CODES]!r})[1 + g %% 5],
               (ARRAY{[e[1] for e in ERROR_CODES]!r})[1 + g %% 5],
               'The upstream answered with an error.', 'req_' || substr(md5('e' || g), 1, 24),
               '{{"error": {{"code": "SYSTEM_UNAVAILABLE"}}}}'
        FROM generate_series(%(low)s::bigint, %(high)s::bigint - 1) g
        JOIN {fleet} c ON c.id = %(c0)s + (g * 7919) %% %(n)s"""
    first_error = partitions.ERROR_LOG.floor(now - timedelta(days=sizes["rollup_days"] - 1))
    spacing = (now - first_error).total_seconds() / sizes["errors"]
    for start in partitions.periods(partitions.ERROR_LOG, first_error, now):
        end = min(partitions.ERROR_LOG.following(start), now)
        span = {
            "low": math.ceil((start - first_error).total_seconds() / spacing),
            "high": min(sizes["errors"], math.ceil((end - first_error).total_seconds() / spacing)),
        }
        load_partition(
            partitions.ERROR_LOG,
            start,
            errors_columns,
            errors_sql,
            {**params, "first_error": first_error, "spacing": spacing, **span},
        )

    with connection.cursor() as cursor:
        for table, column in (("monitoring_healthcheck", "id"), ("monitoring_errorlog", "id")):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                f"(SELECT coalesce(max({column}), 0) + 1 FROM {table}), false)",
                [table, column],
            )
        cursor.execute(
            f"""INSERT INTO {ConnectionEvent._meta.db_table} (connection_id, created_at,
                    from_status, to_status, reason, request_id, source)
                SELECT id, status_changed_at, 'healthy', health_status, 'Seeded transition', '',
                       'poll'
                FROM {fleet} WHERE health_status NOT IN ('healthy', 'unknown')"""
        )
        for model in (HealthCheck, HourlyRollup, DailyRollup, CustomerDailyRollup, ConnectionEvent):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
        cursor.execute(f"ANALYZE monitoring_errorlog, {SystemDailyRollup._meta.db_table}")


def seed_fleet_orm(sizes: dict) -> None:
    """A small fleet through the ORM (SQLite, the test suite)."""
    from connections.models import Connection, Customer

    customers = Customer.objects.bulk_create(
        Customer(name=f"Customer {n}", slug=f"customer-{n}", contact_email=f"ops@c{n}.example")
        for n in range(sizes["customers"])
    )
    Connection.objects.bulk_create(
        Connection(
            customer=customers[n % len(customers)],
            system=SYSTEMS[n % len(SYSTEMS)],
            environment=["production", "sandbox", "development"][(n // 7) % 3],
            upstream_id=f"conn_steady_{n}",
            display_name=f"Plant {n} ERP",
            created_at=timezone.now() - timedelta(days=90),
        )
        for n in range(sizes["connections"])
    )


def seed_history_orm(sizes: dict, now: datetime) -> None:
    """Six sweeps over the raw hours through the one writer, and the error log rows."""
    from connections.models import Connection
    from health.vocabulary import Outcome
    from monitoring import transitions
    from monitoring.models import ErrorLog, Source
    from upstream.protocol import StatusResult

    rng = random.Random(17)
    fleet = list(Connection.objects.order_by("pk"))
    step = timedelta(minutes=60 * sizes["raw_hours"] // 6)
    for sweep in range(6):
        at = now - step * (6 - sweep)
        observations = []
        for connection_ in fleet:
            failed = rng.random() < 0.1
            result = StatusResult(
                outcome=Outcome.UPSTREAM_ERROR if failed else Outcome.OK,
                http_status=503 if failed else 200,
                error_code="SYSTEM_UNAVAILABLE" if failed else "",
                latency_ms=rng.randint(20, 900),
                request_id=f"req_{uuid.UUID(int=rng.getrandbits(128)).hex[:24]}",
            )
            observation = transitions.Observation.of_status_call(connection_.pk, result)
            observations.append(dataclasses.replace(observation, at=at))
        transitions.record(observations, source=Source.POLL, sweep_id=uuid.uuid4())
    ErrorLog.objects.bulk_create(
        (
            ErrorLog(
                created_at=now - timedelta(days=sizes["rollup_days"]) * n / sizes["errors"],
                customer_id=fleet[(n * 7919) % len(fleet)].customer_id,
                connection=fleet[(n * 7919) % len(fleet)],
                source="poll",
                http_status=ERROR_CODES[n % 5][2],
                error_code=ERROR_CODES[n % 5][0],
                error_type=ERROR_CODES[n % 5][1],
                message="The upstream answered with an error.",
                request_id=f"req_e{n:023d}",
            )
            for n in range(sizes["errors"])
        ),
        batch_size=2000,
    )


def add_connections(sizes: dict, total: int) -> None:
    """Grow the fleet to `total` connections (no history): the 100,000-connection overview."""
    from connections.models import Connection, Customer

    have = Connection.objects.count()
    if connection.vendor == "postgresql":
        seed_fleet({**sizes, "connections": total - have}, first_index=have, customers=False)
        return
    customers = list(Customer.objects.all())
    Connection.objects.bulk_create(
        (
            Connection(
                customer=customers[n % len(customers)],
                system=SYSTEMS[n % len(SYSTEMS)],
                environment="production",
                upstream_id=f"conn_steady_{n}",
                display_name=f"Plant {n} ERP",
                created_at=timezone.now(),
            )
            for n in range(have, total)
        ),
        batch_size=2000,
    )
