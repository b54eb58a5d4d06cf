"""The poll batch task: a database hiccup is retried, and even a lost batch ends its sweep."""

import pytest
from django.db import OperationalError

from health.vocabulary import HealthStatus
from monitoring import poller, tasks
from monitoring.models import HealthCheck, Sweep
from tests.factories import linked_connection


def failing_then_real(failures: int):
    real, calls = poller.poll_batch, []

    def poll_batch(*args, **kwargs):
        calls.append(args)
        if len(calls) <= failures:
            raise OperationalError("database is locked")
        return real(*args, **kwargs)

    return poll_batch, calls


def test_a_busy_database_makes_the_batch_retry_and_write_once(sandbox_server, monkeypatch):
    connection = linked_connection(fault="healthy")
    plan = poller.plan_sweep(batch_size=10)
    flaky, calls = failing_then_real(failures=2)
    monkeypatch.setattr(poller, "poll_batch", flaky)

    result = tasks.poll_batch.apply(args=(str(plan.sweep_id), plan.batches[0]))

    assert result.successful() and result.get() == 1
    assert len(calls) == 3
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.HEALTHY
    assert HealthCheck.objects.filter(connection=connection).count() == 1
    assert Sweep.objects.get(pk=plan.sweep_id).finished_at is not None


@pytest.mark.django_db
def test_a_batch_that_never_writes_still_ends_its_sweep(monkeypatch):
    linked_connection(fault="healthy")
    plan = poller.plan_sweep(batch_size=10)
    always, calls = failing_then_real(failures=99)
    monkeypatch.setattr(poller, "poll_batch", always)

    result = tasks.poll_batch.apply(args=(str(plan.sweep_id), plan.batches[0]))

    assert result.failed()
    assert len(calls) == 1 + tasks.poll_batch.max_retries
    assert Sweep.objects.get(pk=plan.sweep_id).finished_at is not None
    assert poller.plan_sweep() is not None, "the next sweep must not wait for the lost batch"
