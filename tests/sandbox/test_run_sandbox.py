"""`manage.py run_sandbox` as `make run` and the benchmark start it: a real process on a port."""

import socket
import subprocess
import sys
import time

import httpx

from tests.live_services import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_several_processes_serve_one_port_and_stop_together():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "run_sandbox", "--port", str(port), "--processes", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "(2 processes)" in server.stdout.readline()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", timeout=5) as http:
            answers = [http.get("/health") for _ in range(20)]
        assert {a.json()["status"] for a in answers} == {"ok"}
        assert all(a.headers["X-Request-ID"].startswith("req_") for a in answers)
    finally:
        server.terminate()
        server.wait(timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=0.5)
        except httpx.TransportError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("a sandbox process outlived the one that started it")
