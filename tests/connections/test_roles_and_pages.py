"""Each role lands on its home page and sees what its role allows."""

import pytest
from django.urls import reverse

from connections.models import Role, User
from tests.factories import ConnectionFactory


def test_support_sees_every_customers_connections(
    client_for, support_user, connection_a, connection_b
):
    response = client_for(support_user).get(reverse("home"))
    assert response.status_code == 200
    assert "All connections" in response.content.decode()
    assert connection_a.display_name in response.content.decode()
    assert connection_b.display_name in response.content.decode()


def test_member_sees_only_their_connections(client_for, member_a, connection_a, connection_b):
    body = client_for(member_a).get(reverse("home")).content.decode()
    assert "Your connections" in body
    assert connection_a.display_name in body
    assert connection_b.display_name not in body


def test_admin_navigation_has_tokens_and_customers(client_for, admin_user, customer_a):
    body = client_for(admin_user).get(reverse("home")).content.decode()
    assert reverse("token_list") in body and reverse("customer_list") in body
    assert customer_a.name in client_for(admin_user).get(reverse("customer_list")).content.decode()


def test_support_navigation_has_tokens_but_no_admin_pages(client_for, support_user):
    client = client_for(support_user)
    body = client.get(reverse("home")).content.decode()
    assert reverse("token_list") in body  # token metadata, read-only
    assert reverse("customer_list") not in body and reverse("audit_log") not in body
    assert client.get(reverse("customer_list")).status_code == 403
    assert client.get(reverse("audit_log")).status_code == 403


def test_member_is_not_told_admin_pages_exist(client_for, member_a):
    client = client_for(member_a)
    assert client.get(reverse("token_list")).status_code == 404
    assert client.get(reverse("admin:index")).status_code == 302  # Django admin: sign-in page


def test_connection_detail_for_own_connection(client_for, member_a, connection_a):
    response = client_for(member_a).get(reverse("connection_detail", args=[connection_a.pk]))
    assert response.status_code == 200
    assert connection_a.upstream_id in response.content.decode()


def test_connection_list_query_count_does_not_grow(
    client_for, support_user, customer_a, django_assert_max_num_queries
):
    ConnectionFactory.create_batch(40, customer=customer_a)
    client = client_for(support_user)
    with django_assert_max_num_queries(6):  # 5, and staff's open incidents at the top
        assert client.get(reverse("connection_list")).status_code == 200


def test_role_and_customer_must_agree_in_the_database(db, customer_a):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="orphan", role=Role.MEMBER, customer=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="staff-in-tenant", role=Role.SUPPORT, customer=customer_a)


def test_only_admins_reach_django_admin(db, admin_user, support_user):
    assert admin_user.is_staff and admin_user.is_superuser
    assert not support_user.is_staff and not support_user.is_superuser
