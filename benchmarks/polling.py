"""Issue 3: a full sweep of 10,000 connections by one Celery worker process, against the sandbox
upstream answering with 20 ms latency, next to a one-at-a-time loop over a 300-connection sample.

The sandbox runs as its own process (as `make run` does), the worker as a real `celery worker`
with one process on the configured broker; the sweep is timed from the beat task being sent to
the sweep's last batch being written.

Then (benchmarks/_polling_workers.py): Check now's latency while a sweep of every connection runs
(issue 13, target p95 < 2 s), the time from a worker's kill -9 mid-batch to every connection
polled again (issue 13, interval 10 s, target < 45 s), and sweeps at 20, 300 and 1,000 ms of
upstream latency against what POLL_CONCURRENCY calls in flight allow (issue 17, target 90%).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection as db_connection

from benchmarks import _polling_workers as phases
from benchmarks._support import scratch_database

LATENCY_MS = 20
LATENCIES_MS = [20, 300, 1000]


def seed(count: int) -> list[int]:
    """`count` healthy connections, each with a sandbox counterpart and a token it honours."""
    from connections.models import ApiToken, Connection, Customer
    from sandbox.models import SandboxConnection, SandboxSettings, SandboxToken, hash_token

    customers = Customer.objects.bulk_create(
        [Customer(name=f"Bench customer {i}", slug=f"bench-{i}") for i in range(20)]
    )
    connections = Connection.objects.bulk_create(
        [
            Connection(
                customer=customers[i % len(customers)],
                system="sandbox",
                environment="production",
                upstream_id=f"conn_bench_{i:05d}",
                display_name=f"Bench connection {i}",
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    upstreams = SandboxConnection.objects.bulk_create(
        [SandboxConnection(upstream_id=c.upstream_id, system="sandbox") for c in connections],
        batch_size=2000,
    )
    sandbox_tokens, tokens = [], []
    for index, (connection, upstream) in enumerate(zip(connections, upstreams, strict=True)):
        plaintext = f"sbx_bench_{os.urandom(16).hex()}"
        sandbox_tokens.append(
            SandboxToken(
                connection=upstream,
                token_id=f"tok_bench_{index:05d}",
                token_hash=hash_token(plaintext),
            )
        )
        token = ApiToken(
            connection=connection,
            environment=connection.environment,
            label="bench",
            upstream_token_id=f"tok_bench_{index:05d}",
        )
        token.set_plaintext(plaintext)
        tokens.append(token)
    SandboxToken.objects.bulk_create(sandbox_tokens, batch_size=2000)
    ApiToken.objects.bulk_create(tokens, batch_size=2000)
    SandboxSettings.objects.update_or_create(pk=1, defaults={"global_latency_ms": LATENCY_MS})
    return [c.pk for c in connections]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def deployed_settings() -> dict[str, str]:
    """As a deployed service runs: without DEBUG's query log, with the secrets it asks for."""
    return {
        "DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": settings.SECRET_KEY,
        "TOKEN_ENCRYPTION_KEYS": ",".join(settings.TOKEN_ENCRYPTION_KEYS),
        "TOKEN_FINGERPRINT_KEY": settings.TOKEN_FINGERPRINT_KEY,
        "UNIFIED_API_KEY": settings.UNIFIED_API_KEY,
        "NOTIFICATION_WEBHOOK_SECRET": settings.NOTIFICATION_WEBHOOK_SECRET,
        "UNIFIED_WEBHOOK_SECRETS": ",".join(settings.UNIFIED_WEBHOOK_SECRETS),
    }


@contextmanager
def sandbox_process(database_url: str):
    """`manage.py run_sandbox` on a free loopback port, on the scratch database."""
    import httpx

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_sandbox",
            "--port",
            str(port),
            "--quiet",
            "--processes",
            "2",
        ],
        cwd=Path(__file__).resolve().parents[1],
        env={
            **os.environ,
            # One persistent connection per lookup thread (asyncio's executor, a few per
            # process): a pool's checkout and return on every request cost the sandbox a tenth
            # of its CPU.
            "DATABASE_URL": database_url
            + ("?conn_max_age=600" if database_url.startswith("postgres") else ""),
            "DATABASE_POOL": "false",
            **deployed_settings(),
        },
        stdout=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base_url}/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield process, base_url
    finally:
        process.terminate()
        process.wait(timeout=20)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its direct children so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0.0
    for one in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def wait_for_sweep(worker, timeout: float) -> None:
    from monitoring.models import Sweep

    deadline = time.monotonic() + timeout
    while not Sweep.objects.filter(finished_at__isnull=False).exists():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the sweep did not finish:\n{worker.log_path.read_text()[-3000:]}")
        time.sleep(0.05)


def run(args) -> None:
    from monitoring import poller, tasks
    from monitoring.models import HealthCheck
    from tests.live_services import celery_services, database_url, running_worker

    count, sample = (1_000, 100) if args.quick else (10_000, 300)
    clicks, kill_interval, rounds = (5, 5, 3) if args.quick else (25, 10, 30)
    batch_size, concurrency = settings.POLL_BATCH_SIZE, settings.POLL_CONCURRENCY
    print(
        f"{count} connections, sandbox latency {LATENCY_MS} ms, database "
        f"{db_connection.vendor}, broker {settings.CELERY_BROKER_URL.split(':')[0]}, "
        f"batches of {batch_size}, {concurrency} calls in flight per batch",
        flush=True,
    )
    with scratch_database():
        ids = seed(count)
        with sandbox_process(database_url()) as (sandbox, base_url):
            settings.UNIFIED_API_BASE_URL = base_url

            started = time.perf_counter()
            for pk in ids[:sample]:
                poller.poll_one(pk)
            loop_rate = sample / (time.perf_counter() - started)

            with (
                tempfile.TemporaryDirectory() as folder,
                running_worker(
                    Path(folder), concurrency=1, extra_env=deployed_settings()
                ) as worker,
            ):
                cpu_before = cpu_seconds(worker.pid), cpu_seconds(sandbox.pid)
                started = time.perf_counter()
                tasks.plan_sweep.delay()
                wait_for_sweep(worker, timeout=600)
                sweep_seconds = time.perf_counter() - started
                worker_cpu = cpu_seconds(worker.pid) - cpu_before[0]
                sandbox_cpu = cpu_seconds(sandbox.pid) - cpu_before[1]
            written = HealthCheck.objects.filter(sweep_id__isnull=False).count()
            report_sweep(sample, loop_rate, written, sweep_seconds, worker_cpu, sandbox_cpu)

            with (
                tempfile.TemporaryDirectory() as folder,
                celery_services(Path(folder), extra_env=deployed_settings()) as services,
            ):
                phases.check_now_during_a_sweep(services, ids, clicks)
            with (
                tempfile.TemporaryDirectory() as folder,
                celery_services(
                    Path(folder),
                    extra_env={**deployed_settings(), "POLL_INTERVAL_SECONDS": str(kill_interval)},
                ) as services,
            ):
                phases.killed_worker_recovery(services, ids, kill_interval)
            with (
                tempfile.TemporaryDirectory() as folder,
                celery_services(Path(folder), extra_env=deployed_settings()) as services,
            ):
                phases.latency_sweep(services, ids, LATENCIES_MS, rounds)


def report_sweep(sample, loop_rate, written, sweep_seconds, worker_cpu, sandbox_cpu) -> None:
    sweep_rate = written / sweep_seconds
    print(f"one-at-a-time loop   {sample:6d} polls  {loop_rate:9.1f} polls/s", flush=True)
    print(
        f"sweep (1 worker)     {written:6d} polls  {sweep_rate:9.1f} polls/s"
        f"   in {sweep_seconds:.1f} s",
        flush=True,
    )
    print(f"ratio sweep / loop   {sweep_rate / loop_rate:9.1f}x", flush=True)
    print(
        f"CPU during the sweep: worker {worker_cpu:.1f} s "
        f"({written / max(worker_cpu, 0.01):.0f} polls per worker CPU-second), "
        f"sandbox upstream {sandbox_cpu:.1f} s, on {os.cpu_count()} cores",
        flush=True,
    )
