"""History by time: partitions ahead, retention by whole days, the redelivery guarantee across
midnight. On PostgreSQL the tables are partitioned; elsewhere retention deletes rows, and the
tests check what the data must be on both."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.db import connection as database
from django.utils import timezone

from health.vocabulary import Outcome
from monitoring import partitions, retention, tasks, transitions
from monitoring.models import (
    CustomerDailyRollup,
    DailyRollup,
    ErrorLog,
    HealthCheck,
    HourlyRollup,
    Source,
)
from monitoring.transitions import Observation
from tests.factories import ConnectionFactory
from tests.monitoring.factories import ErrorLogFactory, check_row, write_checks
from upstream.protocol import StatusResult

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # beyond every partition the migration made


def names(table) -> list[str]:
    return [p.name for p in partitions.partitions(table)]


def rows_in(partition_name: str) -> int:
    with database.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{partition_name}"')  # noqa: S608 - a test's own name
        return cursor.fetchone()[0]


def test_every_history_table_is_partitioned_by_time_on_postgresql():
    for table in partitions.TABLES:
        assert partitions.is_partitioned(table) == partitions.enabled(), table.name
    if partitions.enabled():
        today = partitions.HEALTH_CHECKS.floor(timezone.now())
        assert partitions.HEALTH_CHECKS.partition_name(today) in names(partitions.HEALTH_CHECKS)
        assert names(partitions.SYSTEM_ROLLUPS)[-1] == "monitoring_systemdailyrollup_default"


@time_machine.travel(NOW, tick=False)
def test_partitions_are_made_ahead_and_take_their_rows_from_the_default():
    connection = ConnectionFactory()
    write_checks([check_row(connection, NOW), check_row(connection, NOW + timedelta(days=2))])

    created = tasks.create_partitions()

    assert HealthCheck.objects.filter(connection=connection).count() == 2
    if not partitions.enabled():
        assert created == []
        return
    for day in (NOW, NOW + timedelta(days=1), NOW + timedelta(days=2)):  # two days ahead
        assert partitions.HEALTH_CHECKS.partition_name(partitions.HEALTH_CHECKS.floor(day)) in (
            created
        )
    assert partitions.HEALTH_CHECKS.partition_name(NOW + timedelta(days=3)) not in created
    assert partitions.ERROR_LOG.partition_name(datetime(2027, 3, 8, tzinfo=UTC)) in created
    assert partitions.HOURLY_ROLLUPS.partition_name(NOW.replace(hour=0)) in created
    assert partitions.DAILY_ROLLUPS.partition_name(NOW.replace(day=1, hour=0)) in created
    assert rows_in("monitoring_healthcheck_p20270310") == 1
    assert rows_in("monitoring_healthcheck_p20270312") == 1
    assert rows_in("monitoring_healthcheck_default") == 0
    assert rows_in("monitoring_hourlyrollup_p20270310") == 1
    # Each partition holds one check per (sweep, connection), as the whole table did.
    assert tasks.create_partitions() == []  # made once


@time_machine.travel(NOW, tick=False)
def test_retention_drops_days_past_retention_and_keeps_the_rest(settings):
    settings.HEALTH_CHECK_RETENTION_HOURS = 48
    settings.ERROR_LOG_RETENTION_DAYS = 30
    settings.ROLLUP_RETENTION_DAYS = 90
    connection = ConnectionFactory()
    if partitions.enabled():  # days with partitions of their own; older rows sit in the default
        partitions.ensure(partitions.HEALTH_CHECKS, NOW - timedelta(days=10), NOW)
        partitions.ensure(partitions.ERROR_LOG, NOW - timedelta(days=31), NOW - timedelta(days=28))
    ages = [timedelta(hours=1), timedelta(hours=47), timedelta(days=3), timedelta(days=10)]
    ages += [timedelta(days=20), timedelta(days=95), timedelta(days=130)]
    write_checks([check_row(connection, NOW - age) for age in ages])
    for age in (timedelta(days=29), timedelta(days=31), timedelta(days=45)):
        ErrorLogFactory(connection=connection, created_at=NOW - age)

    pruned = retention.prune_history(NOW)

    kept_checks = sorted(NOW - c for c in HealthCheck.objects.values_list("checked_at", flat=True))
    assert kept_checks == [timedelta(hours=1), timedelta(hours=47)]  # March 8 kept whole
    kept_errors = [NOW - e for e in ErrorLog.objects.values_list("created_at", flat=True)]
    assert kept_errors == [timedelta(days=29)]
    hours = sorted(NOW - h for h in HourlyRollup.objects.values_list("bucket", flat=True))
    assert hours[-1] < timedelta(days=91) and len(hours) == 5  # 95 and 130 days back: gone
    # Days and customers' days are partitioned by month: kept at least 90 days, gone by 130.
    days = [NOW - d for d in DailyRollup.objects.values_list("bucket", flat=True)]
    assert max(days) < timedelta(days=130) and min(days) < timedelta(days=1)
    assert len(days) >= 5
    customer_days = CustomerDailyRollup.objects.values_list("day", flat=True)
    assert min(customer_days) > (NOW - timedelta(days=130)).date()
    if partitions.enabled():
        assert pruned["monitoring_healthcheck partitions"] >= 7  # March 1 to 7, and any older
        assert names(partitions.HEALTH_CHECKS)[:3] == [
            "monitoring_healthcheck_p20270308",
            "monitoring_healthcheck_p20270309",
            "monitoring_healthcheck_p20270310",
        ]
        # A week a partition: the week of February 1 ended before the cutoff (February 8, noon).
        assert names(partitions.ERROR_LOG)[0] == "monitoring_errorlog_p20270208"
    else:
        assert pruned["health_checks"] == 5


def sweep_batch(connections, sweep_id):
    results = [
        Observation.of_status_call(c.pk, StatusResult(outcome=Outcome.OK, http_status=200))
        for c in connections
    ]
    return transitions.record(results, source=Source.POLL, sweep_id=sweep_id)


def test_a_batch_redelivered_after_midnight_writes_nothing_twice():
    """The (sweep, connection) pair is unique within a day's partition; across midnight the
    batch's row locks and its look for written checks keep a redelivery out."""
    fleet = ConnectionFactory.create_batch(3)
    sweep_id = uuid.uuid4()
    before_midnight = datetime(2027, 3, 9, 23, 59, 58, tzinfo=UTC)
    if partitions.enabled():
        partitions.ensure(partitions.HEALTH_CHECKS, before_midnight, NOW)
    with time_machine.travel(before_midnight, tick=False):
        assert sweep_batch(fleet, sweep_id).checks == 3
    with time_machine.travel(before_midnight + timedelta(seconds=4), tick=False):
        assert sweep_batch(fleet, sweep_id).checks == 0
    assert HealthCheck.objects.filter(sweep_id=sweep_id).count() == 3
    assert sum(HourlyRollup.objects.values_list("checks", flat=True)) == 3


def test_a_second_check_for_the_same_sweep_and_connection_is_refused_on_the_same_day():
    connection = ConnectionFactory()
    sweep_id = uuid.uuid4()
    now = timezone.now()
    HealthCheck.objects.insert_rows([check_row(connection, now, sweep_id=sweep_id)])
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthCheck.objects.insert_rows(
            [check_row(connection, now + timedelta(seconds=1), sweep_id=sweep_id)]
        )
    assert HealthCheck.objects.filter(sweep_id=sweep_id).count() == 1


def test_beat_makes_partitions_every_hour_and_prunes_every_hour(settings):
    from config.celery import app

    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    for task in ("monitoring.tasks.create_partitions", "monitoring.tasks.prune_history"):
        assert schedule[task] == 3600.0 and task in app.tasks


@time_machine.travel(NOW, tick=False)
def test_a_partition_left_detached_by_an_interrupted_run_is_dropped_by_the_next():
    if not partitions.enabled():
        assert partitions.drop_expired(NOW) == {}
        return
    partitions.ensure(partitions.HEALTH_CHECKS, NOW - timedelta(days=5), NOW)
    with database.cursor() as cursor:  # a run that stopped between its detach and its drop
        cursor.execute(
            "ALTER TABLE monitoring_healthcheck DETACH PARTITION monitoring_healthcheck_p20270306"
        )
    partitions.drop_expired(NOW)
    with database.cursor() as cursor:
        cursor.execute("SELECT to_regclass('monitoring_healthcheck_p20270306')")
        assert cursor.fetchone()[0] is None
    assert "monitoring_healthcheck_p20270308" in names(partitions.HEALTH_CHECKS)
