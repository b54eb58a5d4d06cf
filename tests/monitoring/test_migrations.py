"""Migration 0008 (rollups and partitions) on an installation with history: every row written
before it is there after, partitioned on PostgreSQL, and counted into the rollups the strips
now draw."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from monitoring import partitions

BEFORE = [("monitoring", "0007_triage_issue_events_incidents")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_partitioning_keeps_every_row_written_before_it():
    old = migrate(BEFORE)
    try:
        customer = old.get_model("connections", "Customer").objects.create(name="Acme", slug="a")
        fleet = [
            old.get_model("connections", "Connection").objects.create(
                customer=customer,
                system="fiix",
                environment="production",
                upstream_id=f"conn_{n}",
                display_name=f"Plant {n}",
            )
            for n in range(2)
        ]
        now = timezone.now()
        sweep_id = uuid.uuid4()
        HealthCheck = old.get_model("monitoring", "HealthCheck")
        checks = HealthCheck.objects.bulk_create(
            HealthCheck(
                connection=fleet[n % 2],
                checked_at=now - timedelta(hours=n),
                sweep_id=sweep_id if n < 2 else None,
                outcome="ok" if n % 5 else "upstream_error",
                status_after="healthy" if n % 5 else "degraded",
                latency_ms=10 * n,
                error_code="" if n % 5 else "SYSTEM_UNAVAILABLE",
                request_id=f"req_{n}",
            )
            for n in range(400)  # 400 hours: 17 days back
        )
        ErrorLog = old.get_model("monitoring", "ErrorLog")
        errors = ErrorLog.objects.bulk_create(
            ErrorLog(
                created_at=now - timedelta(days=n),
                customer=customer,
                connection=fleet[0],
                source="poll",
                error_code="SYSTEM_UNAVAILABLE",
                request_id=f"req_e{n}",
            )
            for n in range(20)
        )
        before_checks = sorted(
            HealthCheck.objects.values_list("id", "connection_id", "checked_at", "request_id")
        )
        before_errors = sorted(ErrorLog.objects.values_list("id", "created_at", "request_id"))
        assert len(before_checks) == len(checks) == 400 and len(errors) == 20
    finally:
        new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    HealthCheck = new.get_model("monitoring", "HealthCheck")
    ErrorLog = new.get_model("monitoring", "ErrorLog")
    assert (
        sorted(HealthCheck.objects.values_list("id", "connection_id", "checked_at", "request_id"))
        == before_checks
    )
    assert sorted(ErrorLog.objects.values_list("id", "created_at", "request_id")) == before_errors
    # The rollups count every check kept, so the strips draw the history they drew before.
    DailyRollup = new.get_model("monitoring", "DailyRollup")
    HourlyRollup = new.get_model("monitoring", "HourlyRollup")
    CustomerDailyRollup = new.get_model("monitoring", "CustomerDailyRollup")
    SystemDailyRollup = new.get_model("monitoring", "SystemDailyRollup")
    assert sum(DailyRollup.objects.values_list("checks", flat=True)) == 400
    assert HourlyRollup.objects.count() == 400
    assert sum(HourlyRollup.objects.values_list("upstream_error", flat=True)) == 80
    assert sum(CustomerDailyRollup.objects.values_list("checks", flat=True)) == 400
    assert SystemDailyRollup.objects.filter(outcome="upstream_error").count() == 17  # 17 days
    assert sum(SystemDailyRollup.objects.values_list("checks", flat=True)) == 400
    newest = HourlyRollup.objects.get(connection_id=fleet[0].pk, bucket=_hour(now))
    assert (newest.checks, newest.worst, newest.latency_max_ms) == (1, 2, 0)  # degraded
    # New rows carry on the ids and the redelivery guarantee.
    later = HealthCheck.objects.create(
        connection_id=fleet[0].pk, checked_at=now, outcome="ok", status_after="healthy"
    )
    assert later.pk > max(row[0] for row in before_checks)
    if partitions.enabled():
        legacy = partitions.partitions(partitions.HEALTH_CHECKS)[0]
        assert (legacy.name, legacy.start) == ("monitoring_healthcheck_legacy", None)
        assert legacy.end == partitions.HEALTH_CHECKS.floor(now) + timedelta(days=1)
        assert partitions.is_partitioned(partitions.ERROR_LOG)


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
