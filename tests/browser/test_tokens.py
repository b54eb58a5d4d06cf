"""An admin rotates a token in Chromium: sees the new one once, the old one is rotating out."""

from playwright.sync_api import expect

from connections.models import ApiToken
from tests.factories import linked_connection


def test_admin_rotates_a_token_sees_it_once_and_the_old_one_is_rotating_out(
    sign_in, live_server, sandbox_server, admin_user, customer_a
):
    connection = linked_connection(customer=customer_a)
    old = ApiToken.objects.get(connection=connection)
    page = sign_in(admin_user.username)
    page.goto(f"{live_server.url}/connections/{connection.pk}/tokens/")
    row = page.locator(f"#token-{old.pk}")
    expect(row.get_by_text("Active")).to_be_visible()
    row.get_by_role("link", name="Rotate").click()

    page.get_by_label("Keep the old token valid for").select_option("6")
    page.get_by_role("button", name="Rotate token").click()
    expect(page.get_by_text("you will not see this token again")).to_be_visible()
    plaintext = page.locator("#new-token").inner_text().strip()
    new = ApiToken.objects.with_fingerprint(plaintext).get()
    assert new.rotated_from_id == old.pk
    page.screenshot(path="/tmp/patchbay-token-reveal.png")

    page.get_by_role("link", name="Done, back to the tokens").click()
    expect(page.locator(f"#token-{old.pk}").get_by_text("Rotating out")).to_be_visible()
    expect(page.locator(f"#token-{new.pk}").get_by_text("Active")).to_be_visible()
    expect(page.get_by_text(plaintext)).to_have_count(0)
    page.reload()
    expect(page.get_by_text(plaintext)).to_have_count(0)
    page.screenshot(path="/tmp/patchbay-token-list.png", full_page=True)
