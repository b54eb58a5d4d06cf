"""Triage dashboard: server time of its pages on a seeded fleet (issue 4).

Seeds 10,000 connections, 2,000,000 health checks and 1,000,000 error log rows (PostgreSQL: one
INSERT ... SELECT generate_series each, seconds rather than minutes; other databases and
`--quick`: a small fleet through the ORM), then times 50 requests per page through Django's test
Client, which runs the whole request (middleware, session, queries, templates) without a network.
Targets: request-id lookup p95 < 20 ms, every page p95 < 150 ms. The overview and the queue carry
an incident, and the failure charts and customer health pages are measured too (issue 14).
"""

# ruff: noqa: S608 - the seeding SQL names tables from the models and binds every size.
from __future__ import annotations

import random
import time
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from benchmarks._support import percentile, report, scratch_database, timed

FULL = {"customers": 200, "connections": 10_000, "checks": 2_000_000, "errors": 1_000_000}
QUICK = {"customers": 10, "connections": 300, "checks": 6_000, "errors": 3_000}
REQUESTS = 50
PAGE_SIZE = 50
TARGETS_MS = {"request-id lookup": 20.0, "request-id miss (nearest by prefix)": 20.0}
DEFAULT_TARGET_MS = 150.0
SYSTEMS = ["sap_s4hana", "sap_ecc", "ibm_maximo", "fiix", "netsuite", "dynamics_365", "upkeep"]
ERROR_CODES = [
    ("SYSTEM_UNAVAILABLE", "api_error", 503),
    ("INTERNAL_ERROR", "api_error", 500),
    ("RATE_LIMIT_EXCEEDED", "rate_limit_error", 429),
    ("AUTHENTICATION_FAILED", "authentication_error", 401),
    ("PERMISSION_DENIED", "permission_error", 403),
]


def run(args) -> None:
    sizes = QUICK if getattr(args, "quick", False) else FULL
    # A name of its own, so a concurrent run of another benchmark never clobbers this database.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"test_{connection.settings_dict['NAME']}_dashboard"
        if connection.vendor == "postgresql"
        else None
    )
    with scratch_database():
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            seed_postgresql(sizes)
        else:
            seed_orm(sizes)
        catch_up_issues()
        print(
            f"seeded {sizes['connections']:,} connections, {sizes['checks']:,} health checks, "
            f"{sizes['errors']:,} error log rows in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        measure_pages()


def catch_up_issues() -> None:
    """Writers record issues with their transitions; the seeded transitions get theirs here.

    Then one incident on top of the overview and the queue, as a real outage makes: a dozen SAP
    S/4HANA connections failing with SYSTEM_UNAVAILABLE (issue 14).
    """
    from monitoring import issues
    from monitoring.models import ConnectionEvent, Incident, Issue

    issues.record(list(ConnectionEvent.objects.order_by("pk")))
    members = list(
        Issue.objects.unresolved()
        .filter(connection__system="sap_s4hana")
        .order_by("pk")
        .values_list("pk", flat=True)[:12]
    )
    incident = Incident.objects.create(
        scope=Incident.Scope.SYSTEM,
        system="sap_s4hana",
        outcome="upstream_error",
        error_code="SYSTEM_UNAVAILABLE",
        started_at=timezone.now() - timedelta(minutes=20),
    )
    Issue.objects.filter(pk__in=members).update(
        incident=incident, outcome="upstream_error", error_code="SYSTEM_UNAVAILABLE"
    )


def seed_postgresql(sizes: dict) -> None:
    from connections.models import Connection, Customer
    from monitoring.models import ConnectionEvent, ErrorLog, HealthCheck

    customers, connections_, checks, errors = (
        Customer._meta.db_table,
        Connection._meta.db_table,
        HealthCheck._meta.db_table,
        ErrorLog._meta.db_table,
    )
    events = ConnectionEvent._meta.db_table
    status = """CASE WHEN g %% 100 < 85 THEN 'healthy' WHEN g %% 100 < 90 THEN 'degraded'
                WHEN g %% 100 < 94 THEN 'error' WHEN g %% 100 < 97 THEN 'reauth_required'
                WHEN g %% 100 < 99 THEN 'disconnected' ELSE 'unknown' END"""
    # Table names come from the models, sizes are bound parameters (so a modulo is written %%).
    statements = [
        f"""INSERT INTO {customers} (name, slug, contact_email, notification_webhook_url,
                created_at)
            SELECT 'Customer ' || g, 'customer-' || g, 'ops@customer-' || g || '.example', '',
                   now() FROM generate_series(1, %(customers)s) g""",
        f"""INSERT INTO {connections_} (customer_id, system, environment, upstream_id,
                display_name, health_status, status_changed_at, last_checked_at, last_success_at,
                consecutive_failures, created_at)
            SELECT (SELECT min(id) FROM {customers}) + g %% %(customers)s,
                   (ARRAY{SYSTEMS!r})[1 + g %% {len(SYSTEMS)}],
                   (ARRAY['production', 'sandbox', 'development'])[1 + (g / 7) %% 3],
                   'conn_bench_' || g, 'Plant ' || g || ' ERP', {status},
                   now() - (g %% 5000) * interval '1 minute',
                   now() - (g %% 60) * interval '1 second',
                   now() - (g %% 60) * interval '1 second', 0, now() - interval '90 days'
            FROM generate_series(0, %(connections)s - 1) g""",
        f"""INSERT INTO {checks} (connection_id, checked_at, sweep_id, source, outcome,
                status_after, latency_ms, http_status, error_code, request_id)
            SELECT c0 + g %% %(connections)s,
                   now() - (g / %(connections)s)
                           * (interval '14 days' / (%(checks)s / %(connections)s)),
                   NULL, 'poll',
                   CASE WHEN (g * 7) %% 100 < 95 THEN 'ok' ELSE 'upstream_error' END,
                   CASE WHEN (g * 7) %% 100 < 95 THEN 'healthy' ELSE 'degraded' END,
                   20 + g %% 180, CASE WHEN (g * 7) %% 100 < 95 THEN 200 ELSE 503 END,
                   CASE WHEN (g * 7) %% 100 < 95 THEN '' ELSE 'SYSTEM_UNAVAILABLE' END,
                   'req_' || substr(md5('c' || g), 1, 24)
            FROM generate_series(0, %(checks)s - 1) g,
                 (SELECT min(id) AS c0 FROM {connections_}) first""",
        f"""INSERT INTO {errors} (created_at, customer_id, connection_id, source, http_status,
                error_code, error_type, message, request_id, raw_body)
            SELECT now() - (g::float / %(errors)s) * interval '30 days', c.customer_id, c.id,
                   'poll', (ARRAY{[code[2] for code in ERROR_CODES]!r})[1 + g %% 5],
                   (ARRAY{[code[0] for code in ERROR_CODES]!r})[1 + g %% 5],
                   (ARRAY{[code[1] for code in ERROR_CODES]!r})[1 + g %% 5],
                   'The upstream answered with an error.', 'req_' || substr(md5('e' || g), 1, 24),
                   '{{"error": {{"code": "SYSTEM_UNAVAILABLE"}}}}'
            FROM generate_series(0, %(errors)s - 1) g
            JOIN {connections_} c ON c.id = (SELECT min(id) FROM {connections_})
                                           + (g::bigint * 7919) %% %(connections)s""",
        f"""INSERT INTO {events} (connection_id, created_at, from_status, to_status, reason,
                request_id, source)
            SELECT id, status_changed_at, 'healthy', health_status, 'Seeded transition', '', 'poll'
            FROM {connections_} WHERE health_status NOT IN ('healthy', 'unknown')""",
        f"ANALYZE {customers}, {connections_}, {checks}, {errors}, {events}",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, sizes)
    make_support_user()


def seed_orm(sizes: dict) -> None:
    from connections.models import Connection, Customer
    from health.vocabulary import HealthStatus
    from monitoring.models import ConnectionEvent, ErrorLog, HealthCheck

    now = timezone.now()
    rng = random.Random(4)
    customers = Customer.objects.bulk_create(
        Customer(name=f"Customer {n}", slug=f"customer-{n}", contact_email=f"ops@c{n}.example")
        for n in range(sizes["customers"])
    )
    statuses = ["healthy"] * 85 + ["degraded"] * 5 + ["error"] * 4 + ["reauth_required"] * 3
    statuses += ["disconnected"] * 2 + ["unknown"]
    fleet = Connection.objects.bulk_create(
        Connection(
            customer=customers[n % len(customers)],
            system=SYSTEMS[n % len(SYSTEMS)],
            environment=["production", "sandbox", "development"][(n // 7) % 3],
            upstream_id=f"conn_bench_{n}",
            display_name=f"Plant {n} ERP",
            health_status=statuses[n % 100],
            status_changed_at=now - timedelta(minutes=n % 5000),
            last_checked_at=now,
        )
        for n in range(sizes["connections"])
    )
    per = sizes["checks"] // len(fleet)
    HealthCheck.objects.bulk_create(
        (
            HealthCheck(
                connection=fleet[n % len(fleet)],
                checked_at=now - (n // len(fleet)) * timedelta(days=14) / per,
                outcome="ok" if rng.random() < 0.95 else "upstream_error",
                status_after="healthy",
                request_id=f"req_c{n:023d}",
            )
            for n in range(sizes["checks"])
        ),
        batch_size=2000,
    )
    ErrorLog.objects.bulk_create(
        (
            ErrorLog(
                created_at=now - timedelta(days=30) * n / sizes["errors"],
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
    ConnectionEvent.objects.bulk_create(
        ConnectionEvent(
            connection=c,
            created_at=c.status_changed_at,
            from_status=HealthStatus.HEALTHY,
            to_status=c.health_status,
            reason="Seeded transition",
            source="poll",
        )
        for c in fleet
        if c.health_status not in ("healthy", "unknown")
    )
    make_support_user()


def make_support_user():
    from connections.models import Role, User

    return User.objects.create_user("bench-support", role=Role.SUPPORT, password=None)


def measure_pages() -> None:
    from connections.keyset import encode_cursor
    from connections.models import Connection, Customer, User
    from monitoring.models import ErrorLog, Incident, Issue

    client = Client()
    client.force_login(User.objects.get(username="bench-support"))
    rng = random.Random(7)
    connection_ids = list(Connection.objects.order_by("?").values_list("pk", flat=True)[:REQUESTS])
    request_ids = [
        rid
        for rid in ErrorLog.objects.order_by("?").values_list("request_id", flat=True)[:REQUESTS]
    ]
    issue_ids = list(Issue.objects.unresolved().order_by("?").values_list("pk", flat=True)[:50])
    customer_slugs = list(Customer.objects.order_by("?").values_list("slug", flat=True)[:50])
    incident = Incident.objects.get()
    depth = min(500, ErrorLog.objects.count() // PAGE_SIZE)
    # The last row of the page before: its cursor is the "Older" link that page shows.
    deep = ErrorLog.objects.newest_first()[(depth - 1) * PAGE_SIZE - 1]
    pages = {
        "overview": lambda: reverse("home"),
        "filtered overview": lambda: (
            reverse("home")
            + rng.choice(
                [
                    "?status=error&environment=production",
                    "?q=Plant 12&sort=-since",
                    "?status=reauth_required&system=fiix&page=2",
                    "?environment=sandbox&sort=customer",
                ]
            )
        ),
        "connection detail": lambda: reverse(
            "connection_detail", args=[rng.choice(connection_ids)]
        ),
        "request-id lookup": lambda: (
            f"{reverse('request_search')}?request_id={rng.choice(request_ids)}"
        ),
        "request-id miss (nearest by prefix)": lambda: (
            f"{reverse('request_search')}?request_id={rng.choice(request_ids)[:-3]}zzz"
        ),
        "error log page 1": lambda: reverse("error_list"),
        "issues queue (with incident)": lambda: reverse("issue_list"),
        "filtered issues queue": lambda: (
            reverse("issue_list")
            + rng.choice(["?system=sap_s4hana", "?assignee=nobody&sort=age", "?state=all&page=3"])
        ),
        "issue detail": lambda: reverse("issue_detail", args=[rng.choice(issue_ids)]),
        "incident detail": lambda: reverse("incident_detail", args=[incident.pk]),
        "failure charts (30 days)": lambda: reverse("failure_charts"),
        "customer health": lambda: reverse("customer_health", args=[rng.choice(customer_slugs)]),
        "error log by name and code prefix": lambda: (
            reverse("error_list") + rng.choice(["?connection=Plant 12 ERP", "?code=system_"])
        ),
        f"error log page {depth}": lambda: f"{reverse('error_list')}?before={encode_cursor(deep)}",
    }
    misses = []
    for label, url in pages.items():
        for _ in range(3):  # warm up caches and connections, as a running server would be
            client.get(url())
        statuses = []

        def one(url=url, statuses=statuses):
            statuses.append(client.get(url()).status_code)

        times = timed(one, REQUESTS)
        assert set(statuses) <= {200, 302}, (label, set(statuses))
        report(label, times)
        target = TARGETS_MS.get(label, DEFAULT_TARGET_MS)
        p95 = percentile(times, 0.95)
        if p95 >= target:
            misses.append(f"{label} p95 {p95:.1f} ms >= {target:.0f} ms")
    print("targets: " + ("all met" if not misses else "MISSED: " + "; ".join(misses)), flush=True)
