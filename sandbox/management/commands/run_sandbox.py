from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from granian import Granian
from granian.constants import Interfaces, Loops
from granian.log import LogLevels

from config.serve import WakingEvent

# Calls one process holds in flight. A status call waits out its simulated latency on the event
# loop (sandbox/views.py), so a thousand calls at one second each cost timers, not threads.
CALLS_IN_FLIGHT_PER_PROCESS = 4096


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
        """Serve with Granian over ASGI: its HTTP layer is Rust, so the stand-in spends its CPU on
        the protocol rather than on parsing HTTP (Django's development server spent a third of
        the sandbox's CPU on that), and latency waits on uvloop. Ctrl-C or SIGTERM stops every
        process."""
        if processes < 1:
            raise CommandError("--processes must be at least 1.")
        self.stdout.write(
            f"Sandbox upstream listening on http://{host}:{port}/v1"
            + (f" ({processes} processes)" if processes > 1 else "")
        )
        self.stdout.flush()
        server = Granian(
            "sandbox.asgi:application",
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            loop=Loops.uvloop,
            workers=processes,
            backlog=CALLS_IN_FLIGHT_PER_PROCESS * processes,
            backpressure=CALLS_IN_FLIGHT_PER_PROCESS,
            websockets=False,
            log_access=not quiet,
            log_level=LogLevels.warning if quiet else LogLevels.info,
            workers_kill_timeout=5,  # a worker that ignores SIGTERM is killed, not waited for
        )
        server.main_loop_interrupt = WakingEvent()
        server.serve()
