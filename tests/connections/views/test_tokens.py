"""Token pages: issue and show once, rotate with overlap, revoke, the list and who may do what."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from connections import tokens
from connections.actors import Actor
from connections.models import ApiToken, AuditEvent, TokenStatus
from health.vocabulary import Outcome
from sandbox.models import SandboxToken
from tests.factories import ApiTokenFactory
from upstream import client

pytestmark = pytest.mark.usefixtures("sandbox_server")


SHOWN_TOKEN = re.compile(r'<code id="new-token">([^<]+)</code>')


def status_with(token) -> Outcome:
    """What the upstream answers a status call made with this token."""
    return client.get_status(token.connection.upstream_id, token.plaintext()).outcome


def shown_plaintext(response) -> str:
    match = SHOWN_TOKEN.search(response.content.decode())
    assert match, "the show-once page displays the new token"
    return match.group(1)


def nonce_from(response) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', response.content.decode()).group(1)


def issue_through_page(client_, connection, **fields):
    page = client_.get(reverse("connection_tokens", args=[connection.pk]))
    return client_.post(
        reverse("issue_token", args=[connection.pk]),
        {"nonce": nonce_from(page), "label": "ci", **fields},
    )


def test_admin_issues_a_token_and_sees_it_exactly_once(client_for, admin_user, linked_a):
    client_ = client_for(admin_user)
    page = client_.get(reverse("connection_tokens", args=[linked_a.pk]))
    nonce = nonce_from(page)
    response = client_.post(
        reverse("issue_token", args=[linked_a.pk]), {"nonce": nonce, "label": "ci"}
    )
    assert response.status_code == 200
    assert "you will not see this token again" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    plaintext = shown_plaintext(response)

    stored = ApiToken.objects.with_fingerprint(plaintext).get()
    assert stored.connection == linked_a and stored.created_by == admin_user
    assert stored.environment == linked_a.environment
    assert plaintext.encode() not in bytes(stored.ciphertext)
    assert status_with(stored) == Outcome.OK

    reloaded = client_.get(reverse("connection_tokens", args=[linked_a.pk]))
    assert plaintext not in reloaded.content.decode()
    assert f"…{stored.last4}" in reloaded.content.decode()
    again = client_.post(
        reverse("issue_token", args=[linked_a.pk]), {"nonce": nonce, "label": "ci"}, follow=True
    )
    assert plaintext not in again.content.decode()
    assert "already used" in again.content.decode()
    assert ApiToken.objects.filter(connection=linked_a).count() == 2  # the linked one + this one
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"token.issued", "token.revealed"} <= actions


def test_upstream_failure_on_issue_stores_nothing(client_for, admin_user, linked_a, settings):
    settings.UNIFIED_API_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens there
    response = issue_through_page(client_for(admin_user), linked_a)
    assert response.status_code == 302
    page = client_for(admin_user).get(response["Location"]).content.decode()
    assert "The upstream did not issue a token" in page
    assert ApiToken.objects.filter(connection=linked_a).count() == 1
    assert not AuditEvent.objects.filter(action="token.issued").exists()


def test_rotation_keeps_the_old_token_for_the_overlap_then_revokes_it(
    client_for, admin_user, linked_a
):
    old = ApiToken.objects.get(connection=linked_a)
    client_ = client_for(admin_user)
    form = client_.get(reverse("rotate_token", args=[old.pk]))
    response = client_.post(
        reverse("rotate_token", args=[old.pk]), {"nonce": nonce_from(form), "overlap_hours": 6}
    )
    new_plaintext = shown_plaintext(response)
    new = ApiToken.objects.with_fingerprint(new_plaintext).get()
    old.refresh_from_db()
    assert new.rotated_from == old
    assert old.status == TokenStatus.ROTATING_OUT
    assert ApiToken.objects.current_for(linked_a) == new
    assert status_with(old) == Outcome.OK
    assert status_with(new) == Outcome.OK

    with time_machine.travel(timezone.now() + timedelta(hours=5, minutes=59)):
        assert tokens.revoke_rotated_out_tokens() == (0, 0)
    with time_machine.travel(timezone.now() + timedelta(hours=6, minutes=1)):
        assert tokens.revoke_rotated_out_tokens() == (1, 0)
    old.refresh_from_db()
    assert old.status == TokenStatus.REVOKED and old.revoked_by is None
    assert SandboxToken.objects.get(token_id=old.upstream_token_id).revoked_at is not None
    assert status_with(old) == Outcome.REAUTH
    assert status_with(new) == Outcome.OK
    assert AuditEvent.objects.filter(action="token.auto_revoked", object_id=str(old.pk)).exists()


def test_the_token_list_shows_rotating_out(client_for, admin_user, support_user, linked_a):
    old = ApiToken.objects.get(connection=linked_a)
    tokens.rotate_token(old, actor=Actor(admin_user))
    body = client_for(support_user).get(reverse("token_list")).content.decode()
    assert "Rotating out" in body and "Active" in body
    filtered = client_for(support_user).get(reverse("token_list"), {"status": "rotating_out"})
    assert f"…{old.last4}" in filtered.content.decode()


def test_revoke_now_confirms_then_revokes_upstream_and_locally(client_for, admin_user, linked_a):
    token = ApiToken.objects.get(connection=linked_a)
    client_ = client_for(admin_user)
    confirm = client_.get(reverse("revoke_token", args=[token.pk])).content.decode()
    assert linked_a.display_name in confirm and linked_a.customer.name in confirm
    response = client_.post(reverse("revoke_token", args=[token.pk]), follow=True)
    body = response.content.decode()
    assert "is revoked" in body
    assert "No credentials" in body
    token.refresh_from_db()
    assert token.status == TokenStatus.REVOKED and token.revoked_by == admin_user
    assert status_with(token) == Outcome.REAUTH
    assert ApiToken.objects.current_for(linked_a) is None


def test_revoke_keeps_the_token_when_the_upstream_refuses(
    client_for, admin_user, linked_a, settings
):
    token = ApiToken.objects.get(connection=linked_a)
    settings.UNIFIED_API_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens there
    response = client_for(admin_user).post(reverse("revoke_token", args=[token.pk]), follow=True)
    assert "did not revoke the token, so it stays active" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    ("persona", "list_status", "action_status"),
    [("admin_user", 200, None), ("support_user", 200, 403), ("member_a", 404, 404)],
)
def test_who_may_do_what(request, client_for, persona, list_status, action_status, linked_a):
    user = request.getfixturevalue(persona)
    client_ = client_for(user)
    token = ApiToken.objects.get(connection=linked_a)
    assert client_.get(reverse("token_list")).status_code == list_status
    assert client_.get(reverse("connection_tokens", args=[linked_a.pk])).status_code == list_status
    if action_status is None:
        return
    before = ApiToken.objects.count()
    assert client_.post(reverse("issue_token", args=[linked_a.pk])).status_code == action_status
    assert client_.post(reverse("rotate_token", args=[token.pk])).status_code == action_status
    assert client_.post(reverse("revoke_token", args=[token.pk])).status_code == action_status
    token.refresh_from_db()
    assert ApiToken.objects.count() == before and token.status == TokenStatus.ACTIVE


def test_support_sees_metadata_but_no_actions(client_for, support_user, linked_a):
    body = client_for(support_user).get(reverse("connection_tokens", args=[linked_a.pk]))
    text = body.content.decode()
    assert "Rotate" not in text and "Revoke now" not in text and "Issue token" not in text
    assert ApiToken.objects.get(connection=linked_a).short_fingerprint in text


def test_expiring_soon_is_flagged_and_filterable(client_for, admin_user, connection_a):
    soon = ApiTokenFactory(connection=connection_a, expires_at=timezone.now() + timedelta(days=3))
    later = ApiTokenFactory(connection=connection_a, expires_at=timezone.now() + timedelta(days=60))
    response = client_for(admin_user).get(reverse("token_list"), {"expiring": "on"})
    body = response.content.decode()
    assert f"…{soon.last4}" in body and f"…{later.last4}" not in body
    assert "expires in" in body


def test_the_next_page_keeps_the_filters(client_for, admin_user, connection_a, connection_b):
    ApiTokenFactory.create_batch(51, connection=connection_a)
    ApiTokenFactory(connection=connection_b)
    client = client_for(admin_user)
    first = client.get(reverse("token_list"), {"customer": connection_a.customer.slug})
    body = first.content.decode()
    assert "Page 1 of 2" in body
    assert f'href="?customer={connection_a.customer.slug}&amp;page=2"' in body
    second = client.get(reverse("token_list"), {"customer": connection_a.customer.slug, "page": 2})
    assert connection_b.display_name not in second.content.decode()
