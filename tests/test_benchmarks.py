"""The benchmarks still run: each one's --quick form, end to end, on a scratch SQLite database.

Figures are not asserted (tests never assert wall time); a benchmark that no longer runs after a
change to the code it measures fails here instead of on the next `make bench`.
"""

import os
import subprocess
import sys

import pytest

from tests.live_services import ROOT


@pytest.mark.parametrize("name", ["dashboard", "mappings", "polling", "serving", "steady"])
def test_the_benchmark_runs_and_prints_its_figures(name, tmp_path):
    environment = {
        **os.environ,
        "PATCHBAY_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_FILESYSTEM_BROKER_DIR": str(tmp_path / "broker"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", name, "--quick"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"== {name}" in result.stdout
    assert {
        "dashboard": "request-id lookup",
        "mappings": "ratio",
        "polling": "polls/s",
        "serving": "req/s",
        "steady": "sweep write per batch",
    }[name] in result.stdout
    if name in ("dashboard", "steady"):
        assert "targets: " in result.stdout
