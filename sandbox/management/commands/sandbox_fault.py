import difflib

from django.core.management.base import BaseCommand, CommandError

from sandbox.models import Fault, SandboxConnection
from sandbox.webhooks import announce_change

LISTED = 40


class Command(BaseCommand):
    help = (
        "Set the fault the sandbox upstream plays on one connection, and announce it by webhook. "
        "UPSTREAM_ID is the connection's id at the upstream (the unified API), shown on its "
        "Patchbay page as 'upstream id', e.g. conn_acme_07 for the demo's Acme connection #7."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "upstream_id",
            metavar="UPSTREAM_ID",
            help="the connection's upstream id, e.g. conn_acme_07 (see the connection's page)",
        )
        parser.add_argument(
            "fault",
            choices=Fault.values,
            help="what the sandbox answers from now on: " + ", ".join(Fault.values),
        )
        parser.add_argument("--percent", type=int, help="flaky: share of calls that fail (0-100)")
        parser.add_argument("--latency-ms", type=int, help="slow: added latency per call")
        parser.add_argument("--retry-after", type=int, help="rate_limited: Retry-After seconds")
        parser.add_argument(
            "--no-webhook", action="store_true", help="change silently, send no webhook"
        )

    def handle(self, *args, upstream_id, fault, percent, latency_ms, retry_after, **options):
        connection = SandboxConnection.objects.filter(upstream_id=upstream_id).first()
        if connection is None:
            raise CommandError(unknown_id_message(upstream_id))
        if percent is not None and not 0 <= percent <= 100:
            raise CommandError("--percent must be between 0 and 100.")
        if latency_ms is not None and latency_ms < 0:
            raise CommandError("--latency-ms cannot be negative.")
        previous_status = connection.status
        connection.fault = fault
        if percent is not None:
            connection.flaky_percent = percent
        if latency_ms is not None:
            connection.latency_ms = latency_ms
        if retry_after is not None:
            connection.retry_after_seconds = max(retry_after, 0)
        connection.save()
        self.stdout.write(f"{upstream_id}: fault {fault}, status {connection.status}.")
        if not options["no_webhook"]:
            for status in announce_change(connection, previous_status):
                outcome = "not delivered" if status is None else f"answered {status}"
                self.stdout.write(f"Webhook to Patchbay {outcome}.")


def unknown_id_message(upstream_id: str) -> str:
    """Name the closest valid ids, then list the valid ones (or say there are none yet)."""
    ids = SandboxConnection.objects.order_by("upstream_id").values_list("upstream_id", flat=True)
    known = list(ids)
    if not known:
        return (
            f"No sandbox connection {upstream_id!r}: the sandbox has none yet. "
            "Run `manage.py seed_demo` to create the demo's."
        )
    lines = [f"No sandbox connection {upstream_id!r}."]
    close = difflib.get_close_matches(upstream_id, known, n=3, cutoff=0.6)
    if close:
        lines.append("Did you mean: " + ", ".join(close) + "?")
    shown = known[:LISTED]
    lines.append(f"Valid upstream ids ({len(known)}): " + ", ".join(shown))
    if len(known) > LISTED:
        lines.append(f"… and {len(known) - LISTED} more.")
    return "\n".join(lines)
