"""An admin rotates a token in Chromium: sees the new one once, the old one is rotating out."""

from datetime import timedelta

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


SHOTS = "var/shots"


def test_admin_issues_rotates_and_revokes_from_the_list(
    sign_in, live_server, sandbox_server, admin_user, customer_a, console
):
    console.allow("status of 400")  # the form sent without a label is answered 400, on purpose
    connection = linked_connection(customer=customer_a)
    page = sign_in(admin_user.username)
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(f"{live_server.url}/connections/{connection.pk}/tokens/")
    expect(page.get_by_label("Expires after")).to_have_value("90")
    page.get_by_role("button", name="Issue token").click()
    expect(page.get_by_role("alert")).to_contain_text("Give the token a label")
    assert ApiToken.objects.filter(connection=connection).count() == 1

    page.get_by_label("Label").fill("ERP nightly sync")
    page.get_by_role("button", name="Issue token").click()
    plaintext = page.locator("#new-token").inner_text().strip()
    issued = ApiToken.objects.with_fingerprint(plaintext).get()
    assert issued.lifetime == timedelta(days=90)
    page.screenshot(path=f"{SHOTS}/token-issued.png")

    page.goto(f"{live_server.url}/tokens/?customer={customer_a.slug}&status=active")
    page.screenshot(path=f"{SHOTS}/token-list.png", full_page=True)
    page.locator(f"#token-{issued.pk}").get_by_role("link", name="Rotate").click()
    expect(page.get_by_label("The new token expires after")).to_contain_text(
        "Same as the old token: 90 days"
    )
    page.get_by_role("button", name="Rotate token").click()
    new = ApiToken.objects.with_fingerprint(page.locator("#new-token").inner_text().strip()).get()
    assert new.rotated_from_id == issued.pk and new.lifetime == timedelta(days=90)

    page.goto(f"{live_server.url}/tokens/?customer={customer_a.slug}")
    old_row = page.locator(f"#token-{issued.pk}")
    expect(old_row).to_contain_text(f"replaced by …{new.last4}")
    expect(page.locator(f"#token-{new.pk}")).to_contain_text(f"replaces …{issued.last4}")
    page.screenshot(path=f"{SHOTS}/token-list-rotated.png", full_page=True)
    old_row.get_by_role("link", name=f"Revoke token …{issued.last4} now").click()
    page.get_by_role("button", name="Revoke now").click()
    expect(page.get_by_text(f"Token …{issued.last4} of {connection.display_name}")).to_be_visible()
    assert page.url.endswith(f"/tokens/?customer={customer_a.slug}")
    expect(page.locator(f"#token-{issued.pk}")).to_contain_text("Revoked")
    page.goto(f"{live_server.url}/tokens/{issued.pk}/revoke/")
    expect(
        page.get_by_role("heading", name=f"Token …{issued.last4} is already revoked")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Revoke now")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/tokens/")
    page.screenshot(path=f"{SHOTS}/token-list-390.png", full_page=True)
    # A 4xx page the journey means to reach (a refused form, a used link) is not a script error.
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
