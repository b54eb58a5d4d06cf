"""The poll batch task: a database hiccup is retried, a lost batch ends as lost, a duplicate
message does nothing; every task has time limits under the broker's visibility timeout."""

import pytest
from django.conf import settings
from django.db import OperationalError

from config.celery import app
from health.vocabulary import HealthStatus
from monitoring import poller, sweeps, tasks
from monitoring.models import HealthCheck, Sweep, SweepBatch
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
    plan = sweeps.plan_sweep(batch_size=10)
    flaky, calls = failing_then_real(failures=2)
    monkeypatch.setattr(poller, "poll_batch", flaky)

    result = tasks.poll_batch.apply(args=(plan.batch_ids[0],))

    assert result.successful() and result.get() == 1
    assert len(calls) == 3, "each retry claims the batch its last try handed back"
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.HEALTHY
    assert HealthCheck.objects.filter(connection=connection).count() == 1
    assert Sweep.objects.get(pk=plan.sweep_id).finished_at is not None


@pytest.mark.django_db
def test_a_batch_that_never_writes_ends_as_lost_and_its_connections_are_planned_again(
    monkeypatch, settings
):
    connection = linked_connection(fault="healthy")
    plan = sweeps.plan_sweep(batch_size=10)
    always, calls = failing_then_real(failures=99)
    monkeypatch.setattr(poller, "poll_batch", always)

    result = tasks.poll_batch.apply(args=(plan.batch_ids[0],))

    assert result.failed()
    assert len(calls) == 1 + tasks.poll_batch.max_retries
    batch = SweepBatch.objects.get(pk=plan.batch_ids[0])
    assert batch.finished_at is not None and batch.lost
    assert Sweep.objects.get(pk=plan.sweep_id).finished_at is not None
    assert sweeps.held_connection_ids() == set(), "the next sweep may plan the connection again"
    assert connection.pk in sweeps.due_connection_ids(batch.finished_at + sweeps.interval())


def test_a_duplicate_message_for_a_finished_batch_polls_nothing(sandbox_server):
    linked_connection(fault="healthy")
    plan = sweeps.plan_sweep(batch_size=10)
    assert tasks.poll_batch.apply(args=(plan.batch_ids[0],)).get() == 1

    again = tasks.poll_batch.apply(args=(plan.batch_ids[0],))

    assert again.get() is None
    assert HealthCheck.objects.count() == 1


def test_every_task_has_a_soft_and_a_hard_time_limit_under_the_visibility_timeout():
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"monitoring.tasks.poll_batch", "monitoring.tasks.plan_sweep"} <= set(ours)
    visibility = settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    for name, task in ours.items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and soft < hard < visibility, name
        # A retry's countdown is held unacknowledged: a longer one would be handed out twice.
        assert (getattr(task, "retry_backoff_max", 0) or 0) < visibility, name
    assert tasks.poll_batch.time_limit > (
        settings.POLL_BATCH_SIZE / settings.POLL_CONCURRENCY * settings.UNIFIED_API_TIMEOUT_SECONDS
    ), "a batch whose every call times out still ends within its limit"


def test_tasks_go_to_their_queues_and_the_worker_serves_interactive_first():
    route = app.amqp.router.route
    assert route({}, "monitoring.tasks.poll_connection_now")["queue"].name == "interactive"
    assert route({}, "monitoring.tasks.poll_batch")["queue"].name == "sweep"
    assert route({}, "monitoring.tasks.plan_sweep")["queue"].name == "celery"
    assert [queue.name for queue in app.conf.task_queues] == ["interactive", "celery", "sweep"]
