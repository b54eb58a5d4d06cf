"""Reconnect from the dashboard: off to the upstream's sign-in page and back with a new token."""

from urllib.parse import urlsplit

import httpx
from django.urls import reverse

from connections.models import ApiToken, AuditEvent
from health.vocabulary import HealthStatus
from monitoring import poller
from sandbox.models import Fault, SandboxConnection, SandboxToken
from tests.factories import linked_connection


def test_the_reconnect_link_in_a_notice_asks_before_leaving(client_for, member_a, connection_a):
    body = (
        client_for(member_a)
        .get(reverse("connection_reconnect", args=[connection_a.pk]))
        .content.decode()
    )
    assert "Reconnect Acme SAP production" in body
    assert "Continue to sign in" in body and 'method="post"' in body


def needing_reauth(customer):
    connection = linked_connection(customer=customer, fault="requires_reauth")
    poller.poll_one(connection.pk)
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.REAUTH_REQUIRED
    return connection


def start_reconnect(client, connection) -> str:
    response = client.post(reverse("connection_reconnect", args=[connection.pk]))
    assert response.status_code == 302
    return response["Location"]


def sign_in_at_sandbox(authorize_url: str, **form) -> httpx.Response:
    page = httpx.get(authorize_url)
    assert page.status_code == 200 and "Sign in to your system" in page.text
    query = dict(httpx.URL(authorize_url).params)
    return httpx.post(authorize_url.split("?")[0], data={**query, **form})


def back_at_patchbay(client, response: httpx.Response):
    assert response.status_code == 302, response.text
    target = urlsplit(response.headers["location"])
    return client.get(f"{target.path}?{target.query}", follow=True)


def test_customer_reconnects_and_the_banner_goes(sandbox_server, client_for, member_a, customer_a):
    connection = needing_reauth(customer_a)
    old = ApiToken.objects.get(connection=connection)
    client = client_for(member_a)
    banner = client.get(reverse("home")).content.decode()
    assert f"<strong>{connection.display_name}</strong> needs you to sign in" in banner

    authorize_url = start_reconnect(client, connection)
    assert authorize_url.startswith(f"{sandbox_server.base_url}/oauth/authorize?")
    refused = sign_in_at_sandbox(authorize_url, username="mia", password="guess")
    assert "Invalid user name or password." in refused.text

    final = back_at_patchbay(
        client, sign_in_at_sandbox(authorize_url, username="mia", password="sandbox")
    )
    body = final.content.decode()
    assert "is reconnected with a new token; the old one is revoked. Status now: Healthy" in body
    assert "needs you to sign in" not in body
    assert "needs you to sign in" not in client.get(reverse("home")).content.decode()

    connection.refresh_from_db()
    old.refresh_from_db()
    new = ApiToken.objects.filter(connection=connection).active().get()
    assert connection.health_status == HealthStatus.HEALTHY
    assert old.revoked_at is not None and new.pk != old.pk and new.created_by == member_a
    assert SandboxToken.objects.get(token_id=old.upstream_token_id).revoked_at is not None
    assert SandboxToken.objects.get(token_id=new.upstream_token_id).revoked_at is None
    assert bytes(new.ciphertext) and new.last4 not in ("", None)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"connection.reconnect_started", "token.issued_by_reconnect", "token.revoked",
            "connection.reconnected"} <= actions  # fmt: skip


def test_cancelling_at_the_upstream_keeps_everything_and_says_why(
    sandbox_server, client_for, member_a, customer_a
):
    connection = needing_reauth(customer_a)
    client = client_for(member_a)
    authorize_url = start_reconnect(client, connection)
    final = back_at_patchbay(client, sign_in_at_sandbox(authorize_url, cancel="1"))
    body = final.content.decode()
    assert "was not reconnected. The upstream did not authorize the reconnect: " in body
    assert "The customer cancelled the sign-in." in body
    assert "needs you to sign in" in body
    assert ApiToken.objects.filter(connection=connection).active().count() == 1
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.REAUTH_REQUIRED


def test_a_forged_or_replayed_answer_changes_nothing(
    sandbox_server, client_for, member_a, customer_a
):
    connection = needing_reauth(customer_a)
    client = client_for(member_a)
    authorize_url = start_reconnect(client, connection)
    answer = sign_in_at_sandbox(authorize_url, username="mia", password="sandbox")
    target = urlsplit(answer.headers["location"])
    forged = target.query.replace("state=", "state=x")
    body = client.get(f"{target.path}?{forged}", follow=True).content.decode()
    assert "This sign-in answer is not valid or has expired" in body
    # The nonce was spent by the forged attempt: even the genuine answer is now refused.
    body = client.get(f"{target.path}?{target.query}", follow=True).content.decode()
    assert "does not belong to this browser session" in body
    assert ApiToken.objects.filter(connection=connection).count() == 1
    assert SandboxConnection.objects.get(upstream_id=connection.upstream_id).fault == (
        Fault.REQUIRES_REAUTH
    )


def test_another_customers_reconnect_is_404(client_for, member_a, connection_b):
    client = client_for(member_a)
    assert client.post(reverse("connection_reconnect", args=[connection_b.pk])).status_code == 404
    callback = reverse("connection_reconnect_callback", args=[connection_b.pk])
    assert client.get(callback, {"code": "x", "state": "y"}).status_code == 404
