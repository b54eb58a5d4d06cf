import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels

from config.serve import WakingEvent

# Threads per process that run the sandbox's views. A status call sleeps for the simulated latency
# in its thread, so at the benchmark's 20 ms each thread answers up to 50 calls a second.
THREADS_PER_PROCESS = 32


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
        """Serve with Granian: its HTTP layer is Rust, so the stand-in spends its CPU on the
        protocol rather than on parsing HTTP (Django's development server spent a third of the
        sandbox's CPU on that). Ctrl-C or SIGTERM stops every process."""
        if processes < 1:
            raise CommandError("--processes must be at least 1.")
        self.stdout.write(
            f"Sandbox upstream listening on http://{host}:{port}/v1"
            + (f" ({processes} processes)" if processes > 1 else "")
        )
        self.stdout.flush()
        server = Granian(
            "sandbox.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=processes,
            blocking_threads=THREADS_PER_PROCESS,
            websockets=False,
            log_access=not quiet,
            log_level=LogLevels.warning if quiet else LogLevels.info,
            workers_kill_timeout=5,  # a worker that ignores SIGTERM is killed, not waited for
        )
        server.main_loop_interrupt = WakingEvent()
        # Granian warns on every start when threads outnumber cores; here they mostly sleep out
        # the simulated latency, so that is the point, not a misconfiguration.
        logging.getLogger("_granian").addFilter(
            lambda record: "Python threads" not in record.getMessage()
        )
        server.serve()
