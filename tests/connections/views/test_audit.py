"""The audit log page: admins read the trail, filtered; nobody else reaches it."""

from django.urls import reverse

from connections import audit
from connections.actors import Actor


def test_admins_filter_the_trail_by_action_and_customer(
    client_for, admin_user, connection_a, connection_b
):
    audit.record("connection.noted", connection_a, actor=Actor(admin_user))
    audit.record("token.revoked", connection_b, actor=Actor(admin_user))
    client = client_for(admin_user)

    everything = client.get(reverse("audit_log")).content.decode()
    assert "connection.noted" in everything and "token.revoked" in everything
    by_action = client.get(reverse("audit_log"), {"action": "token."}).content.decode()
    assert "token.revoked" in by_action and "connection.noted" not in by_action
    by_customer = client.get(
        reverse("audit_log"), {"customer": connection_a.customer.slug}
    ).content.decode()
    assert "connection.noted" in by_customer and "token.revoked" not in by_customer


def test_support_is_refused_and_members_are_not_told_it_exists(client_for, support_user, member_a):
    assert client_for(support_user).get(reverse("audit_log")).status_code == 403
    assert client_for(member_a).get(reverse("audit_log")).status_code == 404
