"""The customer list: platform admins only."""

from django.urls import reverse


def test_admins_see_every_customer_with_its_contact(client_for, admin_user, customer_a, customer_b):
    body = client_for(admin_user).get(reverse("customer_list")).content.decode()
    assert customer_a.name in body and customer_b.name in body
    assert customer_a.contact_email in body


def test_support_is_refused_and_members_are_not_told_it_exists(client_for, support_user, member_a):
    assert client_for(support_user).get(reverse("customer_list")).status_code == 403
    assert client_for(member_a).get(reverse("customer_list")).status_code == 404
