"""The sandbox upstream's Django handler, and an in-process server for it (the tests).

It shares Patchbay's settings and database (so faults can be set from the admin), but answers
only the upstream protocol: the web app's URLs are not reachable through it. `manage.py
run_sandbox` serves the same views over ASGI (`SandboxASGIHandler`, sandbox/asgi.py) from its
own processes, so a status call's latency waits on the event loop instead of holding a thread.
"""

from __future__ import annotations

import socket
import threading

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.test.utils import override_settings

# The vendor's API needs none of the dashboard's middleware (sessions, auth, lockouts, messages;
# its views are CSRF-exempt), and leaving it out keeps a status call cheap enough for the polling
# benchmark's thousand calls a second. CommonMiddleware stays: it checks ALLOWED_HOSTS and sets
# Content-Length, without which Django's threaded server below closes every connection instead of
# keeping it alive.
SANDBOX_MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]


class SandboxHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        with override_settings(MIDDLEWARE=SANDBOX_MIDDLEWARE):
            super().load_middleware(is_async)

    def get_response(self, request):
        request.urlconf = "sandbox.urls"
        return super().get_response(request)


class SandboxASGIHandler(ASGIHandler):
    """The same views and middleware over ASGI: async views (the status call) never take a
    thread to wait out their latency."""

    def load_middleware(self, is_async: bool = False) -> None:
        with override_settings(MIDDLEWARE=SANDBOX_MIDDLEWARE):
            super().load_middleware(is_async)

    async def get_response_async(self, request):
        request.urlconf = "sandbox.urls"
        return await super().get_response_async(request)


class QuietRequestHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


class SandboxServer(ThreadedWSGIServer):
    # Django's development server listens with a backlog of 10; a poller with 50 calls in flight
    # overflows it, and every dropped connection attempt costs a one-second SYN retry.
    request_queue_size = 1024

    def get_request(self):
        # wsgiref sends the headers and the body in separate writes; with Nagle's algorithm the
        # body then waits for the client's delayed ACK of the headers (up to 40 ms per answer
        # on a keep-alive connection).
        request, address = super().get_request()
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return request, address


def make_server(host: str = "127.0.0.1", port: int = 0):
    server = SandboxServer((host, port), QuietRequestHandler, allow_reuse_address=True)
    server.daemon_threads = True
    server.set_app(SandboxHandler())
    return server


class SandboxThread(threading.Thread):
    """Runs the sandbox on a free loopback port in this process (tests, benchmarks)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(daemon=True)
        self.server = make_server(host, port)
        self.host, self.port = self.server.server_address[:2]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def run(self) -> None:
        self.server.serve_forever(poll_interval=0.1)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
