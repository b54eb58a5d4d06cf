"""Signed webhooks from the sandbox to Patchbay (Standard Webhooks), sent when a fault changes
what a connection's status looks like from the outside."""

from __future__ import annotations

import json
import logging
import secrets
import threading
from datetime import UTC, datetime

import httpx
from django.conf import settings
from standardwebhooks import Webhook

from sandbox.models import SandboxConnection, UpstreamStatus

logger = logging.getLogger(__name__)


def webhook_url() -> str:
    return settings.PATCHBAY_BASE_URL.rstrip("/") + "/webhooks/unified/"


def signed_request(event_type: str, data: dict, *, secret: str | None = None):
    """The id, headers and body of one signed event, as the upstream would send it."""
    now = datetime.now(UTC)
    webhook_id = f"msg_{secrets.token_hex(12)}"
    body = json.dumps({"type": event_type, "timestamp": now.isoformat(), "data": data})
    signer = Webhook(secret or settings.UNIFIED_WEBHOOK_SECRETS[0])
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(webhook_id, now, body),
        "content-type": "application/json",
    }
    return webhook_id, headers, body


def events_for_change(connection: SandboxConnection, previous_status: str) -> list[tuple]:
    """What the upstream announces when a connection's status changed (nothing if it did not)."""
    if connection.status == previous_status:
        return []
    data = {
        "connection_id": connection.upstream_id,
        "previous_status": previous_status,
        "status": connection.status,
    }
    events = [("connection.status_changed", data)]
    if connection.status == UpstreamStatus.REQUIRES_REAUTH:
        events.append(("connection.reauth_required", {"connection_id": connection.upstream_id}))
    return events


def send(event_type: str, data: dict, *, url: str | None = None) -> int | None:
    """POST one signed event; the HTTP status, or None when Patchbay could not be reached."""
    _, headers, body = signed_request(event_type, data)
    try:
        response = httpx.post(url or webhook_url(), content=body, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        logger.warning("Sandbox webhook %s not delivered: %s", event_type, exc)
        return None
    return response.status_code


def announce_change(connection: SandboxConnection, previous_status: str) -> list[int | None]:
    return [send(kind, data) for kind, data in events_for_change(connection, previous_status)]


def announce_change_in_background(connection: SandboxConnection, previous_status: str) -> None:
    """From the admin: the web process must not wait on its own webhook endpoint."""
    threading.Thread(
        target=announce_change, args=(connection, previous_status), daemon=True
    ).start()
