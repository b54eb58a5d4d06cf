"""Rollups: every write's checks counted per hour, per day and per customer and system day, and
read back."""

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection as database
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Trunc
from django.test.utils import CaptureQueriesContext

from connections.systems import System
from health.vocabulary import SEVERITY, HealthStatus, Outcome
from monitoring import rollups, transitions
from monitoring.models import (
    CustomerDailyRollup,
    DailyRollup,
    HealthCheck,
    HourlyRollup,
    Source,
    SystemDailyRollup,
)
from monitoring.models.rollups import OUTCOME_COLUMNS, WORST_ORDER, ConnectionRollup
from monitoring.transitions import Observation
from tests.factories import ConnectionFactory, CustomerFactory
from upstream.protocol import StatusResult

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 20, 22, 58, tzinfo=UTC)  # two minutes before 23:00, an hour before midnight


def call(outcome, *, latency=100, code="", at=None, connection=None, **extra):
    result = StatusResult(
        outcome=outcome,
        http_status=200 if outcome == Outcome.OK else 503,
        latency_ms=latency,
        error_code=code,
        request_id=f"req_{uuid.uuid4().hex[:24]}",
        **extra,
    )
    return dataclasses.replace(Observation.of_status_call(connection.pk, result), at=at)


def test_every_outcome_has_a_count_column_and_worst_follows_severity():
    fields = {field.name for field in ConnectionRollup._meta.get_fields()}
    assert set(Outcome.values) <= fields
    assert tuple(Outcome.values) == OUTCOME_COLUMNS
    # Unknown sits just above healthy; the rest in SEVERITY's order.
    known = [status for status in WORST_ORDER if status != HealthStatus.UNKNOWN]
    assert known == sorted(known, key=lambda status: SEVERITY[status])
    assert WORST_ORDER.index(HealthStatus.UNKNOWN) == 1
    assert set(WORST_ORDER) == set(HealthStatus.values)


def test_rollups_hold_what_the_raw_checks_add_up_to_across_hours_and_days():
    sap = ConnectionFactory(system=System.SAP_ECC)
    fiix = ConnectionFactory(system=System.FIIX, customer=sap.customer)
    other = ConnectionFactory(system=System.FIIX)
    outcomes = [Outcome.OK, Outcome.RATE_LIMITED, Outcome.UPSTREAM_ERROR, Outcome.NO_TOKEN]
    outcomes += [Outcome.REAUTH, Outcome.OK, Outcome.UNREACHABLE, Outcome.OK]
    observations = [
        call(
            outcome,
            latency=50 + 10 * index,
            code="" if outcome == Outcome.OK else f"CODE_{index % 3}",
            at=T0 + timedelta(minutes=20 * index),
            connection=connection,
        )
        for index, outcome in enumerate(outcomes)
        for connection in (sap, fiix, other)
    ]
    # In two writes, so the second adds to rows the first made.
    transitions.record(observations[:9], source=Source.POLL)
    transitions.record(observations[9:], source=Source.POLL)

    for model, unit in ((HourlyRollup, "hour"), (DailyRollup, "day")):
        expected = {
            (row["connection_id"], row["bucket"]): row
            for row in HealthCheck.objects.annotate(bucket=Trunc("checked_at", unit, tzinfo=UTC))
            .values("connection_id", "bucket")
            .annotate(
                checks=Count("id"),
                **{o: Count("id", filter=Q(outcome=o)) for o in OUTCOME_COLUMNS},
                latency_total_ms=Sum("latency_ms"),
                latency_max_ms=Max("latency_ms"),
            )
            .order_by()
        }
        stored = {(row.connection_id, row.bucket): row for row in model.objects.all()}
        assert stored.keys() == expected.keys()
        assert len(stored) == (3 * 4 if unit == "hour" else 3 * 2)  # 22:00 to 01:00, 2 days
        for key, row in stored.items():
            for column in ("checks", *OUTCOME_COLUMNS, "latency_total_ms", "latency_max_ms"):
                assert getattr(row, column) == expected[key][column], (unit, key, column)
    raw = HealthCheck.objects.values_list(
        "checked_at", "connection__customer_id", "connection__system", "outcome", "error_code"
    )
    by_customer: dict = {}
    by_system: dict = {}
    for checked_at, customer_id, system, outcome, code in raw:
        day = checked_at.astimezone(UTC).date()
        key = (day, customer_id, system, outcome, code)
        by_customer[key] = by_customer.get(key, 0) + 1
        by_system[day, system, outcome, code] = by_system.get((day, system, outcome, code), 0) + 1
    assert {
        (row.day, row.customer_id, row.system, row.outcome, row.error_code): row.checks
        for row in CustomerDailyRollup.objects.all()
    } == by_customer
    assert {
        (row.day, row.system, row.outcome, row.error_code): row.checks
        for row in SystemDailyRollup.objects.all()
    } == by_system


def test_the_worst_status_of_an_hour_is_kept_and_unknown_is_not_healthy():
    connection = ConnectionFactory(health_status=HealthStatus.UNKNOWN)
    transitions.record(
        [call(Outcome.RATE_LIMITED, at=T0, connection=connection, retry_after_seconds=60)],
        source=Source.POLL,
    )
    hour = HourlyRollup.objects.get(connection=connection)
    assert (hour.worst_status, hour.rate_limited, hour.checks) == (HealthStatus.UNKNOWN, 1, 1)
    transitions.record(
        [call(Outcome.UPSTREAM_ERROR, at=T0 + timedelta(seconds=20), connection=connection)],
        source=Source.POLL,
    )
    hour.refresh_from_db()
    assert hour.worst_status == HealthStatus.DEGRADED
    transitions.record(
        [call(Outcome.OK, at=T0 + timedelta(seconds=40), connection=connection)],
        source=Source.POLL,
    )
    hour.refresh_from_db()
    assert (hour.worst_status, hour.checks, hour.ok) == (HealthStatus.DEGRADED, 3, 1)


def test_a_redelivered_batch_counts_nothing_twice():
    fleet = ConnectionFactory.create_batch(3, customer=CustomerFactory())
    sweep_id = uuid.uuid4()
    batch = [call(Outcome.OK, at=T0, connection=connection) for connection in fleet]
    transitions.record(batch, source=Source.POLL, sweep_id=sweep_id)
    again = transitions.record(batch, source=Source.POLL, sweep_id=sweep_id)

    assert again.checks == 0
    assert list(HourlyRollup.objects.values_list("checks", flat=True)) == [1, 1, 1]
    assert CustomerDailyRollup.objects.get().checks == SystemDailyRollup.objects.get().checks == 3


def test_the_rollup_write_is_one_statement_whatever_the_batch(django_assert_num_queries):
    """The sweep's write gains one statement on PostgreSQL (four elsewhere) for any batch."""
    few, many = ConnectionFactory.create_batch(2), ConnectionFactory.create_batch(40)
    per_table = 1 if database.vendor == "postgresql" else 4
    counts = []
    for fleet in (few, many):
        with CaptureQueriesContext(database) as captured:
            transitions.record(
                [call(Outcome.OK, at=T0, connection=c) for c in fleet],
                source=Source.POLL,
                sweep_id=uuid.uuid4(),
            )
        rollup_statements = [q for q in captured.captured_queries if "rollup" in q["sql"]]
        assert len(rollup_statements) == per_table
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_error_codes_with_quotes_commas_and_braces_are_kept_as_sent():
    connection = ConnectionFactory()
    awkward = 'E,"1"\\{x} NULL'
    transitions.record(
        [call(Outcome.UPSTREAM_ERROR, code=awkward, at=T0, connection=connection)],
        source=Source.POLL,
    )
    assert CustomerDailyRollup.objects.get().error_code == awkward
    assert SystemDailyRollup.objects.get().error_code == awkward


@time_machine.travel(datetime(2026, 11, 21, 12, 30, tzinfo=UTC), tick=False)
def test_connection_buckets_fill_every_hour_and_day_and_tell_outcomes_apart():
    connection = ConnectionFactory()
    at = datetime(2026, 11, 21, 9, 10, tzinfo=UTC)
    transitions.record(
        [
            call(Outcome.OK, latency=100, at=at, connection=connection),
            call(Outcome.RATE_LIMITED, latency=300, at=at, connection=connection),
            call(Outcome.NO_TOKEN, latency=0, at=at, connection=connection),
            call(Outcome.UNREACHABLE, latency=500, at=at, connection=connection),
        ],
        source=Source.POLL,
    )
    hours = rollups.connection_buckets(connection, "hour", 24)
    assert len(hours) == 24 and hours[-1].start == datetime(2026, 11, 21, 12, tzinfo=UTC)
    nine = next(bucket for bucket in hours if bucket.start.hour == 9)
    assert (nine.checks, nine.failures, nine.count(Outcome.RATE_LIMITED)) == (4, 2, 1)
    assert nine.count(Outcome.NO_TOKEN) == 1
    assert nine.latency_avg_ms == 300  # the three calls made; no token, no call
    assert nine.latency_max_ms == 500
    assert [bucket.worst for bucket in hours if bucket is not nine] == [None] * 23
    days = rollups.connection_buckets(connection, "day", 30)
    assert [bucket.checks for bucket in days] == [0] * 29 + [4]
    assert days[0].start == datetime(2026, 10, 23, tzinfo=UTC)


@time_machine.travel(datetime(2026, 11, 21, 12, 0, tzinfo=UTC), tick=False)
def test_charts_show_staff_the_fleet_and_a_member_their_customer(
    support_user, member_a, customer_a, customer_b
):
    sap = ConnectionFactory(customer=customer_a, system=System.SAP_ECC)
    fiix = ConnectionFactory(customer=customer_b, system=System.FIIX)
    yesterday = datetime(2026, 11, 20, 8, tzinfo=UTC)
    transitions.record(
        [
            call(Outcome.OK, at=yesterday, connection=sap),
            call(Outcome.UPSTREAM_ERROR, code="SYSTEM_UNAVAILABLE", at=yesterday, connection=sap),
            call(Outcome.RATE_LIMITED, code="RATE_LIMIT_EXCEEDED", at=yesterday, connection=fiix),
            call(Outcome.REAUTH, code="AUTHENTICATION_FAILED", connection=fiix),
            call(Outcome.REAUTH, code="AUTHENTICATION_FAILED", connection=fiix),
        ],
        source=Source.POLL,
    )

    by_system = rollups.failures_per_day_by_system(support_user, days=30)
    assert set(by_system) == {System.SAP_ECC, System.FIIX}
    assert [len(days) for days in by_system.values()] == [30, 30]
    sap_days = by_system[System.SAP_ECC]
    assert sap_days[-2].day == date(2026, 11, 20)
    assert (sap_days[-2].checks, sap_days[-2].failures) == (2, 1)
    fiix_days = by_system[System.FIIX]
    assert (fiix_days[-2].failures, fiix_days[-2].outcomes) == (0, {Outcome.RATE_LIMITED: 1})
    assert (fiix_days[-1].checks, fiix_days[-1].failures) == (2, 2)
    fleet = rollups.failures_per_day(support_user, days=2)
    assert [(day.day, day.checks, day.failures) for day in fleet] == [
        (date(2026, 11, 20), 3, 1),
        (date(2026, 11, 21), 2, 2),
    ]

    # A member sees their own customer's, asked for or not; a foreign customer is nothing.
    assert set(rollups.failures_per_day_by_system(member_a)) == {System.SAP_ECC}
    assert rollups.failures_per_day_by_system(member_a, customer=customer_b) == {}
    assert [day.checks for day in rollups.failures_per_day(member_a, days=2)] == [2, 0]
    theirs = rollups.failures_per_day(support_user, days=2, customer=customer_b)
    assert [(day.checks, day.failures) for day in theirs] == [(1, 0), (2, 2)]

    top = rollups.top_error_codes(support_user)
    assert [(code.error_code, code.checks) for code in top] == [
        ("AUTHENTICATION_FAILED", 2),
        ("RATE_LIMIT_EXCEEDED", 1),
        ("SYSTEM_UNAVAILABLE", 1),
    ]
    assert top[1].outcome == Outcome.RATE_LIMITED
    assert [code.error_code for code in rollups.top_error_codes(member_a)] == ["SYSTEM_UNAVAILABLE"]
    assert rollups.top_error_codes(support_user, days=1)[0].error_code == "AUTHENTICATION_FAILED"
