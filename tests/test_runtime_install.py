"""A worker installed as production installs it (`pip install -e .`, no dev extra) starts on the
configured broker and runs a task.

The dev extra pulls in packages the runtime may silently lean on (pytest brings `packaging`,
which kombu's Redis transport imports): this install has only what pyproject's dependencies
declare. Built once per pyproject.toml under var/ and reused.
"""

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitoring import tasks
from monitoring.models import HealthCheck
from tests.factories import linked_connection
from tests.live_services import ROOT, celery_services

pytestmark = pytest.mark.integration


def runtime_environment() -> Path:
    """A virtualenv with `pip install -e .` only; its python."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:12]
    home = ROOT / "var" / f"runtime-venv-{digest}"
    python = home / "bin" / "python"
    if (home / ".installed").exists():
        return python
    building = home.with_name(f"{home.name}.building-{time.monotonic_ns()}")
    subprocess.run([sys.executable, "-m", "venv", str(building)], check=True)
    subprocess.run(
        [str(building / "bin" / "python"), "-m", "pip", "install", "--quiet", "-e", str(ROOT)],
        check=True,
        timeout=600,
    )
    (building / ".installed").touch()
    shutil.rmtree(home, ignore_errors=True)
    # Moved into place whole: a run stopped halfway leaves no half-built environment in use.
    # (Its python finds the environment from its own path; the test runs `python -m celery`.)
    building.rename(home)
    return python


def test_a_runtime_only_install_runs_a_worker_that_runs_a_task(sandbox_server, tmp_path):
    python = runtime_environment()
    packages = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True
    ).stdout.lower()
    assert "pytest" not in packages, "the dev extra is not installed"
    # What kombu's Redis transport needs, importable even where this run's broker is the
    # filesystem one.
    subprocess.run([str(python), "-c", "import kombu.transport.redis"], check=True)

    connection = linked_connection(fault="disconnected")
    with celery_services(tmp_path) as services:
        worker = services.worker(python=python)
        tasks.poll_connection_now.delay(connection.pk)
        deadline = time.monotonic() + 60
        while not HealthCheck.objects.filter(connection=connection).exists():
            assert worker.poll() is None, worker.log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, worker.log_path.read_text()[-3000:]
            time.sleep(0.2)
    assert HealthCheck.objects.get(connection=connection).outcome == "disconnected"
