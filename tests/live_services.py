"""Real services for integration tests: the sandbox upstream on loopback and a Celery worker.

Both run against the test database, so tests that use them need `transactional_db` (data the
test writes must be committed for another thread or process to see it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The URL of the test database this process is using (not the development one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def forget_broker_connections() -> None:
    """Drop the app's cached broker connections and producers.

    Celery keeps a producer pool made with the transport options of the first task sent; a test
    that points the filesystem broker at a folder of its own must not publish into the old one.
    """
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def sandbox_server(transactional_db, settings):
    """The sandbox upstream on a free loopback port; UNIFIED_API_BASE_URL points at it."""
    from sandbox.server import SandboxThread

    server = SandboxThread()
    server.start()
    settings.UNIFIED_API_BASE_URL = server.base_url
    yield server
    server.stop()


class CeleryServices:
    """Worker and beat processes sharing one set of queues on the configured broker.

    The queue names are unique, so parallel test processes sharing one Redis never take each
    other's tasks; with the filesystem broker the queue folder is a fresh one under `folder`.
    Tasks this process sends go to those queues until the block ends.
    """

    def __init__(self, folder: Path, extra_env: dict | None):
        self.folder = folder
        self.queue = f"patchbay-test-{uuid.uuid4().hex[:12]}"
        self.processes: list[subprocess.Popen] = []
        self.environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "TOKEN_ENCRYPTION_KEYS": ",".join(settings.TOKEN_ENCRYPTION_KEYS),
            "TOKEN_FINGERPRINT_KEY": settings.TOKEN_FINGERPRINT_KEY,
            "UNIFIED_WEBHOOK_SECRETS": ",".join(settings.UNIFIED_WEBHOOK_SECRETS),
            "UNIFIED_API_BASE_URL": settings.UNIFIED_API_BASE_URL,
            "UNIFIED_API_KEY": settings.UNIFIED_API_KEY,
            "PATCHBAY_BASE_URL": getattr(settings, "PATCHBAY_BASE_URL", ""),
            "SECRET_KEY": settings.SECRET_KEY,
            "PYTHONUNBUFFERED": "1",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            **(extra_env or {}),
        }
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            broker = folder / "broker"
            for sub in ("queue", "processed", "control"):
                (broker / sub).mkdir(parents=True)
            self.environment["CELERY_FILESYSTEM_BROKER_DIR"] = str(broker)
            self.transport_options = {
                "data_folder_in": str(broker / "queue"),
                "data_folder_out": str(broker / "queue"),
                "processed_folder": str(broker / "processed"),
                "store_processed": False,
                "control_folder": str(broker / "control"),
            }
        else:
            self.transport_options = dict(celery_app.conf.broker_transport_options or {})

    def start(
        self, name: str, arguments: list[str], ready: str, python: Path | None = None
    ) -> subprocess.Popen:
        """A celery process of its own session (so a test can kill it with its children)."""
        log_path = self.folder / f"{name}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [str(python or sys.executable), "-m", "celery", "-A", "config", *arguments],
                cwd=ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        process.log_path = log_path
        deadline = time.monotonic() + 60
        while ready not in log_path.read_text():
            assert process.poll() is None, f"{name} died:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"{name} not ready:\n{log_path.read_text()}"
            time.sleep(0.1)
        return process

    def worker(
        self, name: str = "worker", *, concurrency: int = 2, python: Path | None = None
    ) -> subprocess.Popen:
        """`celery -A config worker` with no queue flags: it serves every queue, as deployed."""
        return self.start(
            name,
            [
                "worker", "--concurrency", str(concurrency), "--loglevel", "INFO",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--hostname", f"{name}.{self.queue}@%h",
            ],
            ready="ready.",
            python=python,
        )  # fmt: skip

    def beat(self) -> subprocess.Popen:
        """`celery -A config beat`, as its own process (production's process list)."""
        schedule = self.folder / "celerybeat-schedule"
        return self.start(
            "beat", ["beat", "--loglevel", "INFO", "--schedule", str(schedule)], ready="Starting"
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def celery_services(folder: Path, *, extra_env: dict | None = None):
    services = CeleryServices(folder, extra_env)
    saved = dict(celery_app.conf.broker_transport_options or {}), celery_app.conf.task_default_queue
    celery_app.conf.broker_transport_options = services.transport_options
    celery_app.conf.task_default_queue = services.queue
    forget_broker_connections()
    try:
        yield services
    finally:
        services.stop()
        celery_app.conf.broker_transport_options, celery_app.conf.task_default_queue = saved
        forget_broker_connections()


def kill_hard(process: subprocess.Popen) -> None:
    """kill -9 the process and its children, as an OOM kill or a lost node does."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def running_worker(folder: Path, *, concurrency: int = 2, extra_env: dict | None = None):
    """A real `celery worker` process on the configured broker, on queues of its own (see
    `CeleryServices`). Also used by the benchmarks."""
    with celery_services(folder, extra_env=extra_env) as services:
        yield services.worker(concurrency=concurrency)


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """A real worker for one test (see `running_worker`)."""
    with running_worker(tmp_path) as process:
        yield process
    with connection.cursor():
        pass
