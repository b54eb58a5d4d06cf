"""The editor as a member sees it: rows, live preview, validation, save, conflict, history."""

import json

import pytest
from django.urls import reverse

from connections.actors import Actor
from connections.models import AuditEvent
from mappings import versions
from mappings.models import MappingVersion
from mappings.spec import EMPTY_SPEC
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def editor_url(connection, name="mapping_editor", entity="purchase_order"):
    return reverse(name, args=[connection.pk, entity])


def draft(connection, **changes):
    """The form the editor posts for the connection's current mapping, with `changes` applied."""
    mapping = versions.current(connection, "purchase_order")
    data = {"base_number": str(mapping.number), "sample": "0"}
    for rule in mapping.rules():
        prefix = f"custom.{len(data)}" if rule.is_custom else f"field.{rule.key}"
        if rule.is_custom:
            data[f"{prefix}.name"] = rule.key
        data[f"{prefix}.path"] = rule.path
        if rule.enabled:
            data[f"{prefix}.enabled"] = "on"
        for option, value in rule.transform.items():
            if option == "value_map":
                value = "\n".join(
                    f"{raw} = {v if isinstance(v, str) else json.dumps(v)}"
                    for raw, v in value.items()
                )
            data[f"{prefix}.{option}"] = value
    data.update(changes)
    return data


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
    assert "This field is required: map it to a source path." in body
    assert "&#x27;currency&#x27; is already a unified field." in body
    assert 'id="status-custom-90"' in body
    assert "3 fields need attention" in body


def test_preview_shows_problems_for_the_chosen_sample(client_for, member_a, sandbox_a):
    data = draft(sandbox_a, sample="2", **{"field.total.path": "po_number"})
    body = client_for(member_a).post(editor_url(sandbox_a, "mapping_preview"), data)
    text = body.content.decode()
    assert "cast_failed" in text and "PO-100236" in text


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
    assert 'class="overridden"' in body


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


def test_a_save_after_someone_elses_shows_both_and_overwrites_nothing(
    client_for, member_a, sandbox_a, admin_user
):
    opened = draft(sandbox_a, **{"field.currency.path": "supplier.name"})
    theirs = {"overrides": {"approved": {"path": "approved", "transform": {}, "enabled": False}}}
    versions.save(
        sandbox_a, "purchase_order", theirs, base_number=0, actor=Actor(admin_user), note="Off"
    )
    response = client_for(member_a).post(editor_url(sandbox_a, "mapping_save"), opened)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone saved this mapping while you were editing" in body
    assert "alice-admin saved version 1" in body
    assert "switched off" in body  # their change
    assert 'value="supplier.name"' in body  # my draft, still in the form
    assert 'name="base_number" value="1"' in body
    assert MappingVersion.objects.get().spec == theirs
    again = client_for(member_a).post(
        editor_url(sandbox_a, "mapping_save"), {**opened, "base_number": "1"}
    )
    assert again.status_code == 302
    assert MappingVersion.objects.count() == 2


def test_history_diff_and_rollback(client_for, member_a, sandbox_a):
    client = client_for(member_a)
    remap = {
        "overrides": {"vendor_id": {"path": "supplier.name", "transform": {}, "enabled": True}}
    }
    first = versions.save(sandbox_a, "purchase_order", remap, base_number=0, actor=Actor(member_a))
    versions.save(sandbox_a, "purchase_order", EMPTY_SPEC, base_number=1, actor=Actor(member_a))
    body = client.get(editor_url(sandbox_a, "mapping_history")).content.decode()
    assert "Version 1 → version 2" in body
    assert "supplier.name" in body and "supplier.id" in body
    response = client.post(reverse("mapping_rollback", args=[first.pk]))
    assert response.status_code == 302
    restored = MappingVersion.objects.of(sandbox_a, "purchase_order").order_by("-number").first()
    assert (restored.number, restored.spec, restored.rollback_of) == (3, remap, first)
    body = client.get(response["Location"]).content.decode()
    assert "Rolled back to version 1: saved as version 3." in body
    diff = client.get(editor_url(sandbox_a, "mapping_history") + "?from=0&to=3").content.decode()
    assert "System defaults → version 3" in diff


def test_export_then_import_round_trips(client_for, member_a, sandbox_a):
    client = client_for(member_a)
    remap = {
        "overrides": {"vendor_id": {"path": "supplier.name", "transform": {}, "enabled": True}},
        "custom_fields": [{"name": "plant", "path": "custom.plant_section", "transform": {}}],
    }
    versions.save(sandbox_a, "purchase_order", remap, base_number=0, actor=Actor.system())
    exported = client.get(editor_url(sandbox_a, "mapping_export"))
    assert exported["Content-Disposition"].startswith("attachment;")
    document = json.loads(exported.content)
    assert document["format"] == "patchbay.mapping/1" and document["version"] == 1
    versions.save(sandbox_a, "purchase_order", EMPTY_SPEC, base_number=1, actor=Actor.system())
    response = client.post(
        editor_url(sandbox_a, "mapping_import"), {"mapping_json": json.dumps(document)}
    )
    assert response.status_code == 302
    newest = MappingVersion.objects.order_by("-number").first()
    assert (newest.number, newest.spec, newest.note) == (3, remap, "Imported from JSON")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"overrides": {"vendor_id": {"path": "supplier.nope"}}}, "supplier.nope is not in"),
        ({"overrides": {"vendor_id": "supplier.id"}}, "must be an object with a path"),
        ({"system": "fiix"}, "This mapping is for &#x27;fiix&#x27;"),
        ({"format": "other"}, "Expected &#x27;patchbay.mapping/1&#x27;"),
        ({"custom_fields": [{"name": "number", "path": "id"}]}, "already a unified field"),
    ],
)
def test_a_bad_import_names_the_field_and_changes_nothing(
    client_for, member_a, sandbox_a, change, message
):
    document = {
        "format": "patchbay.mapping/1",
        "system": "sandbox",
        "entity": "purchase_order",
        **change,
    }
    response = client_for(member_a).post(
        editor_url(sandbox_a, "mapping_import"), {"mapping_json": json.dumps(document)}
    )
    assert response.status_code == 422
    assert "Not imported" in response.content.decode()
    assert message in response.content.decode()
    assert not MappingVersion.objects.exists()


def test_an_imported_file_is_read_and_an_oversized_one_refused(client_for, member_a, sandbox_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(member_a)
    document = {"format": "patchbay.mapping/1", "system": "sandbox", "entity": "purchase_order"}
    document["custom_fields"] = [{"name": "plant", "path": "custom.plant_section"}]
    upload = SimpleUploadedFile("mapping.json", json.dumps(document).encode())
    response = client.post(editor_url(sandbox_a, "mapping_import"), {"mapping_file": upload})
    assert response.status_code == 302
    assert MappingVersion.objects.get().spec["custom_fields"][0]["name"] == "plant"
    huge = SimpleUploadedFile("mapping.json", b" " * 1_000_001)
    response = client.post(editor_url(sandbox_a, "mapping_import"), {"mapping_file": huge})
    assert response.status_code == 422
    assert "too large" in response.content.decode()
    assert MappingVersion.objects.count() == 1


def test_import_that_is_not_json_says_so(client_for, member_a, sandbox_a):
    response = client_for(member_a).post(
        editor_url(sandbox_a, "mapping_import"), {"mapping_json": "{nope"}
    )
    assert response.status_code == 422
    assert "That is not JSON" in response.content.decode()


def test_copy_from_another_connection_of_the_same_system_and_customer(
    client_for, member_a, sandbox_a, customer_b
):
    other = ConnectionFactory(customer=member_a.customer, system="sandbox", display_name="Acme 2")
    foreign = ConnectionFactory(customer=customer_b, system="sandbox")
    remap = {
        "overrides": {"vendor_id": {"path": "supplier.name", "transform": {}, "enabled": True}}
    }
    versions.save(other, "purchase_order", remap, base_number=0, actor=Actor.system())
    versions.save(foreign, "purchase_order", remap, base_number=0, actor=Actor.system())
    client = client_for(member_a)
    body = client.get(editor_url(sandbox_a)).content.decode()
    assert "Acme 2" in body and foreign.display_name not in body
    response = client.post(editor_url(sandbox_a, "mapping_copy"), {"source": other.pk})
    assert response.status_code == 302
    assert versions.current(sandbox_a, "purchase_order").spec["overrides"] == remap["overrides"]
    refused = client.post(editor_url(sandbox_a, "mapping_copy"), {"source": foreign.pk})
    assert refused.status_code == 404


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


def test_roll_back_to_the_system_defaults(client_for, member_a, sandbox_a):
    remap = {
        "overrides": {"vendor_id": {"path": "supplier.name", "transform": {}, "enabled": True}}
    }
    versions.save(sandbox_a, "purchase_order", remap, base_number=0, actor=Actor(member_a))
    client = client_for(member_a)
    response = client.post(editor_url(sandbox_a, "mapping_restore_defaults"))
    assert response.status_code == 302
    newest = versions.current(sandbox_a, "purchase_order")
    assert (newest.number, newest.spec) == (2, EMPTY_SPEC)
    body = client.get(response["Location"]).content.decode()
    assert "Rolled back to the system defaults: saved as version 2." in body
    assert AuditEvent.objects.filter(action="mapping.rollback").count() == 1


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
