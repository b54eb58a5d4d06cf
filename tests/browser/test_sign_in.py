"""Journeys through the real sign-in form in Chromium."""

from playwright.sync_api import expect


def test_member_signs_in_and_sees_only_their_connections(
    sign_in, member_a, connection_a, connection_b
):
    page = sign_in(member_a.username)
    expect(page.get_by_role("heading", name="Your connections")).to_be_visible()
    expect(page.get_by_role("link", name=connection_a.display_name)).to_be_visible()
    expect(page.get_by_text(connection_b.display_name)).to_have_count(0)
    page.get_by_role("link", name=connection_a.display_name).click()
    expect(page.get_by_role("heading", name=connection_a.display_name)).to_be_visible()


def test_admin_signs_in_and_navigates_to_customers(sign_in, admin_user, customer_a):
    page = sign_in(admin_user.username)
    expect(page.get_by_role("heading", name="All connections")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("cell", name=customer_a.name)).to_be_visible()


def test_support_signs_in_and_sees_every_customers_connections(
    sign_in, support_user, connection_a, connection_b
):
    page = sign_in(support_user.username)
    expect(page.get_by_role("heading", name="All connections")).to_be_visible()
    expect(page.get_by_role("link", name=connection_a.display_name)).to_be_visible()
    expect(page.get_by_role("link", name=connection_b.display_name)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Issues")).to_be_visible()
    expect(nav.get_by_role("link", name="Customers")).to_have_count(0)


def test_sign_out(sign_in, support_user):
    page = sign_in(support_user.username)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Patchbay")).to_be_visible()


def test_member_opening_another_customers_connection_gets_404(
    sign_in, live_server, member_a, connection_b, console
):
    console.allow("status of 404")
    page = sign_in(member_a.username)
    response = page.goto(f"{live_server.url}/connections/{connection_b.pk}/")
    assert response.status == 404
    expect(page.get_by_text(connection_b.display_name)).to_have_count(0)
