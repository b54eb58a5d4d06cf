"""Processing stored webhook events: each ends processed, ignored or failed with its reason,
never tried for ever, never left received."""

import json
from datetime import timedelta

import time_machine
from django.utils import timezone

from config.celery import app as celery_app
from monitoring import tasks, webhooks
from monitoring.models import ConnectionEvent, ErrorLog, WebhookEvent
from tests.factories import ConnectionFactory


def stored(connection=None, webhook_id="msg_1", **payload) -> WebhookEvent:
    body = {"type": "sync.failed", "timestamp": timezone.now().isoformat(), "data": {}} | payload
    return WebhookEvent.objects.create(
        webhook_id=webhook_id,
        event_type=body["type"],
        connection=connection,
        raw_body=json.dumps(body) if isinstance(body, dict) else body,
    )


def test_an_event_that_cannot_be_processed_is_failed_with_its_reason_and_writes_nothing(db):
    connection = ConnectionFactory()
    event = WebhookEvent.objects.create(
        webhook_id="msg_bad", event_type="sync.failed", connection=connection, raw_body="{broken"
    )
    assert webhooks.process(event.pk) == "failed"
    event.refresh_from_db()
    assert event.state == "failed" and event.processed_at is not None
    assert event.note.startswith("JSONDecodeError")
    assert webhooks.process(event.pk) == "already handled"
    assert not ErrorLog.objects.exists() and not ConnectionEvent.objects.exists()


def test_a_failure_midway_leaves_nothing_half_written(db, monkeypatch):
    connection = ConnectionFactory()
    event = stored(connection, data={"connection_id": connection.upstream_id})

    def broken(*args, **kwargs):
        raise RuntimeError("the state machine refused")

    monkeypatch.setattr(webhooks.transitions, "record", broken)
    assert webhooks.process(event.pk) == "failed"
    event.refresh_from_db()
    assert event.note == "RuntimeError: the state machine refused"
    assert not ErrorLog.objects.exists(), "the error log row written before the failure stayed"


def test_an_event_whose_tries_never_finished_is_failed_not_tried_for_ever(db):
    event = stored()
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=webhooks.MAX_ATTEMPTS)
    assert webhooks.process(event.pk) == "failed"
    event.refresh_from_db()
    assert event.note == f"Gave up: {webhooks.MAX_ATTEMPTS} attempts did not finish."
    assert event.attempts == webhooks.MAX_ATTEMPTS + 1


def test_events_left_received_are_sent_again_and_end_handled(db):
    connection = ConnectionFactory()
    stuck = stored(connection, data={"connection_id": connection.upstream_id})
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        fresh = stored(connection, webhook_id="msg_2")
    celery_app.conf.task_always_eager = True
    try:
        with time_machine.travel(timezone.now() + webhooks.STUCK_AFTER + timedelta(seconds=30)):
            assert tasks.send_stuck_webhook_events() == 1
    finally:
        celery_app.conf.task_always_eager = False
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert (stuck.state, stuck.attempts) == ("processed", 1)
    assert fresh.state == "received"  # its own task may still be on its way
