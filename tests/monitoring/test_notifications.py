"""Notices to customers: once per episode, by email and signed webhook, resolved on recovery."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core import mail
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks import Webhook

from connections.models import AuditEvent
from health.vocabulary import HealthStatus, Outcome
from monitoring import notifications, reconnect_links, transitions
from monitoring.models import Notification, ReconnectLink, Source
from monitoring.transitions import Observation
from tests.factories import ConnectionFactory, CustomerFactory
from tests.monitoring.factories import ConnectionEventFactory
from upstream.client import StatusResult


class Receiver(BaseHTTPRequestHandler):
    answer = 200
    received: list

    def do_POST(self):  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(self.answer)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def customer_endpoint():
    """A real HTTP endpoint on loopback standing in for the customer's webhook receiver."""
    handler = type("CustomerReceiver", (Receiver,), {"received": [], "answer": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/patchbay-hook"
    yield handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def connection(db, customer_endpoint):
    customer = CustomerFactory(
        slug="acme", contact_email="ops@acme.example",
        notification_webhook_url=customer_endpoint.url,
    )  # fmt: skip
    return ConnectionFactory(
        customer=customer, display_name="Acme SAP production", health_status=HealthStatus.HEALTHY
    )


def record_results(results):
    """Poll results through the one write path, as a batch outside any sweep writes them."""
    transitions.record(
        [Observation.of_status_call(pk, result) for pk, result in results.items()],
        source=Source.POLL,
    )


def observe(connection, outcome, captured):
    """One poll result through the real write path, delivering whatever it enqueued."""
    with captured(execute=True):
        record_results({connection.pk: StatusResult(outcome=outcome, request_id="req_x")})


@pytest.fixture
def deliver_inline(monkeypatch):
    """Deliver notices in the test instead of through the broker (the task calls the same)."""
    sent = []

    def enqueue(ids):
        for pk in ids:
            notifications.deliver(Notification.objects.get(pk=pk))
            sent.append(pk)

    monkeypatch.setattr(notifications, "enqueue", enqueue)
    return sent


def test_reauth_is_told_once_per_episode_by_email_and_signed_webhook(
    connection, customer_endpoint, deliver_inline, django_capture_on_commit_callbacks, settings
):
    for _ in range(3):
        observe(connection, Outcome.REAUTH, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ops@acme.example"]
    assert "reconnect Acme SAP production" in email.subject
    link = ReconnectLink.objects.get(connection=connection)
    assert f"{settings.PATCHBAY_BASE_URL}/reconnect/{connection.pk}/" in email.body
    assert reconnect_links.url_for(link) in email.body

    # One notice of the episode, and one of the issue it opened (issue events go out too).
    payloads = [
        Webhook(settings.NOTIFICATION_WEBHOOK_SECRET).verify(
            body, {key.lower(): value for key, value in headers.items()}
        )
        for headers, body in customer_endpoint.received
    ]
    assert sorted(p["type"] for p in payloads) == ["connection.reauth_required", "issue.opened"]
    payload = next(p for p in payloads if p["type"] == "connection.reauth_required")
    assert payload["data"]["reconnect_url"].endswith(f"/connections/{connection.pk}/reconnect/")
    assert set(Notification.objects.values_list("kind", "channel", "delivery")) == {
        ("reauth_required", "email", "sent"),
        ("reauth_required", "webhook", "sent"),
        ("issue_event", "webhook", "sent"),
    }


def test_recovery_sends_resolved_once_and_a_new_episode_is_told_again(
    connection, deliver_inline, django_capture_on_commit_callbacks
):
    observe(connection, Outcome.REAUTH, django_capture_on_commit_callbacks)
    observe(connection, Outcome.OK, django_capture_on_commit_callbacks)
    observe(connection, Outcome.OK, django_capture_on_commit_callbacks)
    subjects = [message.subject for message in mail.outbox]
    assert subjects == [
        "Action needed: reconnect Acme SAP production",
        "Resolved: Acme SAP production is working again",
    ]
    observe(connection, Outcome.REAUTH, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(kind="reauth_required", channel="email").count() == 2


def test_healthy_without_a_told_episode_sends_nothing(
    connection, deliver_inline, django_capture_on_commit_callbacks
):
    observe(connection, Outcome.UPSTREAM_ERROR, django_capture_on_commit_callbacks)
    observe(connection, Outcome.OK, django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_a_lasting_error_is_told_once_after_the_setting(
    connection, deliver_inline, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFY_ERROR_AFTER_MINUTES = 30
    with time_machine.travel(timezone.now(), tick=False) as clock:
        observe(connection, Outcome.NO_TOKEN, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            assert notifications.notify_lasting_errors() == 0
        clock.shift(timedelta(minutes=31))
        with django_capture_on_commit_callbacks(execute=True):
            assert notifications.notify_lasting_errors() == 1
            assert notifications.notify_lasting_errors() == 0
    assert [message.subject.split(" has ")[0] for message in mail.outbox] == ["Acme SAP production"]
    assert "more than 30 minutes" in mail.outbox[0].body


def test_a_failed_webhook_delivery_is_recorded_for_the_retry(
    connection, customer_endpoint, django_capture_on_commit_callbacks
):
    customer_endpoint.answer = 500
    observe(connection, Outcome.REAUTH, django_capture_on_commit_callbacks)
    notice = Notification.objects.get(channel="webhook", kind="reauth_required")
    with pytest.raises(notifications.DeliveryFailed):
        notifications.deliver(notice)
    notice.refresh_from_db()
    assert (notice.delivery, notice.attempts) == ("pending", 1)
    assert "HTTP 500" in notice.last_error
    notifications.mark_failed(notice.pk)
    notice.refresh_from_db()
    assert notice.delivery == "failed"
    customer_endpoint.answer = 200
    notifications.deliver(notice)
    notice.refresh_from_db()
    assert (notice.delivery, notice.attempts) == ("sent", 2)
    assert json.loads(customer_endpoint.received[-1][1])["type"] == "connection.reauth_required"


def test_the_lasting_error_check_takes_the_same_queries_for_2_or_12_connections(
    db, django_capture_on_commit_callbacks, settings
):
    """It runs on every beat over every connection in error, told or not."""
    settings.NOTIFY_ERROR_AFTER_MINUTES = 30
    long_ago = timezone.now() - timedelta(hours=2)

    def queries_for(count: int) -> int:
        for connection in ConnectionFactory.create_batch(
            count, health_status=HealthStatus.ERROR, status_changed_at=long_ago
        ):
            ConnectionEventFactory(
                connection=connection, to_status=HealthStatus.ERROR, created_at=long_ago
            )
        with django_capture_on_commit_callbacks():
            assert notifications.notify_lasting_errors() == count  # the new ones, told once
        with CaptureQueriesContext(db_connection) as captured:
            assert notifications.notify_lasting_errors() == 0
        return len(captured)

    assert queries_for(2) == queries_for(12)


def test_the_reauthorization_email_is_multipart_with_the_link_as_its_one_action(
    connection, deliver_inline, django_capture_on_commit_callbacks, settings
):
    observe(connection, Outcome.REAUTH, django_capture_on_commit_callbacks)
    email = mail.outbox[0]
    link = ReconnectLink.objects.get(connection=connection)
    url = reconnect_links.url_for(link)
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    for body in (email.body, html):
        assert "What happened" in body and "What to do" in body
        assert "needs no Patchbay account" in body
        assert "works once, for this connection only" in body
    assert email.body.count(url) == 1
    assert html.count("<a href=") == 1 and f'<a href="{url}">' in html
    assert settings.PATCHBAY_BASE_URL + "/login" not in email.body + html
    assert link.notification.kind == "reauth_required"
    created = AuditEvent.objects.get(action="reconnect_link.created")
    assert (
        created.actor_repr == "system" and created.changes["notification"] == link.notification_id
    )


def test_a_retried_reauthorization_email_carries_the_same_link(
    connection, django_capture_on_commit_callbacks
):
    observe(connection, Outcome.REAUTH, django_capture_on_commit_callbacks)
    notice = Notification.objects.get(channel="email")
    first = notifications.email_for(notice)
    second = notifications.email_for(notice)
    assert first.body == second.body
    assert ReconnectLink.objects.filter(connection=connection).count() == 1
