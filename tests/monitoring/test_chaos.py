"""Workers that die lose nothing: real worker and beat processes on the configured broker (Redis
in CI, the filesystem broker without it), a worker killed with SIGKILL while a batch is in flight,
and every connection polled again within two intervals."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from connections.models import Connection
from monitoring.models import HealthCheck, SweepBatch
from tests.factories import linked_connection
from tests.live_services import celery_services, kill_hard

pytestmark = pytest.mark.integration

INTERVAL = 4
# Batches of two connections, one call at a time, 250 ms each: a batch is in flight for about
# half a second, and a sweep of all eight takes about two.
FLEET = {
    "POLL_INTERVAL_SECONDS": str(INTERVAL),
    "POLL_BATCH_SIZE": "2",
    "POLL_CONCURRENCY": "1",
}


@pytest.fixture
def fleet(sandbox_server):
    return [linked_connection(fault="slow", latency_ms=250) for _ in range(8)]


def wait_for(condition, processes, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        for process in processes:
            assert process.poll() is None, process.log_path.read_text()[-3000:]
        assert time.monotonic() < deadline, f"{what} within {seconds:.1f} s"
        time.sleep(0.05)


def batch_in_flight_of(worker_name: str) -> bool:
    return SweepBatch.objects.filter(
        finished_at__isnull=True, claimed_by__startswith=f"{worker_name}."
    ).exists()


def all_polled_since(moment) -> bool:
    polled = set(
        HealthCheck.objects.filter(checked_at__gt=moment).values_list("connection_id", flat=True)
    )
    return polled >= set(Connection.objects.values_list("pk", flat=True))


def test_a_worker_killed_mid_batch_and_started_again_polls_everything_within_two_intervals(
    fleet, tmp_path
):
    with celery_services(tmp_path, extra_env=FLEET) as services:
        beat = services.beat()
        doomed = services.worker("doomed")
        wait_for(lambda: batch_in_flight_of("doomed"), [beat, doomed], 30, "a batch in flight")

        killed_at = timezone.now()
        kill_hard(doomed)
        assert SweepBatch.objects.filter(finished_at__isnull=True).exists()
        services.worker("restarted")
        available = max(timezone.now(), killed_at)

        wait_for(
            lambda: all_polled_since(killed_at),
            [beat],
            (available + timedelta(seconds=2 * INTERVAL) - timezone.now()).total_seconds(),
            "every connection polled again",
        )
    assert SweepBatch.objects.filter(dispatches__gt=1).exists(), "the dead batch was sent again"


def test_two_workers_share_the_sweep_and_one_killed_mid_batch_stalls_nothing(fleet, tmp_path):
    with celery_services(tmp_path, extra_env=FLEET) as services:
        beat = services.beat()
        survivor = services.worker("survivor")
        doomed = services.worker("doomed")
        wait_for(
            lambda: batch_in_flight_of("doomed"), [beat, survivor, doomed], 30, "a batch in flight"
        )

        killed_at = timezone.now()
        kill_hard(doomed)

        wait_for(
            lambda: all_polled_since(killed_at),
            [beat, survivor],
            2 * INTERVAL,
            "every connection polled again by the surviving worker",
        )
    holders = set(SweepBatch.objects.values_list("claimed_by", flat=True))
    assert any(h.startswith("survivor.") for h in holders), "both workers took batches"
