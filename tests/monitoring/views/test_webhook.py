"""The webhook receiver: Standard Webhooks signatures, replay, malformed and oversized bodies."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from standardwebhooks import Webhook

from config.celery import app as celery_app
from health.vocabulary import HealthStatus
from monitoring import webhooks
from monitoring.models import ConnectionEvent, ErrorLog, WebhookEvent
from sandbox.models import SandboxConnection
from tests.factories import ConnectionFactory

URL = "/webhooks/unified/"
OTHER_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="


def signed(payload, *, secret, webhook_id="msg_1", at=None, body=None):
    at = at or datetime.now(UTC)
    body = body if body is not None else json.dumps(payload)
    return body, {
        "HTTP_WEBHOOK_ID": webhook_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(at.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": Webhook(secret).sign(webhook_id, at, body),
    }


def event(kind, **data):
    return {"type": kind, "timestamp": datetime.now(UTC).isoformat(), "data": data}


@pytest.fixture
def secret(settings):
    return settings.UNIFIED_WEBHOOK_SECRETS[0]


@pytest.fixture
def connection(db):
    return ConnectionFactory(upstream_id="conn_hook_1", health_status=HealthStatus.HEALTHY)


def post(client, body, headers):
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_a_signed_event_is_stored_answered_at_once_and_processed_once(
    client, connection, secret, django_capture_on_commit_callbacks
):
    body, headers = signed(
        event("connection.reauth_required", connection_id="conn_hook_1"), secret=secret
    )
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = post(client, body, headers)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    assert len(enqueued) == 1
    stored = WebhookEvent.objects.get(webhook_id="msg_1")
    assert stored.connection == connection and stored.state == "received"
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.HEALTHY  # nothing changes before processing

    assert webhooks.process(stored.pk) == "processed"
    assert webhooks.process(stored.pk) == "already handled"
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.REAUTH_REQUIRED
    change = ConnectionEvent.objects.get(connection=connection)
    assert (change.source, change.request_id) == ("webhook", "msg_1")


def test_a_replayed_webhook_id_is_not_processed_again(
    client, connection, secret, django_capture_on_commit_callbacks
):
    body, headers = signed(
        event("connection.status_changed", connection_id="conn_hook_1", status="disconnected"),
        secret=secret,
    )
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        assert post(client, body, headers).json()["duplicate"] is False
        replay = post(client, body, headers)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert len(enqueued) == 1
    assert WebhookEvent.objects.count() == 1


def test_any_configured_secret_verifies_during_a_rotation(client, connection, secret, settings):
    settings.UNIFIED_WEBHOOK_SECRETS = [OTHER_SECRET, secret]
    body, headers = signed(event("sync.completed", connection_id="conn_hook_1"), secret=secret)
    assert post(client, body, headers).status_code == 200


@pytest.mark.parametrize(
    "forgery",
    ["other_secret", "tampered_body", "stale", "future", "no_headers", "garbage_signature"],
)
def test_forged_tampered_or_mistimed_webhooks_are_401_and_change_nothing(
    client, connection, secret, forgery
):
    payload = event("connection.reauth_required", connection_id="conn_hook_1")
    kwargs = {"secret": secret}
    if forgery == "other_secret":
        kwargs["secret"] = OTHER_SECRET
    if forgery == "stale":
        kwargs["at"] = datetime.now(UTC) - timedelta(minutes=6)
    if forgery == "future":
        kwargs["at"] = datetime.now(UTC) + timedelta(minutes=6)
    body, headers = signed(payload, **kwargs)
    if forgery == "tampered_body":
        body = body.replace("reauth_required", "status_changed")
    if forgery == "no_headers":
        headers = {}
    if forgery == "garbage_signature":
        headers["HTTP_WEBHOOK_SIGNATURE"] = "v1,not-base64!! nonsense"
    response = post(client, body, headers)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.HEALTHY


def test_timestamps_within_five_minutes_are_accepted(client, connection, secret):
    body, headers = signed(
        event("sync.completed", connection_id="conn_hook_1"),
        secret=secret,
        at=datetime.now(UTC) - timedelta(minutes=4),
    )
    assert post(client, body, headers).status_code == 200


@pytest.mark.parametrize(
    "body",
    ["not json at all", "[1, 2]", '{"type": "x"}', '{"type": 1, "timestamp": "", "data": {}}'],
)
def test_malformed_but_signed_bodies_are_400_and_stored_nowhere(client, connection, secret, body):
    body, headers = signed(None, secret=secret, body=body)
    response = post(client, body, headers)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_oversized_body_is_413(client, connection, secret, settings):
    payload = event("sync.completed", connection_id="conn_hook_1", padding="x" * 300_000)
    body, headers = signed(payload, secret=secret)
    assert post(client, body, headers).status_code == 413
    assert not WebhookEvent.objects.exists()


def test_unknown_type_is_acknowledged_then_ignored(client, connection, secret):
    body, headers = signed(event("invoice.paid", connection_id="conn_hook_1"), secret=secret)
    assert post(client, body, headers).status_code == 200
    stored = WebhookEvent.objects.get()
    assert webhooks.process(stored.pk) == "ignored"
    stored.refresh_from_db()
    assert "Unknown event type" in stored.note
    assert not ConnectionEvent.objects.exists()


def test_only_post_is_allowed(client):
    assert client.get(URL).status_code == 405


def test_sync_failed_logs_the_error_and_counts_as_a_failure(client, connection, secret):
    payload = event(
        "sync.failed",
        connection_id="conn_hook_1",
        error={"code": "SYSTEM_UNAVAILABLE", "message": "SAP down", "request_id": "req_abc"},
        token="sbx_should-not-be-stored",
    )
    body, headers = signed(payload, secret=secret)
    post(client, body, headers)
    webhooks.process(WebhookEvent.objects.get().pk)
    logged = ErrorLog.objects.with_request_id("req_abc").get()
    assert (logged.source, logged.error_code, logged.connection) == (
        "webhook",
        "SYSTEM_UNAVAILABLE",
        connection,
    )
    assert "sbx_should-not-be-stored" not in logged.raw_body
    assert "sbx_should-not-be-stored" not in WebhookEvent.objects.get().raw_body
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.DEGRADED


def test_an_event_older_than_the_current_status_is_ignored(client, connection, secret):
    payload = event("connection.status_changed", connection_id="conn_hook_1", status="error")
    payload["timestamp"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body, headers = signed(payload, secret=secret)
    post(client, body, headers)
    assert webhooks.process(WebhookEvent.objects.get().pk) == "ignored"


@pytest.fixture
def tasks_run_inline():
    """Celery runs tasks in the enqueuing thread (here: the live server's), nothing queued."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_a_sandbox_fault_change_reaches_patchbay_as_a_signed_webhook(
    live_server, settings, tasks_run_inline
):
    """End to end: the sandbox_fault command signs and sends; Patchbay verifies and applies."""
    settings.PATCHBAY_BASE_URL = live_server.url
    connection = ConnectionFactory(upstream_id="conn_e2e", health_status=HealthStatus.HEALTHY)
    SandboxConnection.objects.create(upstream_id="conn_e2e")

    call_command("sandbox_fault", "conn_e2e", "requires_reauth")

    received = list(WebhookEvent.objects.order_by("received_at").values_list("event_type", "state"))
    assert received == [
        ("connection.status_changed", "processed"),
        ("connection.reauth_required", "processed"),
    ]
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.REAUTH_REQUIRED
    assert reverse("unified_webhook") == URL


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('{"type": "sync.failed", "timestamp": "", "data": {"message": "a\\u0000b"}}', "NUL"),
        (
            '{"type": "sync.failed", "timestamp": "", "data": ' + "[" * 1000 + "]" * 1000 + "}",
            "nested",
        ),  # fmt: skip
    ],
)
def test_a_signed_body_no_database_could_store_is_400_and_stored_nowhere(
    client, connection, secret, body, says
):
    body, headers = signed(None, secret=secret, body=body)
    response = post(client, body, headers)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not WebhookEvent.objects.exists()
