"""The polling benchmark's worker phases (benchmarks/polling.py runs them): Check now during a
sweep, a worker killed with SIGKILL mid-sweep, and sweeps at real upstream latency."""

from __future__ import annotations

import contextlib
import statistics
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from benchmarks._support import percentile

CHECK_NOW_TARGET_P95_S = 2.0
KILL_TARGET_S = 45.0
LATENCY_TARGET_SHARE = 0.9


def sweep_everything_now() -> None:
    """Every connection due at once, this interval's planning tick free to run, and nothing
    left of an earlier phase's sweeps (a killed worker's batch would be sent again)."""
    from monitoring.models import PollSchedule, Sweep, SweepBatch, SweepLock
    from monitoring.sweeps import PLAN_TICK

    now = timezone.now()
    SweepBatch.objects.filter(finished_at__isnull=True).update(finished_at=now)
    Sweep.objects.filter(finished_at__isnull=True).update(finished_at=now)
    PollSchedule.objects.update(due_at=now, backoff_until=None, check_requested_at=None)
    SweepLock.objects.filter(name=PLAN_TICK).update(expires_at=now)


def only_due(ids: list[int]) -> None:
    """These connections due now, every other one not before tomorrow."""
    from monitoring.models import PollSchedule

    sweep_everything_now()
    PollSchedule.objects.exclude(connection_id__in=ids).update(
        due_at=timezone.now() + timedelta(days=1)
    )


def sweep_finished(sweep_id) -> bool:
    from monitoring.models import Sweep

    return Sweep.objects.filter(pk=sweep_id, finished_at__isnull=False).exists()


def latest_sweep_id():
    from monitoring.models import Sweep

    return Sweep.objects.order_by("-planned_at").values_list("pk", flat=True).first()


def wait(condition, processes, timeout: float, what: str, every: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{what}: a process died\n{process.log_path.read_text()[-3000:]}"
                )
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


def check_now_during_a_sweep(services, ids: list[int], clicks: int) -> None:
    """Clicks on "Check now" (the view's own calls) while a sweep of every connection runs, on
    a worker as deployed: `celery -A config worker`, its default processes."""
    from monitoring import poller, tasks
    from monitoring.models import HealthCheck, Source

    worker = services.worker(concurrency=settings.CELERY_WORKER_CONCURRENCY)
    sweep_everything_now()
    before = latest_sweep_id()
    tasks.plan_sweep.delay()
    wait(lambda: latest_sweep_id() != before, [worker], 60, "the sweep is planned")
    sweep_id = latest_sweep_id()
    seconds, during = [], 0
    for pk in ids[-clicks:]:  # the sweep's last batches: these wait longest in its queue
        clicked = time.perf_counter()
        asked = poller.request_check(pk)
        tasks.poll_connection_now.delay(pk)
        wait(
            lambda pk=pk, since=asked.since: HealthCheck.objects.filter(
                connection_id=pk, source=Source.CHECK_NOW, checked_at__gte=since
            ).exists(),
            [worker],
            60,
            "a Check now result",
        )
        seconds.append(time.perf_counter() - clicked)
        during += not sweep_finished(sweep_id)
        time.sleep(0.1)
    wait(lambda: sweep_finished(sweep_id), [worker], 600, "the sweep finishes")
    p95 = percentile(seconds, 0.95)
    print(
        f"Check now during a {len(ids)}-connection sweep ({settings.CELERY_WORKER_CONCURRENCY} "
        f"worker processes): p50 {statistics.median(seconds):.3f} s   p95 {p95:.3f} s   "
        f"n={len(seconds)} ({during} clicked while the sweep ran)   target p95 < "
        f"{CHECK_NOW_TARGET_P95_S:.0f} s: {'met' if p95 < CHECK_NOW_TARGET_P95_S else 'MISSED'}",
        flush=True,
    )


def killed_worker_recovery(services, ids: list[int], interval: int) -> None:
    """Beat and a worker as deployed; the worker killed with SIGKILL while a batch is in flight
    and a new one started: how long until every connection is polled again."""
    from monitoring.models import HealthCheck, SweepBatch
    from tests.live_services import kill_hard

    sweep_everything_now()
    beat = services.beat()
    worker = services.worker("doomed", concurrency=settings.CELERY_WORKER_CONCURRENCY)
    wait(
        lambda: (
            SweepBatch.objects.filter(finished_at__isnull=False).exists()
            and SweepBatch.objects.filter(
                finished_at__isnull=True, claimed_by__startswith="doomed."
            ).exists()
        ),
        [beat, worker],
        120,
        "a batch in flight after others finished",
    )
    killed_at = timezone.now()
    started = time.perf_counter()
    kill_hard(worker)
    services.worker("restarted", concurrency=settings.CELERY_WORKER_CONCURRENCY)
    ready = time.perf_counter() - started
    everyone = len(ids)

    def polled_again() -> bool:
        return (
            HealthCheck.objects.filter(checked_at__gt=killed_at).values("connection_id").distinct()
        ).count() >= everyone

    wait(polled_again, [beat], 600, "every connection polled again", every=0.25)
    took = time.perf_counter() - started
    print(
        f"kill -9 mid-batch to every connection polled again: {took:.1f} s "
        f"({everyone} connections, interval {interval} s, new worker ready after {ready:.1f} s)   "
        f"target < {KILL_TARGET_S:.0f} s: {'met' if took < KILL_TARGET_S else 'MISSED'}",
        flush=True,
    )


def rss_bytes(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def children_rss(pid: int) -> int:
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return sum(rss_bytes(int(child)) for child in children)
    return 0


def latency_sweep(services, ids: list[int], latencies: list[int], rounds: int) -> None:
    """One worker process sweeps at each upstream latency; polls/s against what its calls in
    flight allow (concurrency / latency), and its memory per call in flight."""
    from monitoring import tasks
    from monitoring.models import HealthCheck
    from sandbox.models import SandboxSettings

    concurrency = settings.POLL_CONCURRENCY
    count = min(len(ids), concurrency * rounds)
    # A batch of `rounds` rounds of calls: its fixed costs (the task's start, loading its rows,
    # the last chunk's write) stay small next to its rounds, as DEVELOPERS.md advises at latency.
    batch_size = max(settings.POLL_BATCH_SIZE, count)
    worker = services.worker("latency", concurrency=1)
    print(
        f"latency sweep: {count} connections per run, {concurrency} calls in flight per worker "
        f"(POLL_CONCURRENCY), batches of {batch_size}, 1 worker process",
        flush=True,
    )
    # Its process as started, before any batch: what a call in flight costs is what grows.
    at_start = peak = children_rss(worker.pid)
    for latency_ms in latencies:
        SandboxSettings.objects.update_or_create(pk=1, defaults={"global_latency_ms": latency_ms})
        time.sleep(1.2)  # the sandbox re-reads its latency knob once a second
        only_due(ids[:count])
        written_before = HealthCheck.objects.count()
        before = latest_sweep_id()
        started = time.perf_counter()
        tasks.plan_sweep.delay(batch_size=batch_size)
        wait(lambda before=before: latest_sweep_id() != before, [worker], 60, "planned")
        sweep_id = latest_sweep_id()
        while not sweep_finished(sweep_id):
            if worker.poll() is not None:
                raise RuntimeError(worker.log_path.read_text()[-3000:])
            peak = max(peak, children_rss(worker.pid))
            time.sleep(0.02)
        took = time.perf_counter() - started
        written = HealthCheck.objects.count() - written_before
        rate = written / took
        limit = concurrency / (latency_ms / 1000)
        share = rate / limit
        verdict = ""
        if latency_ms >= 300:
            verdict = f"   target >= {LATENCY_TARGET_SHARE:.0%}: " + (
                "met" if share >= LATENCY_TARGET_SHARE else "MISSED"
            )
        print(
            f"latency {latency_ms:5d} ms   {written:6d} polls  {rate:8.1f} polls/s   limit "
            f"{limit:8.1f} polls/s ({concurrency} / {latency_ms / 1000:g} s)   "
            f"{share:6.1%}{verdict}",
            flush=True,
        )
    grown = max(peak - at_start, 0)
    print(
        f"worker memory: {at_start / 2**20:.0f} MiB as started, {peak / 2**20:.0f} MiB at its "
        f"peak with {concurrency} calls in flight: at most {grown / concurrency / 1024:.1f} KiB "
        f"per call in flight (the growth also holds the batch's {batch_size} rows and results)",
        flush=True,
    )
