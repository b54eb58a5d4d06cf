from django.conf import settings
from django.core.management.base import BaseCommand

from sandbox.server import make_server


class Command(BaseCommand):
    help = "Serve the sandbox upstream (the stand-in for the unified API) on its own port."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.SANDBOX_PORT)
        parser.add_argument(
            "--quiet", action="store_true", help="no access log line per request (benchmarks)"
        )

    def handle(self, *args, host, port, quiet, **options):
        server = make_server(host, port, quiet=quiet)
        self.stdout.write(f"Sandbox upstream listening on http://{host}:{port}/v1")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
