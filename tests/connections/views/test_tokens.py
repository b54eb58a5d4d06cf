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


def test_issuing_needs_a_label_and_preselects_90_days(client_for, admin_user, linked_a):
    client_ = client_for(admin_user)
    page = client_.get(reverse("connection_tokens", args=[linked_a.pk])).content.decode()
    assert '<option value="90" selected>90 days</option>' in page
    assert '<label for="id_label">Label</label>' in page
    assert '<label for="id_expires">Expires after</label>' in page
    upstream_before = SandboxToken.objects.count()
    refused = client_.post(
        reverse("issue_token", args=[linked_a.pk]),
        {"nonce": nonce_from(page_of(client_, linked_a)), "label": "   ", "expires": "90"},
    )
    assert refused.status_code == 400
    assert "Give the token a label" in refused.content.decode()
    assert ApiToken.objects.filter(connection=linked_a).count() == 1
    assert SandboxToken.objects.count() == upstream_before  # the upstream was not even asked


def page_of(client_, connection):
    return client_.get(reverse("connection_tokens", args=[connection.pk]))


def test_a_new_token_lives_90_days_unless_never_is_chosen(client_for, admin_user, linked_a):
    client_ = client_for(admin_user)
    default = issue_through_page(client_, linked_a, expires="90")
    token = ApiToken.objects.with_fingerprint(shown_plaintext(default)).get()
    assert token.lifetime == timedelta(days=90)
    assert "expires " in default.content.decode()
    never = issue_through_page(client_, linked_a, expires="never", label="legacy ERP")
    token = ApiToken.objects.with_fingerprint(shown_plaintext(never)).get()
    assert token.expires_at is None and token.label == "legacy ERP"
    assert "never expires" in never.content.decode()


def test_rotation_keeps_the_lifetime_and_links_the_two_tokens(client_for, admin_user, linked_a):
    issued = tokens.issue_token(
        linked_a, actor=Actor(admin_user), label="ERP nightly sync", expires_in=timedelta(days=90)
    )
    old = issued.token
    client_ = client_for(admin_user)
    form = client_.get(reverse("rotate_token", args=[old.pk])).content.decode()
    assert '<option value="keep" selected>Same as the old token: 90 days</option>' in form
    response = client_.post(
        reverse("rotate_token", args=[old.pk]), {"nonce": nonce_from_text(form), "overlap_hours": 6}
    )
    new = ApiToken.objects.with_fingerprint(shown_plaintext(response)).get()
    assert new.lifetime == timedelta(days=90) and new.label == "ERP nightly sync"
    assert f"replaces token …{old.last4}" in response.content.decode()
    listing = client_.get(reverse("token_list")).content.decode()
    old_row = row(listing, old)
    new_row = row(listing, new)
    assert (
        f'replaced by <a href="/connections/{linked_a.pk}/tokens/#token-{new.pk}">…{new.last4}'
        in (old_row)
    )
    assert f'replaces <a href="/connections/{linked_a.pk}/tokens/#token-{old.pk}">…{old.last4}' in (
        new_row
    )


def test_rotation_may_choose_another_lifetime(client_for, admin_user, linked_a):
    old = ApiToken.objects.get(connection=linked_a)  # issued with no expiry
    client_ = client_for(admin_user)
    form = client_.get(reverse("rotate_token", args=[old.pk])).content.decode()
    assert "Same as the old token: never expires" in form
    response = client_.post(
        reverse("rotate_token", args=[old.pk]),
        {"nonce": nonce_from_text(form), "overlap_hours": 1, "expires": "30"},
    )
    new = ApiToken.objects.with_fingerprint(shown_plaintext(response)).get()
    assert new.lifetime == timedelta(days=30)


def nonce_from_text(text: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', text).group(1)


def row(listing: str, token) -> str:
    return re.search(rf'<tr id="token-{token.pk}">(.*?)</tr>', listing, re.S).group(1)


def test_admins_rotate_and_revoke_from_the_list_and_come_back_to_it(
    client_for, admin_user, linked_a
):
    token = ApiToken.objects.get(connection=linked_a)
    client_ = client_for(admin_user)
    filtered = reverse("token_list") + "?status=active"
    listing = client_.get(filtered).content.decode()
    assert f'href="/tokens/{token.pk}/rotate/"' in row(listing, token)
    assert f'href="/tokens/{token.pk}/revoke/?next=/tokens/%3Fstatus%3Dactive"' in row(
        listing, token
    )
    confirm = client_.get(reverse("revoke_token", args=[token.pk]), {"next": filtered})
    assert f'name="next" value="{filtered}"' in confirm.content.decode()
    done = client_.post(reverse("revoke_token", args=[token.pk]), {"next": filtered})
    assert done["Location"] == filtered
    local_only = ApiTokenFactory(connection=linked_a)  # no upstream id: revoked here alone
    elsewhere = client_.post(
        reverse("revoke_token", args=[local_only.pk]), {"next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == f"/connections/{linked_a.pk}/tokens/"


def test_the_list_labels_every_filter_and_shows_no_actions_to_support(
    client_for, support_user, linked_a
):
    listing = client_for(support_user).get(reverse("token_list")).content.decode()
    for field, label in [("customer", "Customer"), ("environment", "Environment"),
                         ("status", "Status"), ("expiring", "Expiring within 14 days"),
                         ("q", "Connection")]:  # fmt: skip
        assert f'<label for="id_{field}">{label}</label>' in listing
    assert "/rotate/" not in listing and "/revoke/" not in listing


def test_an_already_revoked_tokens_pages_say_so_and_change_nothing(
    client_for, admin_user, linked_a
):
    token = ApiToken.objects.get(connection=linked_a)
    tokens.revoke_token(token, actor=Actor(admin_user))
    token.refresh_from_db()
    client_ = client_for(admin_user)
    page = client_.get(reverse("revoke_token", args=[token.pk])).content.decode()
    assert f"Token …{token.last4} is already revoked" in page
    assert f"by {admin_user.username}" in page
    assert "<form" not in page.split("<main")[1]
    again = client_.post(reverse("revoke_token", args=[token.pk]))
    assert again.status_code == 409
    rotate = client_.get(reverse("rotate_token", args=[token.pk])).content.decode()
    assert "cannot be rotated" in rotate and "Issue a new token" in rotate
    assert client_.post(reverse("rotate_token", args=[token.pk])).status_code == 409
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1
    assert ApiToken.objects.filter(connection=linked_a).count() == 1


def test_tokens_expiring_within_14_days_are_listed_for_admins(client_for, admin_user, connection_a):
    soon = ApiTokenFactory(
        connection=connection_a, label="ERP sync", expires_at=timezone.now() + timedelta(days=5)
    )
    ApiTokenFactory(connection=connection_a, expires_at=timezone.now() + timedelta(days=40))
    replaced = ApiTokenFactory(
        connection=connection_a,
        expires_at=timezone.now() + timedelta(days=2),
        rotate_out_at=timezone.now() + timedelta(hours=5),
    )
    body = client_for(admin_user).get(reverse("token_list")).content.decode()
    panel = body.split('id="expiring-heading"')[1].split("</section>")[0]
    assert "1 token expires within 14 days" in panel
    assert f"…{soon.last4} ERP sync" in panel and "Acme SAP production" in panel
    assert f"…{replaced.last4}" not in panel
