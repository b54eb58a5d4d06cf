"""An admin without a second factor is sent to set one up before any page, then signs in with it."""

import re

from playwright.sync_api import expect

from tests.two_factor import current_code

SHOTS = "var/shots"


def test_admin_sets_up_two_factor_before_any_page_then_is_asked_at_sign_in(
    sign_in, live_server, admin_user, settings
):
    settings.TWO_FACTOR_REQUIRED = True
    page = sign_in(admin_user.username)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    page.goto(f"{live_server.url}/tokens/")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    qr = page.get_by_role("img", name="QR code to add Patchbay to an authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 100  # the SVG loaded
    page.screenshot(path=f"{SHOTS}/two-factor-setup.png", full_page=True)
    page.get_by_label("Code").fill(current_code(admin_user))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("Save these recovery codes now")).to_be_visible()
    codes = re.findall(r"[a-z2-7]{8}", page.locator("#recovery-codes").inner_text())
    assert len(codes) == 10
    page.screenshot(path=f"{SHOTS}/two-factor-codes.png", full_page=True)
    page.get_by_role("link", name="I saved them, continue").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()  # back to /tokens/

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username").fill(admin_user.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(codes[0])
    page.screenshot(path=f"{SHOTS}/two-factor-verify.png", full_page=True)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="All connections")).to_be_visible()
