"""Reconnect links: staff make them, whoever holds one reconnects that one connection with no
account, once; a reused, expired, revoked, changed or misdirected link changes nothing."""

from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from connections.actors import Actor
from connections.models import ApiToken, AuditEvent
from health.vocabulary import HealthStatus
from monitoring import poller, reconnect_links
from monitoring.models import ReconnectLink
from monitoring.views.reconnect_links import NONCE_COOKIE
from sandbox.models import Fault, SandboxConnection
from tests.factories import linked_connection


def needing_reauth(customer):
    connection = linked_connection(customer=customer, fault="requires_reauth")
    poller.poll_one(connection.pk)
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.REAUTH_REQUIRED
    return connection


def sign_in_at_sandbox(authorize_url: str, **form) -> httpx.Response:
    page = httpx.get(authorize_url)
    assert page.status_code == 200 and "Sign in to your system" in page.text
    query = dict(httpx.URL(authorize_url).params)
    return httpx.post(authorize_url.split("?")[0], data={**query, **form})


def back_at_patchbay(client, answer: httpx.Response):
    assert answer.status_code == 302, answer.text
    target = urlsplit(answer.headers["location"])
    return client.get(f"{target.path}?{target.query}")


def state_of(link: ReconnectLink):
    link.refresh_from_db()
    return (link.used_at, link.revoked_at, link.state_nonce)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("created_at").values_list("action", flat=True))


def test_support_makes_a_link_and_sees_it_once_to_copy(client_for, support_user, connection_a):
    client = client_for(support_user)
    page = client.get(reverse("connection_reconnect_links", args=[connection_a.pk]))
    assert page.status_code == 200
    assert '<option value="7" selected>7 days</option>' in page.content.decode()
    made = client.post(
        reverse("connection_reconnect_links", args=[connection_a.pk]), {"valid_for": "3"}
    )
    assert made.status_code == 302
    link = ReconnectLink.objects.get(connection=connection_a)
    assert link.created_by == support_user
    assert timedelta(days=2, hours=23) < link.expires_at - timezone.now() <= timedelta(days=3)
    body = client.get(made["Location"]).content.decode()
    assert reconnect_links.url_for(link) in body
    later = client.get(reverse("connection_reconnect_links", args=[connection_a.pk]))
    assert reconnect_links.url_for(link) not in later.content.decode()
    event = AuditEvent.objects.get(action="reconnect_link.created")
    assert event.actor == support_user and event.object_repr == (
        f"reconnect link #{link.pk} of Acme SAP production"
    )


def test_a_bad_lifetime_is_refused_with_a_message(client_for, admin_user, connection_a):
    response = client_for(admin_user).post(
        reverse("connection_reconnect_links", args=[connection_a.pk]), {"valid_for": "9999"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ReconnectLink.objects.exists()


def test_members_cannot_make_or_revoke_links(client_for, member_a, connection_a):
    link = reconnect_links.create(connection_a, actor=Actor.system())
    client = client_for(member_a)
    page = reverse("connection_reconnect_links", args=[connection_a.pk])
    assert client.get(page).status_code == 404
    assert (
        client.post(reverse("connection_reconnect_links", args=[connection_a.pk])).status_code
        == 404
    )
    assert client.post(reverse("reconnect_link_revoke", args=[link.pk])).status_code == 404
    assert state_of(link) == (None, None, "")


def test_a_contact_with_no_account_reconnects_once_and_the_link_then_fails(
    sandbox_server, client, customer_a
):
    connection = needing_reauth(customer_a)
    old = ApiToken.objects.get(connection=connection)
    link = reconnect_links.create(connection, actor=Actor.system())
    url = reconnect_links.path_for(link)

    landing = client.get(url)
    body = landing.content.decode()
    assert landing.status_code == 200
    assert f"Reconnect {connection.display_name}" in body and "no longer accepts" in body
    assert "Connections" not in body  # no dashboard navigation for a link holder
    started = client.post(url)
    assert started.status_code == 302
    authorize_url = started["Location"]
    assert authorize_url.startswith(f"{sandbox_server.base_url}/oauth/authorize?")
    assert urlsplit(url).path.split("/")[-2] not in authorize_url  # the link stays here
    assert NONCE_COOKIE in client.cookies

    done = back_at_patchbay(
        client, sign_in_at_sandbox(authorize_url, username="plant-it", password="sandbox")
    )
    text = done.content.decode()
    assert done.status_code == 200, text
    assert f"{connection.display_name} is reconnected" in text and "Healthy" in text
    connection.refresh_from_db()
    old.refresh_from_db()
    new = ApiToken.objects.filter(connection=connection).active().get()
    assert connection.health_status == HealthStatus.HEALTHY
    assert old.revoked_at is not None and new.pk != old.pk and new.created_by is None
    link.refresh_from_db()
    assert link.used_at is not None and link.opened_at is not None

    # No session in the dashboard: nothing signed in, every page still asks to sign in.
    assert "sessionid" not in client.cookies or not client.session.get("_auth_user_id")
    assert client.get(reverse("home"))["Location"].startswith("/login/")
    assert client.get(reverse("connection_detail", args=[connection.pk])).status_code == 302

    again = client.get(url)
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert client.post(url).status_code == 410
    assert ApiToken.objects.filter(connection=connection).active().get() == new
    trail = actions()
    for action in (
        "reconnect_link.created",
        "reconnect_link.opened",
        "connection.reconnect_started",
        "token.issued_by_reconnect",
        "connection.reconnected",
        "reconnect_link.used",
        "reconnect_link.refused",
    ):
        assert action in trail, action  # fmt: skip
    used = AuditEvent.objects.get(action="reconnect_link.used")
    assert used.actor is None and used.actor_repr == f"holder of reconnect link #{link.pk}"
    assert AuditEvent.objects.get(action="connection.reconnected").changes["link"] == link.pk


def test_a_replayed_answer_after_use_changes_nothing(sandbox_server, client, customer_a):
    connection = needing_reauth(customer_a)
    link = reconnect_links.create(connection, actor=Actor.system())
    authorize_url = client.post(reconnect_links.path_for(link))["Location"]
    answer = sign_in_at_sandbox(authorize_url, username="plant-it", password="sandbox")
    assert back_at_patchbay(client, answer).status_code == 200
    tokens_after = list(
        ApiToken.objects.filter(connection=connection).values_list("pk", "revoked_at")
    )
    replay = back_at_patchbay(client, answer)
    assert replay.status_code == 410 and "already used" in replay.content.decode()
    assert list(ApiToken.objects.filter(connection=connection).values_list("pk", "revoked_at")) == (
        tokens_after
    )


def test_an_expired_link_gets_a_clear_page_and_its_expiry_is_audited_once(client, connection_a):
    link = reconnect_links.create(connection_a, actor=Actor.system())
    url = reconnect_links.path_for(link)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.get(url)
        assert response.status_code == 410
        assert "This reconnect link has expired" in response.content.decode()
        assert client.post(url).status_code == 410
        assert reconnect_links.record_expired_links() == 0  # already written by the visit
    assert state_of(link) == (None, None, "")
    assert actions().count("reconnect_link.expired") == 1
    assert "reconnect_link.opened" not in actions()


def test_the_hourly_task_audits_links_that_expired_unopened(connection_a):
    link = reconnect_links.create(connection_a, actor=Actor.system())
    used = reconnect_links.create(connection_a, actor=Actor.system())
    ReconnectLink.objects.filter(pk=used.pk).update(used_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert reconnect_links.record_expired_links() == 1
        assert reconnect_links.record_expired_links() == 0
    expired = AuditEvent.objects.get(action="reconnect_link.expired")
    assert expired.object_id == str(link.pk) and expired.actor_repr == "system"


def test_a_changed_byte_opens_nothing(client, connection_a):
    link = reconnect_links.create(connection_a, actor=Actor.system())
    token = reconnect_links.token_for(link)
    for position in (0, len(token) // 2, len(token) - 1):
        flipped = "x" if token[position] != "x" else "y"
        changed = token[:position] + flipped + token[position + 1 :]
        url = reverse("reconnect_link", args=[connection_a.pk, changed])
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 404
            assert "This reconnect link is not valid" in response.content.decode()
            assert connection_a.display_name not in response.content.decode()
    assert state_of(link) == (None, None, "") and link.opened_at is None


def test_a_signed_in_member_of_another_customer_changes_nothing(
    sandbox_server, client_for, member_b, customer_a
):
    connection = needing_reauth(customer_a)
    link = reconnect_links.create(connection, actor=Actor.system())
    client = client_for(member_b)
    url = reconnect_links.path_for(link)
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 403
        body = response.content.decode()
        assert "This link is not for your account" in body
        assert connection.display_name not in body and customer_a.name not in body
    assert state_of(link) == (None, None, "") and link.opened_at is None
    assert ApiToken.objects.filter(connection=connection).active().count() == 1
    assert client.get(reverse("connection_detail", args=[connection.pk])).status_code == 404
    refusals = AuditEvent.objects.filter(action="reconnect_link.refused")
    assert refusals.count() == 2  # the GET and the POST, each written down
    assert {r.actor_id for r in refusals} == {None}
    assert all("not for your account" in r.changes["reason"] for r in refusals)


def test_a_signed_in_member_of_the_same_customer_may_use_it(client_for, member_a, connection_a):
    link = reconnect_links.create(connection_a, actor=Actor.system())
    response = client_for(member_a).get(reconnect_links.path_for(link))
    assert response.status_code == 200


def test_a_revoked_link_gets_a_clear_page(client_for, admin_user, client, connection_a):
    link = reconnect_links.create(connection_a, actor=Actor.system())
    staff = client_for(admin_user)
    revoked = staff.post(reverse("reconnect_link_revoke", args=[link.pk]), follow=True)
    assert f"Reconnect link #{link.pk} is revoked" in revoked.content.decode()
    assert ReconnectLink.objects.get(pk=link.pk).revoked_by == admin_user
    again = staff.post(reverse("reconnect_link_revoke", args=[link.pk]), follow=True)
    assert "already used, revoked or expired" in again.content.decode()
    staff.logout()
    response = client.get(reconnect_links.path_for(link))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    assert actions().count("reconnect_link.revoked") == 1


def test_cancelling_at_the_upstream_keeps_the_link_for_another_try(
    sandbox_server, client, customer_a
):
    connection = needing_reauth(customer_a)
    link = reconnect_links.create(connection, actor=Actor.system())
    url = reconnect_links.path_for(link)
    authorize_url = client.post(url)["Location"]
    failed = back_at_patchbay(client, sign_in_at_sandbox(authorize_url, cancel="1"))
    body = failed.content.decode()
    assert failed.status_code == 400
    assert "was not reconnected" in body and "The customer cancelled the sign-in." in body
    assert "Try again" in body
    link.refresh_from_db()
    assert link.used_at is None and link.status == "active"
    authorize_url = client.post(url)["Location"]
    done = back_at_patchbay(
        client, sign_in_at_sandbox(authorize_url, username="plant-it", password="sandbox")
    )
    assert done.status_code == 200
    assert SandboxConnection.objects.get(upstream_id=connection.upstream_id).fault == (
        Fault.HEALTHY
    )


def test_an_answer_brought_to_another_browser_changes_nothing(
    sandbox_server, client, django_app_client, customer_a
):
    connection = needing_reauth(customer_a)
    link = reconnect_links.create(connection, actor=Actor.system())
    authorize_url = client.post(reconnect_links.path_for(link))["Location"]
    answer = sign_in_at_sandbox(authorize_url, username="plant-it", password="sandbox")
    stranger = back_at_patchbay(django_app_client, answer)
    assert stranger.status_code == 400
    assert "does not belong to this browser" in stranger.content.decode()
    link.refresh_from_db()
    assert link.used_at is None
    assert ApiToken.objects.filter(connection=connection).active().count() == 1


@pytest.fixture
def django_app_client():
    """A second browser: a client with its own cookies."""
    from django.test import Client

    return Client()
