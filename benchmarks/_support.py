"""What every benchmark shares: a scratch database and the way figures are measured and printed."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def scratch_database() -> Iterator[None]:
    """A fresh, migrated database (test_<name>) for the run, dropped afterwards.

    Benchmarks seed hundreds of thousands of rows; they never touch the development data.
    """
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def timed(function: Callable[[], object], repeat: int) -> list[float]:
    """Wall time of each call, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(label: str, times_ms: list[float]) -> str:
    line = (
        f"{label:<40} median {statistics.median(times_ms):8.2f} ms   "
        f"p95 {percentile(times_ms, 0.95):8.2f} ms   n={len(times_ms)}"
    )
    print(line, flush=True)
    return line
