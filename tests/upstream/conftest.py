import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from upstream import client
from upstream.transport import AiohttpTransport


def status_in_a_sweep(upstream_id: str, secret: str):
    """One status call the way a sweep sends it: over the aiohttp transport."""

    async def call():
        async with AiohttpTransport(max_connections=1) as transport:
            return await client.get_status_async(transport, upstream_id, secret)

    # On a thread of its own: a browser test may have left this thread's event loop running.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, call()).result()


@pytest.fixture(params=["one call", "sweep"])
def get_status(request):
    """A status call on its own (httpx's client) or the way a sweep sends it (aiohttp)."""
    return client.get_status if request.param == "one call" else status_in_a_sweep
