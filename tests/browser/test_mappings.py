"""A customer remaps a field in Chromium, watches the preview, saves, sees the API change at once,
rolls back and sees it change back."""

import json
import os

import httpx
import pytest
from playwright.sync_api import expect

from mappings.models import MappingVersion
from tests.factories import ApiTokenFactory, ConnectionFactory, new_token_plaintext

# Screenshots for a person to look at, outside git.
SHOTS = os.environ.get("PATCHBAY_SCREENSHOTS", "/tmp/patchbay-screenshots")
os.makedirs(SHOTS, exist_ok=True)


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
    expect(page.locator("#row-vendor_id")).to_have_class("field-row overridden")
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


def test_two_people_edit_at_once_and_the_second_save_merges_with_the_first(
    sign_in, live_server, browser, member_a, admin_user
):
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

    # They switched a field off, I added one: both edits stay, nothing is asked.
    expect(
        mine.get_by_text("Saved version 2, merged with the version saved meanwhile")
    ).to_be_visible()
    newest = MappingVersion.objects.filter(connection=connection).order_by("-number").first()
    assert newest.spec["custom_fields"][0]["name"] == "plant_section"
    assert newest.spec["overrides"]["approved"]["enabled"] is False


def test_a_custom_field_added_then_removed_leaves_the_preview(sign_in, live_server, member_a):
    connection = ConnectionFactory(customer=member_a.customer, system="sandbox")
    page = sign_in(member_a.username)
    page.goto(f"{live_server.url}/connections/{connection.pk}/mappings/purchase_order/")
    page.get_by_role("button", name="Add custom field").click()
    page.locator(".custom-row .custom-name").fill("plant")
    page.locator(".custom-row .path-input").fill("custom.plant_section")
    expect(page.locator("#mapped-record")).to_contain_text('"plant": "Press shop"')
    page.locator(".custom-row").get_by_role("button", name="Remove").click()
    expect(page.locator(".custom-row:visible")).to_have_count(0)
    expect(page.locator("#mapped-record")).not_to_contain_text('"plant"')


@pytest.fixture
def strict(open_context, live_server, console):
    """Signed-in pages of their own browser context each, under the app's strict
    Content-Security-Policy; a console error or policy violation fails the journey
    (tests/browser/conftest.py). A 422 answer (a refused save) is logged by Chromium as a
    failed load, on purpose."""
    console.allow("status of 422")

    def open_page(username: str):
        page = open_context().new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    return open_page


def api(live_server, connection, plaintext, method="post", action="transform", **body):
    response = httpx.request(
        method.upper(),
        f"{live_server.url}/api/mappings/v1/connections/{connection.upstream_id}"
        f"/entities/purchase_order/{action}",
        json=body,
        headers={"Authorization": f"Bearer {plaintext}"},
    )
    return response


def test_a_system_default_changed_by_an_admin_shows_in_a_connections_preview_and_api_at_once(
    strict, live_server, admin_user, member_a
):
    connection = ConnectionFactory(customer=member_a.customer, system="sandbox")
    plaintext = new_token_plaintext()
    ApiTokenFactory(connection=connection, plaintext=plaintext)
    admin = strict(admin_user.username)
    admin.get_by_role("link", name="Mapping defaults").click()
    admin.locator("#system-defaults tr", has_text="Sandbox").get_by_role("link").first.click()
    expect(admin.locator("h1")).to_have_text("Purchase order default for Sandbox")
    admin.locator("#path-vendor_id").fill("supplier.name")
    expect(admin.locator("#mapped-record")).to_contain_text('"vendor_id": "Vendor 17300001"')
    expect(admin.locator("#reach")).to_contain_text("This change reaches 1 connection")
    admin.screenshot(path=f"{SHOTS}/system-default-editor.png", full_page=True)
    admin.get_by_label("Note").fill("Vendor names everywhere")
    admin.get_by_role("button", name="Save as version 1").click()
    expect(admin.get_by_text("Saved system default version 1")).to_be_visible()

    member = strict(member_a.username)
    member.goto(f"{live_server.url}/connections/{connection.pk}/mappings/purchase_order/")
    expect(member.locator("#mapped-record")).to_contain_text('"vendor_id": "Vendor 17300001"')
    expect(member.locator("#row-vendor_id")).to_contain_text("system default: supplier.name")
    expect(member.locator("#status-vendor_id")).to_contain_text("inherits")
    sample = json.loads(member.locator("#raw-record").inner_text())
    body = api(live_server, connection, plaintext, records=[sample]).json()
    assert (body["version"], body["results"][0]["record"]["vendor_id"]) == (0, "Vendor 17300001")
    mapping = api(live_server, connection, plaintext, method="get", action="mapping").json()
    assert mapping["system_default_version"] == 1


def test_a_customer_cannot_remap_a_field_the_admin_locked(
    strict, live_server, admin_user, member_a
):
    connection = ConnectionFactory(customer=member_a.customer, system="sandbox")
    plaintext = new_token_plaintext()
    ApiTokenFactory(connection=connection, plaintext=plaintext)
    admin = strict(admin_user.username)
    admin.goto(f"{live_server.url}/mappings/systems/sandbox/purchase_order/")
    admin.locator("#row-vendor_id").get_by_label("locked for customers").check()
    admin.get_by_role("button", name="Save as version 1").click()
    expect(admin.get_by_text("Saved system default version 1")).to_be_visible()

    member = strict(member_a.username)
    member.goto(f"{live_server.url}/connections/{connection.pk}/mappings/purchase_order/")
    expect(member.locator("#governance")).to_contain_text("Locked")
    row = member.locator("#row-vendor_id")
    expect(row).to_contain_text("Locked by your platform admin")
    expect(row.locator("input")).to_have_count(0)
    member.screenshot(path=f"{SHOTS}/locked-field.png", full_page=True)

    document = {
        "format": "patchbay.mapping/1",
        "system": "sandbox",
        "entity": "purchase_order",
        "overrides": {"vendor_id": {"path": "supplier.name", "transform": {}, "enabled": True}},
    }
    member.get_by_label("or paste JSON").fill(json.dumps(document))
    member.get_by_role("button", name="Import as a new version").click()
    expect(member.locator("#import-errors")).to_contain_text("Locked by your platform admin")

    refused = api(live_server, connection, plaintext, method="put", action="mapping", **document)
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {
        "code": "locked",
        "field": "vendor_id",
        "message": "Locked by your platform admin: customers may not remap this field. "
        "Reset it to the system default.",
    }
    assert not MappingVersion.objects.filter(connection=connection).exists()


def test_a_bad_date_format_needs_a_confirmation_naming_the_failing_records(
    strict, live_server, member_a
):
    connection = ConnectionFactory(customer=member_a.customer, system="sandbox")
    page = strict(member_a.username)
    page.goto(f"{live_server.url}/connections/{connection.pk}/mappings/work_order/")
    row = page.locator("#row-due_at")
    row.locator("summary").click()
    row.get_by_label("Date format").fill("%d/%m/%Q")
    expect(page.locator("#status-due_at")).to_contain_text("%Q is not a date code")
    row.get_by_label("Date format").fill("%d/%m/%Y")
    expect(page.locator("#summary-due_at")).to_have_text("format %d/%m/%Y")
    status = page.locator("#status-due_at")
    expect(status).to_contain_text("Fails on 3 of 3 sample records")
    expect(status).not_to_contain_text("valid")
    page.get_by_role("button", name="Save as version 1").click()
    breakages = page.locator("#breakages")
    expect(breakages).to_contain_text(
        "due_at fails on 3 of 3 sample records (WO-5001872, WO-5001873, WO-5001874)"
    )
    expect(breakages).to_contain_text("does not match the date format %d/%m/%Y")
    page.screenshot(path=f"{SHOTS}/breakage-confirmation.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS}/breakage-confirmation-390.png", full_page=False)
    page.set_viewport_size({"width": 1400, "height": 900})
    assert not MappingVersion.objects.filter(connection=connection).exists()
    page.reload()
    expect(page.locator("#breakages")).to_be_visible()
    page.get_by_label("Save anyway").check()
    page.get_by_role("button", name="Save as version 1").click()
    expect(page.get_by_text("Saved version 1.")).to_be_visible()
    saved = MappingVersion.objects.get(connection=connection)
    assert saved.spec["overrides"]["due_at"]["transform"] == {"format": "%d/%m/%Y"}


def test_two_tabs_editing_different_fields_both_keep_their_edits(strict, live_server, member_a):
    connection = ConnectionFactory(customer=member_a.customer, system="sandbox")
    editor = f"{live_server.url}/connections/{connection.pk}/mappings/purchase_order/"
    first = strict(member_a.username)
    first.goto(editor)
    second = strict(member_a.username)
    second.goto(editor)

    first.locator("#path-vendor_id").fill("supplier.name")
    expect(first.locator("#status-vendor_id")).to_contain_text("overridden")
    first.get_by_role("button", name="Save as version 1").click()
    expect(first.get_by_text("Saved version 1.")).to_be_visible()

    second.locator("#row-approved").get_by_label("in output").uncheck()
    second.get_by_label("Note").fill("Approval is not ours to publish")
    second.get_by_role("button", name="Save as version 1").click()
    expect(
        second.get_by_text("Saved version 2, merged with the version saved meanwhile")
    ).to_be_visible()
    spec = MappingVersion.objects.get(connection=connection, number=2).spec
    assert spec["overrides"]["vendor_id"]["path"] == "supplier.name"
    assert spec["overrides"]["approved"]["enabled"] is False
    assert MappingVersion.objects.get(number=2).note == "Approval is not ours to publish"

    # The same field in both tabs: the conflict asks, survives a reload, keeps the note.
    first.goto(editor)
    second.goto(editor)
    first.locator("#path-currency").fill("supplier.id")
    first.get_by_role("button", name="Save as version 3").click()
    expect(first.get_by_text("Saved version 3.")).to_be_visible()
    second.locator("#path-currency").fill("supplier.name")
    second.get_by_label("Note").fill("Currency per supplier")
    second.get_by_role("button", name="Save as version 3").click()
    conflict = second.locator("#conflict")
    expect(conflict).to_contain_text("Keep theirs: supplier.id")
    second.reload()
    expect(second.locator("#conflict")).to_contain_text("Keep mine: supplier.name")
    expect(second.get_by_label("Note")).to_have_value("Currency per supplier")
    second.screenshot(path=f"{SHOTS}/conflict.png", full_page=True)
    second.get_by_label("Keep mine: supplier.name").check()
    second.get_by_role("button", name="Save as version 4").click()
    expect(second.get_by_text("Saved version 4")).to_be_visible()
    newest = MappingVersion.objects.get(connection=connection, number=4)
    assert newest.spec["overrides"]["currency"]["path"] == "supplier.name"
    assert newest.note == "Currency per supplier"
