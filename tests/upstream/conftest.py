import pytest

from tests import aio
from upstream import client
from upstream.transport import AiohttpTransport


def status_in_a_sweep(upstream_id: str, secret: str):
    """One status call the way a sweep sends it: over the aiohttp transport."""

    async def call():
        async with AiohttpTransport(max_connections=1) as transport:
            return await client.get_status_async(transport, upstream_id, secret)

    return aio.run(call())


@pytest.fixture(params=["one call", "sweep"])
def get_status(request):
    """A status call on its own (httpx's client) or the way a sweep sends it (aiohttp)."""
    return client.get_status if request.param == "one call" else status_in_a_sweep
