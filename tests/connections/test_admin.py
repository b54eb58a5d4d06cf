"""Django's admin names objects as the pages do and writes dates in the app's format."""

from datetime import UTC, datetime

import time_machine
from django.urls import reverse

from connections import audit
from connections.actors import Actor
from tests.factories import ApiTokenFactory


def test_the_admin_names_tokens_and_dates_as_the_app_does(client_for, admin_user, connection_a):
    with time_machine.travel(datetime(2026, 3, 14, 9, 30, tzinfo=UTC), tick=False):
        token = ApiTokenFactory(connection=connection_a, label="ERP nightly sync")
        audit.record("token.revoked", token, actor=Actor(admin_user))
    client = client_for(admin_user)
    tokens_page = client.get(reverse("admin:connections_apitoken_changelist")).content.decode()
    assert f"token …{token.last4} of Acme SAP production" in tokens_page
    assert "2026-03-14 09:30" in tokens_page
    assert "March 14, 2026" not in tokens_page
    detail = client.get(reverse("admin:connections_apitoken_change", args=[token.pk]))
    assert "2026-03-14 09:30" in detail.content.decode()
    trail = client.get(reverse("admin:connections_auditevent_changelist")).content.decode()
    assert "Token revoked" in trail and f"token …{token.last4} of Acme SAP production" in trail
