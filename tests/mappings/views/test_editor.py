"""The connection editor as a member sees it: rows, live preview, validation, save, merge."""

import pytest
from django.urls import reverse

from connections.actors import Actor
from connections.models import AuditEvent
from mappings import versions
from mappings.models import MappingVersion
from mappings.spec import EMPTY_SPEC
from tests.factories import ConnectionFactory
from tests.mappings.views.drafts import draft, editor_url

pytestmark = pytest.mark.django_db


def test_editor_shows_every_field_its_source_and_a_preview(client_for, member_a, sandbox_a):
    response = client_for(member_a).get(editor_url(sandbox_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="field.vendor_id.path" value="supplier.id"' in body
    assert 'name="field.lines.quantity.path" value="items[*].qty"' in body
    assert "system defaults (no saved version)" in body
    assert "&quot;vendor_id&quot;: &quot;17300001&quot;" in body
    assert "custom.plant_section" in body  # the catalog lists the custom source field


def test_preview_follows_the_draft_and_marks_the_row(client_for, member_a, sandbox_a):
    client = client_for(member_a)
    url = editor_url(sandbox_a, "mapping_preview")
    response = client.post(url, draft(sandbox_a, **{"field.vendor_id.path": "supplier.name"}))
    body = response.content.decode()
    assert "&quot;vendor_id&quot;: &quot;Vendor 17300001&quot;" in body
    assert 'id="status-vendor_id"' in body and "overridden" in body
    assert not MappingVersion.objects.exists()


def test_preview_validates_as_you_type(client_for, member_a, sandbox_a):
    client = client_for(member_a)
    data = draft(
        sandbox_a,
        **{
            "field.vendor_id.path": "supplier.nme",
            "field.number.enabled": "",
            "custom.90.name": "currency",
            "custom.90.path": "currency",
        },
    )
    body = client.post(editor_url(sandbox_a, "mapping_preview"), data).content.decode()
    assert "supplier.nme is not in the purchase order catalog." in body
    assert "This field is required: it cannot be left out of the output." in body
    assert "&#x27;currency&#x27; is already a unified field." in body
    assert 'id="status-custom-90"' in body
    assert "3 fields need attention" in body


def test_preview_shows_problems_for_the_chosen_sample(client_for, member_a, sandbox_a):
    data = draft(sandbox_a, sample="2", **{"field.total.path": "po_number"})
    body = client_for(member_a).post(editor_url(sandbox_a, "mapping_preview"), data)
    text = body.content.decode()
    assert "cannot be converted: &#x27;PO-100236&#x27; is not a decimal number" in text
    assert "cast_failed" not in text
    # The row says how it fails on every sample, never "valid".
    assert "Fails on 3 of 3 sample records (PO-100234, PO-100235, PO-100236)" in text


def test_save_makes_a_version_and_the_editor_shows_it(client_for, member_a, sandbox_a):
    client = client_for(member_a)
    data = draft(
        sandbox_a,
        note="Vendor names please",
        **{
            "field.vendor_id.path": "supplier.name",
            "custom.1.name": "plant_section",
            "custom.1.path": "custom.plant_section",
        },
    )
    response = client.post(editor_url(sandbox_a, "mapping_save"), data)
    assert response.status_code == 302
    version = MappingVersion.objects.get()
    assert version.spec == {
        "overrides": {"vendor_id": {"path": "supplier.name", "transform": {}, "enabled": True}},
        "custom_fields": [
            {"name": "plant_section", "path": "custom.plant_section", "transform": {}}
        ],
    }
    assert (version.author, version.note) == (member_a, "Vendor names please")
    assert AuditEvent.objects.filter(action="mapping.save", actor=member_a).exists()
    body = client.get(response["Location"]).content.decode()
    assert "Saved version 1." in body
    assert "version 1, saved by mia-acme" in body
    assert 'class="field-row overridden"' in body


def test_an_untouched_save_stores_no_overrides(client_for, member_a):
    sap = ConnectionFactory(customer=member_a.customer, system="sap_s4hana")
    client_for(member_a).post(editor_url(sap, "mapping_save"), draft(sap))
    assert MappingVersion.objects.get().spec == EMPTY_SPEC


def test_an_invalid_save_keeps_the_draft_and_saves_nothing(client_for, member_a, sandbox_a):
    data = draft(sandbox_a, **{"field.vendor_id.path": "supplier.nme"})
    response = client_for(member_a).post(editor_url(sandbox_a, "mapping_save"), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Not saved: fix the fields marked below." in body
    assert 'value="supplier.nme"' in body
    assert not MappingVersion.objects.exists()


def test_edits_to_different_fields_merge_with_a_save_made_meanwhile(
    client_for, member_a, sandbox_a, admin_user
):
    opened = draft(
        sandbox_a, note="Currency from the supplier", **{"field.vendor_id.path": "supplier.name"}
    )
    theirs = {"overrides": {"approved": {"path": "approved", "transform": {}, "enabled": False}}}
    versions.save(
        sandbox_a, "purchase_order", theirs, base_number=0, actor=Actor(admin_user), note="Off"
    )
    client = client_for(member_a)
    response = client.post(editor_url(sandbox_a, "mapping_save"), opened)
    assert response.status_code == 302
    newest = versions.current(sandbox_a, "purchase_order").version
    assert newest.number == 2 and newest.note == "Currency from the supplier"
    assert set(newest.spec["overrides"]) == {"approved", "vendor_id"}
    body = client.get(response["Location"]).content.decode()
    assert "Saved version 2, merged with the version saved meanwhile" in body
    assert "their changes kept: approved" in body


def test_the_same_field_changed_twice_asks_which_to_keep_and_keeps_the_note(
    client_for, member_a, sandbox_a, admin_user
):
    opened = draft(
        sandbox_a,
        note="Names for the buyers",
        **{"field.vendor_id.path": "supplier.name", "field.approved.enabled": ""},
    )
    theirs = {
        "overrides": {
            "vendor_id": {"path": "custom.plant_section", "transform": {}, "enabled": True},
            "currency": {"path": "", "transform": {"constant": "EUR"}, "enabled": True},
        }
    }
    versions.save(sandbox_a, "purchase_order", theirs, base_number=0, actor=Actor(admin_user))
    client = client_for(member_a)
    response = client.post(editor_url(sandbox_a, "mapping_save"), opened)
    assert response.status_code == 302 and "?draft=" in response["Location"]
    for _ in range(2):  # the conflict page survives a reload
        page = client.get(response["Location"])
        assert page.status_code == 200
    body = page.content.decode()
    assert "Someone saved this mapping while you were editing" in body
    assert "alice-admin saved version 1" in body
    assert 'name="resolve.vendor_id" value="theirs"' in body
    assert "Keep theirs: custom.plant_section" in body and "Keep mine: supplier.name" in body
    assert 'value="Names for the buyers"' in body  # the note survives
    assert MappingVersion.objects.get().spec == theirs
    assert client.get(editor_url(sandbox_a, "mapping_save")).status_code == 302
    token = response["Location"].split("draft=")[1].split("&")[0]
    settled = {**opened, "base_number": "0", "draft_token": token, "resolve.vendor_id": "mine"}
    again = client.post(editor_url(sandbox_a, "mapping_save"), settled)
    assert again.status_code == 302 and "draft=" not in again["Location"]
    newest = versions.current(sandbox_a, "purchase_order").version
    assert newest.number == 2 and newest.note == "Names for the buyers"
    overrides = newest.spec["overrides"]
    assert overrides["vendor_id"]["path"] == "supplier.name"  # mine, as chosen
    assert overrides["currency"]["transform"] == {"constant": "EUR"}  # theirs, merged
    assert overrides["approved"]["enabled"] is False  # mine, merged


def test_a_date_format_that_breaks_every_sample_needs_a_confirmation_naming_them(
    client_for, member_a, sandbox_a
):
    client = client_for(member_a)
    data = draft(sandbox_a, entity="work_order", **{"field.due_at.format": "%d/%m/%Y"})
    preview = client.post(editor_url(sandbox_a, "mapping_preview", "work_order"), data)
    text = preview.content.decode()
    assert "Fails on 3 of 3 sample records (WO-5001872, WO-5001873, WO-5001874)" in text
    assert "does not match the date format %d/%m/%Y" in text
    response = client.post(editor_url(sandbox_a, "mapping_save", "work_order"), data)
    assert response.status_code == 302 and "draft=" in response["Location"]
    assert not MappingVersion.objects.exists()
    body = client.get(response["Location"]).content.decode()
    assert "This save would break data" in body
    assert "due_at fails on 3 of 3 sample records (WO-5001872, WO-5001873, WO-5001874)" in body
    confirm = body.split('name="confirm" value="')[1].split('"')[0]
    saved = client.post(
        editor_url(sandbox_a, "mapping_save", "work_order"), {**data, "confirm": confirm}
    )
    assert saved.status_code == 302 and "draft=" not in saved["Location"]
    assert MappingVersion.objects.get().spec["overrides"]["due_at"]["transform"] == {
        "format": "%d/%m/%Y"
    }


def test_a_wrong_confirmation_does_not_save(client_for, member_a, sandbox_a):
    data = draft(sandbox_a, entity="work_order", **{"field.due_at.format": "%d/%m/%Y"})
    response = client_for(member_a).post(
        editor_url(sandbox_a, "mapping_save", "work_order"), {**data, "confirm": "guess"}
    )
    assert "draft=" in response["Location"]
    assert not MappingVersion.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"field.status.value_map": "01 = draft\nbanana"}, "Value map line 2 (banana) has no"),
        ({"field.status.value_map": "A = open\nA = draft"}, "Value map line 2 repeats A"),
        (
            {"field.status.value_map": "\nA = open\nB = banana"},
            "Value map line 3 (B = banana): &#x27;banana&#x27; is not one of",
        ),
        ({"field.order_date.format": "%Y-%Q"}, "%Q is not a date code"),
        ({"field.vendor_id.path": "supplier.nme"}, "Did you mean supplier.name?"),
    ],
)
def test_the_editor_explains_mistakes_in_words(client_for, member_a, sandbox_a, changes, message):
    data = draft(sandbox_a, **changes)
    body = client_for(member_a).post(editor_url(sandbox_a, "mapping_preview"), data)
    assert message in body.content.decode()
    saved = client_for(member_a).post(editor_url(sandbox_a, "mapping_save"), data)
    assert saved.status_code == 422 and not MappingVersion.objects.exists()


def test_the_summary_and_the_winning_source_follow_the_draft(client_for, member_a, sandbox_a):
    data = draft(sandbox_a, **{"field.vendor_id.join": "supplier.id, supplier.name"})
    body = client_for(member_a).post(editor_url(sandbox_a, "mapping_preview"), data)
    text = body.content.decode()
    assert 'id="summary-vendor_id" class="transform-summary" hx-swap-oob="true"' in text
    assert "join of supplier.id, supplier.name with &#x27; &#x27;" in text
    assert "The join is used; the source path is ignored." in text


def test_a_row_resets_to_the_system_default(client_for, member_a, sandbox_a):
    url = editor_url(sandbox_a, "mapping_field_row") + "?key=vendor_id"
    body = client_for(member_a).get(url).content.decode()
    assert 'id="row-vendor_id"' in body and 'value="supplier.id"' in body
    assert 'name="field.vendor_id.inherits"' in body and "data-just-reset" in body
    assert client_for(member_a).get(url.replace("vendor_id", "colour")).status_code == 404


def test_an_untouched_row_keeps_inheriting_when_the_system_default_changes_meanwhile(
    client_for, member_a, admin_user, sandbox_a
):
    from mappings import system_defaults
    from mappings.governance import Governance

    opened = client_for(member_a).get(editor_url(sandbox_a)).content.decode()
    digest = opened.split('name="field.vendor_id.inherits" value="')[1].split('"')[0]
    data = draft(sandbox_a, **{"field.currency.path": "supplier.name"})
    data["field.vendor_id.inherits"] = digest
    system_defaults.save(
        "sandbox",
        "purchase_order",
        {"overrides": {"vendor_id": {"path": "supplier.name", "transform": {}, "enabled": True}}},
        Governance(),
        base_number=0,
        actor=Actor(admin_user),
    )
    response = client_for(member_a).post(editor_url(sandbox_a, "mapping_save"), data)
    assert response.status_code == 302
    assert set(MappingVersion.objects.get().spec["overrides"]) == {"currency"}


@pytest.mark.parametrize("persona", ["member_b", "anonymous"])
def test_outsiders_cannot_open_the_editor(client, persona, request, sandbox_a):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = client.get(editor_url(sandbox_a))
    assert response.status_code == (404 if persona != "anonymous" else 302)


@pytest.mark.parametrize("persona", ["admin_user", "support_user"])
def test_staff_can_edit_any_customers_mapping(client_for, request, persona, sandbox_a):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(editor_url(sandbox_a, "mapping_save"), draft(sandbox_a))
    assert response.status_code == 302
    assert MappingVersion.objects.get().author == user


def test_an_unknown_entity_or_unsupported_system_is_404(client_for, member_a, sandbox_a):
    client = client_for(member_a)
    assert client.get(editor_url(sandbox_a, entity="invoice")).status_code == 404
    # A system value left over from a retired integration: no catalog, so no editor.
    retired = ConnectionFactory(customer=member_a.customer, system="retired_erp")
    assert client.get(editor_url(retired)).status_code == 404
    assert (
        "no field catalog"
        in client.get(reverse("mapping_index", args=[retired.pk])).content.decode()
    )


def test_the_editor_page_runs_a_bounded_number_of_queries(
    client_for, member_a, sandbox_a, django_assert_max_num_queries
):
    client = client_for(member_a)
    for _ in range(3):
        versions.save(
            sandbox_a, "purchase_order", EMPTY_SPEC, base_number=None, actor=Actor.system()
        )
    with django_assert_max_num_queries(12):
        assert client.get(editor_url(sandbox_a)).status_code == 200


def test_the_mapping_index_lists_every_entity_with_its_current_version(
    client_for, member_a, sandbox_a
):
    versions.save(sandbox_a, "work_order", EMPTY_SPEC, base_number=0, actor=Actor.system())
    versions.save(sandbox_a, "work_order", EMPTY_SPEC, base_number=1, actor=Actor.system())
    body = client_for(member_a).get(reverse("mapping_index", args=[sandbox_a.pk])).content.decode()
    for label in ["Purchase order", "Work order", "Inventory item", "Asset", "Vendor"]:
        assert label in body
    assert "version 2" in body
    assert body.count("system defaults") == 4


def test_a_settled_conflict_that_breaks_records_still_asks_and_keeps_the_choice(
    client_for, member_a, sandbox_a, admin_user
):
    mine = draft(sandbox_a, entity="work_order", **{"field.due_at.format": "%d/%m/%Y"})
    theirs = {"overrides": {"due_at": {"path": "created_at", "transform": {}, "enabled": True}}}
    versions.save(sandbox_a, "work_order", theirs, base_number=0, actor=Actor(admin_user))
    client = client_for(member_a)
    url = editor_url(sandbox_a, "mapping_save", "work_order")
    conflict = client.post(url, mine)
    token = conflict["Location"].split("draft=")[1].split("&")[0]
    settled = client.post(url, {**mine, "draft_token": token, "resolve.due_at": "mine"})
    body = client.get(settled["Location"]).content.decode()
    assert "This save would break data" in body
    assert 'name="resolve.due_at" value="mine"' in body
    confirm = body.split('name="confirm" value="')[1].split('"')[0]
    final = {**mine, "resolve.due_at": "mine", "confirm": confirm}
    assert "draft=" not in client.post(url, final)["Location"]
    saved = versions.current(sandbox_a, "work_order").version
    assert (
        saved.number == 2 and saved.spec["overrides"]["due_at"]["transform"]["format"] == "%d/%m/%Y"
    )
