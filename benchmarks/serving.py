"""The production web server: Granian (`python -m config.serve`) against gunicorn's gthread workers.

Both serve config.wsgi with production settings (DEBUG off, hashed static files through
WhiteNoise) from the same 2 processes of 4 threads, on loopback, and take the same load: 16
keep-alive connections sending requests back to back, first for the sign-in page (a Django
view, its template and middleware), then for the hashed stylesheet (WhiteNoise). Printed: requests
per second, latency percentiles and the resident memory of the server's processes afterwards.
The load generator shares the two cores, so the figures compare the servers, they do not size
a deployment.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

from benchmarks._support import percentile
from benchmarks.polling import deployed_settings, free_port

ROOT = Path(__file__).resolve().parents[1]
WORKERS, THREADS, CONNECTIONS = 2, 4, 16


def server_commands(port: int) -> dict[str, list[str]]:
    return {
        "granian": [sys.executable, "-m", "config.serve"],
        "gunicorn": [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--threads", str(THREADS),
            "--worker-class", "gthread", "--log-level", "warning",
        ],
    }  # fmt: skip


def environment(port: int, static_root: Path) -> dict[str, str]:
    from tests.live_services import database_url

    return {
        **os.environ,
        **deployed_settings(),
        "DATABASE_URL": database_url(),
        "SECURE_SSL_REDIRECT": "false",  # no TLS proxy in front here
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_WORKERS": str(WORKERS),
        "WEB_THREADS": str(THREADS),
    }


def resident_megabytes(group: int) -> float:
    """Resident memory of every process in the server's process group, from /proc."""
    total_pages = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group:  # the process group, after state and parent
                total_pages += int((stat.parent / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return total_pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


async def load(url: str, requests: int) -> tuple[float, list[float]]:
    """`requests` GETs over CONNECTIONS keep-alive connections; wall seconds and latencies (ms)."""
    latencies: list[float] = []
    remaining = iter(range(requests))

    async def client(session):
        for _ in remaining:
            started = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                assert response.status == 200, response.status
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(CONNECTIONS)))
        return time.perf_counter() - started, latencies


def measure(name: str, command: list[str], env: dict, port: int, requests: int) -> None:
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                login = httpx.get(f"{base}/login/", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, f"{name} down"
                time.sleep(0.2)
        stylesheet = re.search(r'href="(/static/css/patchbay\.\w+\.css)"', login.text).group(1)
        pages = [("/login/ (a view)", "/login/"), ("hashed CSS (WhiteNoise)", stylesheet)]
        for label, path in pages:
            asyncio.run(load(f"{base}{path}", requests // 10))  # warm up
            seconds, latencies = asyncio.run(load(f"{base}{path}", requests))
            print(
                f"{name:<9} {label:<24} {requests / seconds:8.0f} req/s   "
                f"p50 {statistics.median(latencies):6.1f} ms   "
                f"p99 {percentile(latencies, 0.99):6.1f} ms   n={requests}",
                flush=True,
            )
        print(f"{name:<9} resident memory, all processes {resident_megabytes(process.pid):6.0f} MB")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def run(args) -> None:
    requests = 300 if args.quick else 4000
    with tempfile.TemporaryDirectory() as folder:
        static_root = Path(folder) / "static"
        port = free_port()
        env = environment(port, static_root)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        print(f"{WORKERS} processes x {THREADS} threads each, {CONNECTIONS} connections")
        # Taking turns, twice over in a full run, so a change in the machine's load hits both.
        order = ["granian", "gunicorn"] + ([] if args.quick else ["gunicorn", "granian"])
        for name in order:
            measure(name, server_commands(port)[name], env, port, requests)
