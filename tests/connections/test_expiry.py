"""Expiry warnings: each token expiring within the window is told once to its customer."""

from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone

from connections import expiry
from connections.models import ApiToken, AuditEvent
from tests.factories import ApiTokenFactory, ConnectionFactory


def test_expiring_tokens_are_announced_once_per_token_by_multipart_email(
    customer_a, customer_b, connection_a, connection_b
):
    now = timezone.now()
    first = ApiTokenFactory(
        connection=connection_a, label="ERP sync", expires_at=now + timedelta(days=3)
    )
    second = ApiTokenFactory(connection=connection_a, expires_at=now + timedelta(days=13))
    ApiTokenFactory(connection=connection_a, expires_at=now + timedelta(days=30))
    ApiTokenFactory(connection=connection_a, expires_at=now + timedelta(days=3), revoked_at=now)
    ApiTokenFactory(
        connection=connection_a,
        expires_at=now + timedelta(days=1),
        rotate_out_at=now + timedelta(hours=2),
    )
    other = ApiTokenFactory(connection=connection_b, expires_at=now + timedelta(days=10))

    assert expiry.announce_expiring_tokens() == 3
    assert sorted(message.to[0] for message in mail.outbox) == [
        customer_a.contact_email,
        customer_b.contact_email,
    ]
    acme = next(m for m in mail.outbox if m.to == [customer_a.contact_email])
    assert acme.subject == "2 Patchbay API tokens of Acme Manufacturing expire soon"
    html = acme.alternatives[0][0]
    for body in (acme.body, html):
        assert f"…{first.last4}" in body and f"…{second.last4}" in body
        assert "What to do" in body
    assert "ERP sync" in acme.body

    assert expiry.announce_expiring_tokens() == 0
    assert len(mail.outbox) == 2
    assert set(ApiToken.objects.exclude(expiry_announced_at=None).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
        other.pk,
    }
    assert AuditEvent.objects.filter(action="token.expiry_announced").count() == 3


def test_a_token_entering_the_window_later_is_announced_then(customer_a):
    connection = ConnectionFactory(customer=customer_a)
    token = ApiTokenFactory(connection=connection, expires_at=timezone.now() + timedelta(days=20))
    assert expiry.announce_expiring_tokens() == 0
    with time_machine.travel(timezone.now() + timedelta(days=7)):
        assert expiry.announce_expiring_tokens() == 1
    token.refresh_from_db()
    assert token.expiry_announced_at is not None


def test_a_failed_send_leaves_the_tokens_for_the_next_run(customer_a, settings):
    settings.EMAIL_BACKEND = "tests.connections.test_expiry.FailingBackend"
    connection = ConnectionFactory(customer=customer_a)
    ApiTokenFactory(connection=connection, expires_at=timezone.now() + timedelta(days=2))
    assert expiry.announce_expiring_tokens() == 0
    assert not ApiToken.objects.exclude(expiry_announced_at=None).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert expiry.announce_expiring_tokens() == 1


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")
