"""`manage.py run_sandbox` as `make run` and the benchmark start it: a real process on a port."""

import ctypes
import os
import platform
import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.live_services import ROOT

TGKILL_SYSCALL = {"x86_64": 234, "aarch64": 131}  # Linux: signal one thread of a process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sandbox(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "manage.py", "run_sandbox", "--port", str(port), "--processes", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert "(2 processes)" in server.stdout.readline()
    return server


def health_answers(port: int, count: int) -> list[httpx.Response]:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", timeout=5) as http:
        deadline = time.monotonic() + 30
        while True:  # the workers take a moment to load Django
            try:
                return [http.get("/health") for _ in range(count)]
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def assert_nothing_listens(port: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=0.5)
        except httpx.TransportError:
            return
        time.sleep(0.1)
    raise AssertionError("a sandbox process outlived the one that started it")


def test_several_processes_serve_one_port_and_stop_together():
    port = free_port()
    server = start_sandbox(port)
    try:
        answers = health_answers(port, 20)
        assert {a.json()["status"] for a in answers} == {"ok"}
        assert all(a.headers["X-Request-ID"].startswith("req_") for a in answers)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert_nothing_listens(port)


def test_it_stops_when_the_signal_lands_on_a_thread_other_than_the_main_one():
    """The kernel may hand a process's SIGTERM to any of its threads; tgkill picks one."""
    port = free_port()
    server = start_sandbox(port)
    try:
        health_answers(port, 1)
        threads = [int(t) for t in os.listdir(f"/proc/{server.pid}/task") if int(t) != server.pid]
        assert threads, "the server's main process runs threads besides the main one"
        tgkill = TGKILL_SYSCALL[platform.machine()]
        assert ctypes.CDLL(None).syscall(tgkill, server.pid, threads[0], signal.SIGTERM) == 0
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert_nothing_listens(port)
