"""A customer remaps a field in Chromium, watches the preview, saves, sees the API change at once,
rolls back and sees it change back."""

import json

import httpx
from playwright.sync_api import expect

from mappings.models import MappingVersion
from tests.factories import ApiTokenFactory, ConnectionFactory, new_token_plaintext


def api_vendor_id(live_server, connection, plaintext, record) -> tuple[int, str]:
    response = httpx.post(
        f"{live_server.url}/api/mappings/v1/connections/{connection.upstream_id}"
        "/entities/purchase_order/transform",
        json={"records": [record]},
        headers={"Authorization": f"Bearer {plaintext}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["version"], body["results"][0]["record"]["vendor_id"]


def test_member_remaps_previews_saves_the_api_follows_then_rolls_back(
    sign_in, live_server, member_a
):
    connection = ConnectionFactory(
        customer=member_a.customer, system="sandbox", display_name="Acme sandbox ERP"
    )
    plaintext = new_token_plaintext()
    ApiTokenFactory(connection=connection, plaintext=plaintext)
    page = sign_in(member_a.username)

    page.goto(f"{live_server.url}/connections/{connection.pk}/")
    page.get_by_role("link", name="Field mappings").click()
    page.get_by_role("link", name="Purchase order").first.click()
    mapped = page.locator("#mapped-record")
    expect(mapped).to_contain_text('"vendor_id": "17300001"')
    raw_record = page.locator("#raw-record").inner_text()
    assert '"supplier"' in raw_record
    sample = json.loads(raw_record)
    assert api_vendor_id(live_server, connection, plaintext, sample) == (0, "17300001")

    path = page.locator("#path-vendor_id")
    path.fill("supplier.nme")
    expect(page.locator("#status-vendor_id")).to_contain_text("supplier.nme is not in the")
    path.fill("")
    path.focus()
    page.get_by_placeholder("Search the catalog").fill("supplier")
    page.locator("#catalog-results").get_by_role("button", name="supplier.name").click()
    expect(path).to_have_value("supplier.name")
    expect(mapped).to_contain_text('"vendor_id": "Vendor 17300001"')
    expect(page.locator("#status-vendor_id")).to_contain_text("overridden")
    page.locator("#sample-picker").select_option(label="PO-100235")
    expect(mapped).to_contain_text('"vendor_id": "Vendor 17300042"')
    page.screenshot(path="/tmp/patchbay-mapping-editor.png", full_page=True)

    page.get_by_label("Note").fill("Vendor names for the buyers' report")
    page.get_by_role("button", name="Save as version 1").click()
    expect(page.get_by_text("Saved version 1.")).to_be_visible()
    expect(page.locator("#row-vendor_id")).to_have_class("overridden")
    assert api_vendor_id(live_server, connection, plaintext, sample) == (1, "Vendor 17300001")

    page.get_by_role("link", name="History").click()
    expect(page.locator("#diff")).to_contain_text("supplier.id")
    expect(page.locator("#diff")).to_contain_text("supplier.name")
    page.screenshot(path="/tmp/patchbay-mapping-history.png", full_page=True)
    page.get_by_role("button", name="Roll back to the system defaults").click()
    expect(
        page.get_by_text("Rolled back to the system defaults: saved as version 2.")
    ).to_be_visible()
    assert api_vendor_id(live_server, connection, plaintext, sample) == (2, "17300001")
    assert MappingVersion.objects.filter(connection=connection).count() == 2
    page.screenshot(path="/tmp/patchbay-mapping-rollback.png", full_page=True)


def test_two_people_edit_at_once_the_second_save_shows_a_conflict_and_overwrites_nothing(
    sign_in, live_server, browser, member_a, admin_user, console
):
    console.allow("status of 409")  # the second save is answered 409 Conflict, on purpose
    connection = ConnectionFactory(customer=member_a.customer, system="sandbox")
    editor = f"{live_server.url}/connections/{connection.pk}/mappings/purchase_order/"
    mine = sign_in(member_a.username)
    mine.goto(editor)

    other_context = browser.new_context(viewport={"width": 1400, "height": 900})
    theirs = other_context.new_page()
    theirs.goto(f"{live_server.url}/login/")
    theirs.get_by_label("Username").fill(admin_user.username)
    theirs.get_by_label("Password").fill("correct-horse-battery")
    theirs.get_by_role("button", name="Sign in").click()
    theirs.goto(editor)
    theirs.locator("#row-approved").get_by_label("in output").uncheck()
    theirs.get_by_role("button", name="Save as version 1").click()
    expect(theirs.get_by_text("Saved version 1.")).to_be_visible()
    other_context.close()

    mine.get_by_role("button", name="Add custom field").click()
    mine.locator(".custom-row .custom-name").fill("plant_section")
    mine.locator(".custom-row .path-input").fill("custom.plant_section")
    expect(mine.locator("#mapped-record")).to_contain_text('"plant_section": "Press shop"')
    expect(mine.locator(".custom-row .status-cell")).to_contain_text("valid")
    mine.get_by_role("button", name="Save as version 1").click()

    conflict = mine.locator("#conflict")
    expect(conflict).to_contain_text("alice-admin saved version 1")
    expect(conflict).to_contain_text("Nothing was overwritten")
    expect(conflict).to_contain_text("switched off")  # their change
    expect(conflict).to_contain_text("custom: plant_section")  # mine, not saved
    expect(mine.locator(".custom-row .path-input")).to_have_value("custom.plant_section")
    mine.screenshot(path="/tmp/patchbay-mapping-conflict.png", full_page=True)
    assert MappingVersion.objects.get(connection=connection).spec["custom_fields"] == []

    mine.get_by_role("button", name="Save as version 2").click()
    expect(mine.get_by_text("Saved version 2.")).to_be_visible()
    newest = MappingVersion.objects.filter(connection=connection).order_by("-number").first()
    assert newest.spec["custom_fields"][0]["name"] == "plant_section"


def test_a_custom_field_added_then_removed_leaves_the_preview(sign_in, live_server, member_a):
    connection = ConnectionFactory(customer=member_a.customer, system="sandbox")
    page = sign_in(member_a.username)
    page.goto(f"{live_server.url}/connections/{connection.pk}/mappings/purchase_order/")
    page.get_by_role("button", name="Add custom field").click()
    page.locator(".custom-row .custom-name").fill("plant")
    page.locator(".custom-row .path-input").fill("custom.plant_section")
    expect(page.locator("#mapped-record")).to_contain_text('"plant": "Press shop"')
    page.locator(".custom-row").get_by_role("button", name="Remove").click()
    expect(page.locator(".custom-row")).to_have_count(0)
    expect(page.locator("#mapped-record")).not_to_contain_text('"plant"')
