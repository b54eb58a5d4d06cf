"""run_sandbox's ASGI application answers the status call exactly as the Django view does, with
its latency waited out on the event loop rather than in a thread."""

import asyncio
import threading

import httpx
import pytest

from sandbox.asgi import application
from sandbox.models import Fault, SandboxConnection
from tests import aio

FAULTS = [
    {"fault": Fault.HEALTHY},
    {"fault": Fault.REQUIRES_REAUTH},
    {"fault": Fault.TOKEN_REVOKED},
    {"fault": Fault.RATE_LIMITED, "retry_after_seconds": 90},
    {"fault": Fault.SERVER_ERROR},
    {"fault": Fault.MALFORMED},
    {"fault": Fault.DISCONNECTED},
    {"fault": Fault.SLOW, "latency_ms": 50},
]


def comparable(response: httpx.Response) -> tuple:
    body = response.text.replace(response.headers["X-Request-ID"], "<request id>")
    # Date, Server and Content-Length are the HTTP server's, not the protocol's.
    server = {"x-request-id", "date", "server", "content-length"}
    headers = {name: value for name, value in response.headers.items() if name not in server}
    return response.status_code, body, headers


async def asgi_get(path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.get(path, headers=headers)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault["fault"])
def test_the_status_call_answers_as_the_view_does(sandbox_server, fault):
    upstream = SandboxConnection.objects.create(upstream_id="conn_asgi_1", **fault)
    SandboxConnection.objects.create(upstream_id="conn_asgi_2")
    _, token = upstream.issue_token()
    cases = [
        ("/v1/connections/conn_asgi_1/status", token),
        ("/v1/connections/conn_asgi_1/status", None),
        ("/v1/connections/conn_asgi_1/status", "sbx_not_a_token"),
        ("/v1/connections/conn_asgi_2/status", token),
        ("/v1/connections/conn_missing/status", token),
    ]
    for path, presented in cases:
        headers = {"Authorization": f"Bearer {presented}"} if presented else {}
        over_django = httpx.get(sandbox_server.base_url.removesuffix("/v1") + path, headers=headers)
        over_asgi = aio.run(asgi_get(path, presented))
        assert over_asgi.headers["X-Request-ID"].startswith("req_")
        assert comparable(over_asgi) == comparable(over_django), path


def test_slow_calls_in_flight_hold_no_thread(sandbox_server):
    upstream = SandboxConnection.objects.create(
        upstream_id="conn_asgi_slow", fault=Fault.SLOW, latency_ms=1000
    )
    _, token = upstream.issue_token()
    threads = []

    async def many() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            calls = [
                client.get(
                    "/v1/connections/conn_asgi_slow/status",
                    headers={"Authorization": f"Bearer {token}"},
                )
                for _ in range(300)
            ]
            gathered = asyncio.gather(*calls)
            await asyncio.sleep(0.5)  # every call is now waiting out its second
            threads.append(threading.active_count())
            return await gathered

    before = threading.active_count()
    answers = aio.run(many())
    assert {answer.status_code for answer in answers} == {200}
    assert threads[0] - before < 50, "the calls in flight are timers, not threads"
