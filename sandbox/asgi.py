"""The sandbox upstream as an ASGI application, for the server `manage.py run_sandbox` starts.

A status call, thousands a second in the polling benchmark, is answered here with the views'
own functions (`status_lookup`, `status_answer`, the same request ids, errors and headers)
without Django's request cycle: its ASGI handler spent three times the CPU of the call itself
on signals, thread hops and request objects. Its latency waits on the event loop, so calls in
flight cost no thread. Every other path (and any other method) goes through Django.

Each of the server's worker processes imports this module, so it sets Django up itself.
"""

import asyncio
import os
import re

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402 - needs the apps loaded above
from django.http import HttpResponse  # noqa: E402
from django.http.request import split_domain_port, validate_host  # noqa: E402

from sandbox import views  # noqa: E402
from sandbox.server import SandboxASGIHandler  # noqa: E402

STATUS_PATH = re.compile(r"/v1/connections/([^/]+)/status")


class StatusCall:
    """What the protocol's functions read of a request: its id and headers, WSGI-style."""

    __slots__ = ("META", "request_id")

    def __init__(self, headers: list[tuple[bytes, bytes]]):
        self.request_id = views.new_request_id()
        self.META = {}
        for name, value in headers:
            if name == b"authorization":
                self.META["HTTP_AUTHORIZATION"] = value.decode("latin-1")


class SandboxApplication:
    def __init__(self):
        self.django = SandboxASGIHandler()

    async def __call__(self, scope, receive, send) -> None:
        match = (
            STATUS_PATH.fullmatch(scope["path"])
            if scope["type"] == "http" and scope["method"] == "GET" and allowed_host(scope)
            else None
        )
        if match is None:
            await self.django(scope, receive, send)
            return
        await respond(send, await status(StatusCall(scope["headers"]), match.group(1)))


async def status(call: StatusCall, upstream_id: str) -> HttpResponse:
    """GET /v1/connections/{id}/status, as `views.connection_status` answers it."""
    try:
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        found, latency_ms = await loop.run_in_executor(None, views.status_lookup, call, upstream_id)
        if isinstance(found, HttpResponse):
            response = found
        else:
            await views.wait_out_latency(arrived, latency_ms)
            response = views.status_answer(call, found)
    except Exception:
        response = views.error(call, 500, "INTERNAL_ERROR", "The sandbox failed unexpectedly.")
    response["X-Request-ID"] = call.request_id
    return response


def allowed_host(scope) -> bool:
    """ALLOWED_HOSTS, as Django checks it; a refused host goes to Django for its 400."""
    host = next((value for name, value in scope["headers"] if name == b"host"), b"")
    domain, _ = split_domain_port(host.decode("latin-1"))
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


async def respond(send, response: HttpResponse) -> None:
    body = response.content
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()
    ]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


application = SandboxApplication()
