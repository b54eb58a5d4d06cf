"""Running a coroutine from a test, whatever the test's thread already runs.

Playwright's sync API (the browser tests) keeps an event loop running in the main thread of an
xdist worker for the rest of its session, where `asyncio.run()` would refuse; a fresh thread has
no loop.
"""

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[object, object, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
