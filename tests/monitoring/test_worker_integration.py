"""A real Celery worker (Redis in CI) and the real sandbox: a sweep changes statuses."""

import time

import pytest

from connections.models import Connection
from health.vocabulary import HealthStatus
from monitoring import tasks
from monitoring.models import HealthCheck, Notification, Sweep, SweepBatch
from tests.factories import linked_connection

pytestmark = pytest.mark.integration


def wait_for(condition, worker, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.poll() is None, worker.log_path.read_text()
        assert time.monotonic() < deadline, worker.log_path.read_text()
        time.sleep(0.2)


def statuses(connections):
    return {
        c.display_name: c.health_status
        for c in Connection.objects.filter(pk__in=[c.pk for c in connections])
    }


def test_a_beat_sweep_fans_out_batches_and_changes_statuses(sandbox_server, celery_worker):
    connections = [
        linked_connection(fault="healthy"),
        linked_connection(fault="requires_reauth"),
        linked_connection(fault="server_error"),
        linked_connection(fault="token_revoked"),
        linked_connection(fault="rate_limited"),
    ]
    Connection.objects.update(health_status=HealthStatus.UNKNOWN)

    tasks.plan_sweep.delay(batch_size=2)

    wait_for(lambda: Sweep.objects.filter(finished_at__isnull=False).exists(), celery_worker)
    sweep = Sweep.objects.get()
    assert (sweep.connection_count, sweep.batch_count, sweep.batches_done) == (5, 3, 3)
    names = [c.display_name for c in connections]
    assert statuses(connections) == {
        names[0]: HealthStatus.HEALTHY,
        names[1]: HealthStatus.REAUTH_REQUIRED,
        names[2]: HealthStatus.DEGRADED,
        names[3]: HealthStatus.REAUTH_REQUIRED,
        names[4]: HealthStatus.UNKNOWN,
    }
    assert HealthCheck.objects.filter(sweep_id=sweep.pk).count() == 5
    wait_for(lambda: Notification.objects.filter(delivery="sent").count() == 2, celery_worker)


def test_check_now_task_polls_one_connection(sandbox_server, celery_worker):
    connection = linked_connection(fault="disconnected")
    tasks.poll_connection_now.delay(connection.pk)
    wait_for(
        lambda: Connection.objects.get(pk=connection.pk).health_status == HealthStatus.DISCONNECTED,
        celery_worker,
    )
    assert HealthCheck.objects.get(connection=connection).source == "check_now"


def test_check_now_is_served_while_every_sweep_lane_is_busy(sandbox_server, celery_worker):
    """The worker (two processes) keeps one free of batches: Check now does not wait for them."""
    for _ in range(2):
        linked_connection(fault="slow", latency_ms=3000)
    tasks.plan_sweep.delay(batch_size=1, concurrency=1)
    wait_for(
        lambda: SweepBatch.objects.filter(finished_at__isnull=True).exclude(claimed_by="").exists(),
        celery_worker,
    )
    urgent = linked_connection(fault="disconnected")

    tasks.poll_connection_now.delay(urgent.pk)

    wait_for(lambda: HealthCheck.objects.filter(connection=urgent).exists(), celery_worker)
    assert SweepBatch.objects.filter(finished_at__isnull=True).count() == 2, (
        "checked while the first batch was still in flight and the second still queued"
    )
