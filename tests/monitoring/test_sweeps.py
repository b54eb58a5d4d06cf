"""Sweeps' leases: one tick per interval, batches held while alive, sent again when their
worker stops its heartbeat, given up after a few tries; planning never waits for a dead sweep."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring import poller, sweeps
from monitoring.models import HealthCheck, Sweep, SweepBatch
from tests.factories import ConnectionFactory, linked_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def tick(clock, settings):
    clock.shift(timedelta(seconds=settings.POLL_INTERVAL_SECONDS))
    return sweeps.plan_sweep(batch_size=2)


def test_a_second_beat_in_the_same_interval_plans_nothing(clock, settings):
    ConnectionFactory.create_batch(3)
    assert sweeps.plan_sweep(batch_size=2).batches
    clock.shift(timedelta(seconds=settings.POLL_INTERVAL_SECONDS / 2))
    assert sweeps.plan_sweep(batch_size=2) is None
    assert Sweep.objects.count() == 1


def test_a_batch_still_queued_or_running_keeps_its_connections_out_of_the_next_sweep(
    clock, settings
):
    first, second, third = ConnectionFactory.create_batch(3)
    plan = sweeps.plan_sweep(batch_size=2)
    running = sweeps.claim_batch(plan.batch_ids[0], "worker-a")
    assert running.connection_ids == [first.pk, second.pk]

    clock.shift(timedelta(seconds=settings.POLL_INTERVAL_SECONDS))
    sweeps.extend_lease(running)  # its worker is alive
    later = sweeps.plan_sweep(batch_size=2)

    assert later.batches == [] and later.resent == [], "held by a live batch and a queued one"
    assert Sweep.objects.get(pk=plan.sweep_id).finished_at is None


def test_a_batch_whose_worker_stopped_its_heartbeat_is_sent_again_and_the_rest_is_planned(
    clock, settings
):
    first, second, third = ConnectionFactory.create_batch(3)
    plan = sweeps.plan_sweep(batch_size=2)
    sweeps.claim_batch(plan.batch_ids[0], "worker-killed")
    assert sweeps.claim_batch(plan.batch_ids[1], "worker-b") is not None
    sweeps.finish_batch(plan.batch_ids[1])

    later = tick(clock, settings)

    assert later.resent == [plan.batch_ids[0]]
    assert later.batches == [[third.pk]], "the finished batch's connection is due again"
    batch = SweepBatch.objects.get(pk=plan.batch_ids[0])
    assert (batch.claimed_by, batch.dispatches, batch.finished_at) == ("", 2, None)
    taken = sweeps.claim_batch(batch.pk, "worker-new")
    assert taken.connection_ids == [first.pk, second.pk]
    assert sweeps.claim_batch(batch.pk, "worker-late-duplicate") is None


def test_a_live_heartbeat_keeps_a_slow_batch_from_being_sent_again(clock, settings):
    ConnectionFactory.create_batch(2)
    plan = sweeps.plan_sweep(batch_size=2)
    batch = sweeps.claim_batch(plan.batch_ids[0], "worker-slow")
    for _ in range(3):
        clock.shift(sweeps.batch_lease() / 2)
        assert sweeps.extend_lease(batch)
    assert sweeps.recover_batches(timezone.now()) == []
    assert sweeps.claim_batch(batch.pk, "worker-other") is None


def test_a_worker_that_lost_its_lease_learns_it_and_its_finish_still_counts(clock, settings):
    ConnectionFactory.create_batch(2)
    plan = sweeps.plan_sweep(batch_size=2)
    stalled = sweeps.claim_batch(plan.batch_ids[0], "worker-stalled")
    clock.shift(sweeps.batch_lease() + timedelta(seconds=1))
    assert sweeps.recover_batches(timezone.now()) == [stalled.pk]

    assert not sweeps.extend_lease(stalled)
    sweeps.finish_batch(stalled.pk)  # it wrote everything after all

    assert sweeps.claim_batch(stalled.pk, "worker-new") is None
    assert Sweep.objects.get(pk=plan.sweep_id).finished_at is not None


def test_a_message_never_taken_by_a_worker_is_sent_again_after_its_grace(clock, settings):
    ConnectionFactory.create_batch(2)
    plan = sweeps.plan_sweep(batch_size=2)
    clock.shift(sweeps.queue_grace() - timedelta(seconds=1))
    assert sweeps.recover_batches(timezone.now()) == []
    clock.shift(timedelta(seconds=2))
    assert sweeps.recover_batches(timezone.now()) == plan.batch_ids


def test_a_batch_sent_too_often_is_given_up_and_its_connections_planned_afresh(clock, settings):
    connections = ConnectionFactory.create_batch(2)
    plan = sweeps.plan_sweep(batch_size=2)
    for attempt in range(sweeps.MAX_DISPATCHES):
        sweeps.claim_batch(plan.batch_ids[0], f"worker-dies-{attempt}")
        clock.shift(sweeps.batch_lease() + timedelta(seconds=1))
        sweeps.recover_batches(timezone.now())

    batch = SweepBatch.objects.get(pk=plan.batch_ids[0])
    assert batch.lost and batch.finished_at is not None
    assert Sweep.objects.get(pk=plan.sweep_id).finished_at is not None
    later = tick(clock, settings)
    assert later.batches == [[c.pk for c in connections]]


def test_run_batch_polls_under_its_lease_and_finishes_the_sweep(sandbox_server):
    connection = linked_connection(fault="server_error")
    plan = sweeps.plan_sweep()

    assert poller.run_batch(plan.batch_ids[0], "worker-a") == 1
    assert poller.run_batch(plan.batch_ids[0], "worker-b") is None

    batch = SweepBatch.objects.get(pk=plan.batch_ids[0])
    assert batch.claimed_by == "worker-a" and batch.finished_at is not None and not batch.lost
    sweep = Sweep.objects.get(pk=plan.sweep_id)
    assert (sweep.batches_done, sweep.finished_at is not None) == (1, True)
    assert HealthCheck.objects.get(connection=connection).sweep_id == plan.sweep_id


def test_the_heartbeat_pushes_the_lease_while_the_batch_runs(transactional_db, settings):
    settings.POLL_BATCH_LEASE_SECONDS = 0.3
    ConnectionFactory.create_batch(1)
    plan = sweeps.plan_sweep()
    batch = sweeps.claim_batch(plan.batch_ids[0], "worker-a")
    first = SweepBatch.objects.get(pk=batch.pk).lease_expires_at
    with sweeps.heartbeat(batch):
        deadline = timezone.now() + timedelta(seconds=10)
        while SweepBatch.objects.get(pk=batch.pk).lease_expires_at == first:
            assert timezone.now() < deadline, "no heartbeat"
    assert SweepBatch.objects.get(pk=batch.pk).lease_expires_at > first


def test_periodic_tasks_run_once_per_period_however_many_beats_send_them(
    clock, django_assert_max_num_queries
):
    from monitoring import tasks

    assert tasks.prune_history.apply().get() != {}, "the first run of the hour prunes"
    tasks.notify_lasting_errors.apply().get()
    with django_assert_max_num_queries(2):  # the period's lease, found taken
        assert tasks.notify_lasting_errors.apply().get() == 0
    with django_assert_max_num_queries(2):
        assert tasks.prune_history.apply().get() == {}
    clock.shift(timedelta(minutes=5))
    assert tasks.prune_history.apply().get() == {}, "pruning is hourly"
    with CaptureQueriesContext(connection) as ran:
        tasks.notify_lasting_errors.apply().get()
    assert len(ran) > 2, "a new five-minute period: it asks again"
