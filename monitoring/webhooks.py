"""Webhooks from the upstream (Standard Webhooks): verify, store raw, process once.

Verification uses the `standardwebhooks` library (constant-time comparison, 5-minute tolerance
both ways) against every secret in UNIFIED_WEBHOOK_SECRETS, so a rotation never drops events.
Processing hands its observation to `monitoring.transitions`, the one writer polling uses too.
An event that cannot be processed is marked failed with the reason, at the latest after
MAX_ATTEMPTS tries; one whose processing never ran is sent again (`send_stuck_events`).
"""

from __future__ import annotations

import binascii
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from connections.input_guard import MalformedInput, load_json
from connections.models import Connection
from health import state
from health.vocabulary import Outcome
from monitoring import transitions
from monitoring.models import ErrorLog, Source, WebhookEvent
from monitoring.transitions import Observation
from upstream.protocol import outcome_of_status
from upstream.redaction import redact

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A received event not processed after this long lost its task (the broker was down when it was
# sent, or the worker died running it): it is sent again.
STUCK_AFTER = timedelta(minutes=5)

KNOWN_TYPES = {
    "connection.status_changed",
    "connection.reauth_required",
    "sync.completed",
    "sync.failed",
    "error.occurred",
}


class WebhookRejected(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def verify(body: bytes, headers) -> None:
    """Accept the body if any configured secret signed it within the tolerance, else 401."""
    wanted = {
        name: headers.get(name, "")
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    for secret in settings.UNIFIED_WEBHOOK_SECRETS:
        try:
            Webhook(secret).verify(body, wanted, json_parse=False)
        except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError):
            continue
        return
    raise WebhookRejected(401, "The webhook signature or timestamp is not valid.")


def parse(body: bytes) -> dict:
    """The event envelope {"type", "timestamp", "data"}, or 400."""
    try:
        payload = load_json(body)
    except MalformedInput as exc:
        raise WebhookRejected(400, str(exc)) from exc
    except ValueError as exc:
        raise WebhookRejected(400, "The body is not JSON.") from exc
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("type"), str)
        and isinstance(payload.get("timestamp"), str)
        and isinstance(payload.get("data"), dict)
    ):
        raise WebhookRejected(400, 'The body must be {"type", "timestamp", "data"}.')
    return payload


def receive(body: bytes, headers) -> tuple[WebhookEvent, bool]:
    """Verify, parse and store; returns the event and whether it is new (a replay is not)."""
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        raise WebhookRejected(413, "The body is too large.")
    verify(body, headers)
    payload = parse(body)
    webhook_id = headers.get("webhook-id", "")[:100]
    existing = WebhookEvent.objects.filter(webhook_id=webhook_id).first()
    if existing is not None:
        return existing, False
    upstream_id = payload["data"].get("connection_id")
    connection = (
        Connection.objects.filter(upstream_id=upstream_id).first()
        if isinstance(upstream_id, str)
        else None
    )
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                webhook_id=webhook_id,
                event_type=payload["type"][:64],
                connection=connection,
                raw_body=redact(body),
            )
    except IntegrityError:
        return WebhookEvent.objects.get(webhook_id=webhook_id), False
    return event, True


def _event_time(payload: dict) -> datetime | None:
    try:
        moment = datetime.fromisoformat(payload["timestamp"])
    except (ValueError, KeyError, TypeError):
        return None
    return moment if moment.tzinfo else None


def process(event_id: int) -> str:
    """Apply one stored event once: received becomes processed, ignored or failed (with why)."""
    received = WebhookEvent.objects.filter(pk=event_id, state=WebhookEvent.State.RECEIVED)
    # Counted in a commit of its own before the work: a worker that dies mid-way used a try too.
    if not received.update(attempts=F("attempts") + 1):
        return "already handled"
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.state != WebhookEvent.State.RECEIVED:
            return "already handled"
        if event.attempts > MAX_ATTEMPTS:
            return _finish(event, WebhookEvent.State.FAILED,
                           f"Gave up: {MAX_ATTEMPTS} attempts did not finish.")  # fmt: skip
        try:
            with transaction.atomic():  # a failure leaves nothing half-written
                note = apply(event, load_json(event.raw_body))
        except (OperationalError, InterfaceError):
            raise  # the database is away: try again later, this event is not at fault
        except Exception as error:
            logger.exception("Webhook event %s could not be processed", event.webhook_id)
            return _finish(event, WebhookEvent.State.FAILED, f"{type(error).__name__}: {error}")
        return _finish(
            event, WebhookEvent.State.IGNORED if note else WebhookEvent.State.PROCESSED, note
        )


def _finish(event: WebhookEvent, state: str, note: str) -> str:
    event.state, event.note, event.processed_at = state, note[:300], timezone.now()
    event.save(update_fields=["state", "note", "processed_at"])
    return event.state


def stuck_events(now: datetime | None = None):
    """Received events whose processing should have happened by now."""
    moment = (now or timezone.now()) - STUCK_AFTER
    return WebhookEvent.objects.filter(state=WebhookEvent.State.RECEIVED, received_at__lt=moment)


def apply(event: WebhookEvent, payload: dict) -> str:
    """Drive the state machine from one event; returns why it was ignored, or ""."""
    kind, data = payload["type"], payload["data"]
    if kind not in KNOWN_TYPES:
        return f"Unknown event type {kind[:60]!r}."
    if event.connection_id is None:
        return "No connection with this connection_id."
    connection = Connection.objects.filter(pk=event.connection_id).only("customer_id").first()
    if connection is None:
        return "No connection with this connection_id."
    error_body = data.get("error") if isinstance(data.get("error"), dict) else {}
    if kind in ("sync.failed", "error.occurred"):
        ErrorLog.objects.create(
            customer_id=connection.customer_id,
            connection_id=connection.pk,
            source=Source.WEBHOOK,
            error_code=str(error_body.get("code") or "")[:64],
            error_type=str(error_body.get("type") or "")[:64],
            message=str(error_body.get("message") or kind)[:2000],
            request_id=str(error_body.get("request_id") or event.webhook_id)[:64],
            raw_body=event.raw_body,
        )
    if kind == "error.occurred":
        return ""
    if kind == "connection.status_changed":
        outcome = outcome_of_status(data.get("status"))
        if outcome is None:
            return f"Unknown status {str(data.get('status'))[:40]!r}."
    elif kind == "connection.reauth_required":
        outcome = Outcome.REAUTH
    elif kind == "sync.completed":
        outcome = Outcome.OK
    else:
        outcome = Outcome.UPSTREAM_ERROR
    recorded = transitions.record(
        [
            Observation(
                connection_id=connection.pk,
                outcome=outcome,
                reason=f"Webhook {kind}: "
                + state.reason_for(outcome, str(error_body.get("code") or "")),
                request_id=event.webhook_id[:64],
                at=_event_time(payload) or event.received_at,
                unless_older=True,
            )
        ],
        source=Source.WEBHOOK,
    )
    if recorded.stale:
        return "Older than the connection's current status."
    return ""
