import contextlib
import os
import signal
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from sandbox.server import make_server


class Command(BaseCommand):
    help = "Serve the sandbox upstream (the stand-in for the unified API) on its own port."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.SANDBOX_PORT)
        parser.add_argument(
            "--quiet", action="store_true", help="no access log line per request (benchmarks)"
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="serve from this many processes sharing the socket (a vendor's API scales out; "
            "the polling benchmark uses 2 so the stand-in is not held to one core)",
        )

    def handle(self, *args, host, port, quiet, processes, **options):
        if processes < 1:
            raise CommandError("--processes must be at least 1.")
        server = make_server(host, port, quiet=quiet)
        self.stdout.write(
            f"Sandbox upstream listening on http://{host}:{port}/v1"
            + (f" ({processes} processes)" if processes > 1 else "")
        )
        self.stdout.flush()
        connections.close_all()  # no database connection may be shared across fork()
        # SIGTERM ends the process through `finally`, so the first process stops its siblings.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        children = []
        for _ in range(processes - 1):
            pid = os.fork()
            if pid == 0:
                children = []
                break
            children.append(pid)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
