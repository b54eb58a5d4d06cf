"""System defaults as platform admins edit them, and the governance customers then work under."""

import json

import pytest
from django.urls import reverse

from connections.actors import Actor
from mappings import system_defaults, versions
from mappings.governance import Governance
from mappings.models import MappingVersion, SystemDefaultVersion
from tests.factories import ConnectionFactory
from tests.mappings.views.drafts import draft, editor_url

pytestmark = pytest.mark.django_db

NAMES = {"overrides": {"vendor_id": {"path": "supplier.name", "transform": {}, "enabled": True}}}


def system_url(name="system_default_editor", system="sandbox", entity="purchase_order"):
    return reverse(name, args=[system, entity])


def system_form(**changes):
    """What the system editor posts for the catalog's defaults, with `changes` applied."""
    from mappings import catalogs
    from mappings.spec import EMPTY_SPEC, effective_rules

    data = {"base_number": "0", "gov.custom_fields": "any"}
    for rule in effective_rules(catalogs.catalog("sandbox", "purchase_order"), EMPTY_SPEC):
        data[f"field.{rule.key}.path"] = rule.path
        if rule.enabled:
            data[f"field.{rule.key}.enabled"] = "on"
        for option, value in rule.transform.items():
            if option == "value_map":
                value = "\n".join(f"{raw} = {json.dumps(v)}" for raw, v in value.items())
            data[f"field.{rule.key}.{option}"] = value
    data.update(changes)
    return data


def lock(admin_user, *keys, **governance):
    return system_defaults.save(
        "sandbox",
        "purchase_order",
        {},
        Governance(locked=frozenset(keys), **governance),
        base_number=None,
        actor=Actor(admin_user),
    )


@pytest.mark.parametrize(("persona", "status"), [("member_a", 404), ("support_user", 403)])
def test_only_platform_admins_edit_system_defaults(client_for, request, persona, status):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(system_url()).status_code == status
    assert client.post(system_url("system_default_save"), system_form()).status_code == status
    assert not SystemDefaultVersion.objects.exists()


def test_an_admin_changes_a_default_and_connections_inherit_it_at_once(
    client_for, admin_user, sandbox_a
):
    overriding = ConnectionFactory(
        customer=sandbox_a.customer, system="sandbox", display_name="Own"
    )
    mine = {"overrides": {"vendor_id": {"path": "po_number", "transform": {}, "enabled": True}}}
    versions.save(overriding, "purchase_order", mine, base_number=0, actor=Actor.system())
    client = client_for(admin_user)
    assert "Mapping defaults" in client.get(reverse("system_default_index")).content.decode()
    form = system_form(note="Names", **{"field.vendor_id.path": "supplier.name"})
    preview = client.post(system_url("system_default_preview"), form).content.decode()
    assert "This change reaches <strong>2 connections</strong>" in preview
    assert "1 connection overrides it and keep their own: Own (Acme" in preview
    response = client.post(system_url("system_default_save"), form)
    assert response.status_code == 302
    assert SystemDefaultVersion.objects.get().spec == NAMES
    inherited = versions.current(sandbox_a, "purchase_order")
    record, _ = inherited.compiled()(inherited.catalog.samples[0])
    assert record["vendor_id"] == "Vendor 17300001"
    own = versions.current(overriding, "purchase_order")
    assert own.compiled()(own.catalog.samples[0])[0]["vendor_id"] == "PO-100234"
    page = client.get(editor_url(sandbox_a)).content.decode()
    assert "system default: supplier.name" in page and "inherits" in page


def test_system_default_history_diff_and_rollback(client_for, admin_user):
    client = client_for(admin_user)
    first = system_defaults.save(
        "sandbox", "purchase_order", NAMES, Governance(), base_number=0, actor=Actor(admin_user)
    )
    system_defaults.save(
        "sandbox", "purchase_order", {}, Governance(), base_number=1, actor=Actor(admin_user)
    )
    body = client.get(system_url("system_default_history")).content.decode()
    assert "Version 1 → version 2" in body and "supplier.name" in body
    response = client.post(reverse("system_default_rollback", args=[first.pk]))
    assert response.status_code == 302
    assert SystemDefaultVersion.objects.order_by("-number").first().spec == NAMES
    assert client.post(system_url("system_default_restore")).status_code == 302
    assert SystemDefaultVersion.objects.order_by("-number").first().spec == {"overrides": {}}


def test_a_system_default_that_breaks_the_samples_needs_a_confirmation(client_for, admin_user):
    client = client_for(admin_user)
    form = system_form(**{"field.order_date.format": "%d/%m/%Y"})
    response = client.post(system_url("system_default_save"), form)
    assert response.status_code == 302 and "draft=" in response["Location"]
    body = client.get(response["Location"]).content.decode()
    assert "order_date fails on 3 of 3 sample records (PO-100234, PO-100235, PO-100236)" in body
    assert not SystemDefaultVersion.objects.exists()
    confirm = body.split('name="confirm" value="')[1].split('"')[0]
    assert (
        client.post(system_url("system_default_save"), {**form, "confirm": confirm}).status_code
        == 302
    )
    assert SystemDefaultVersion.objects.count() == 1


def test_governance_is_saved_from_the_form(client_for, admin_user):
    form = system_form(
        **{
            "gov.locked.vendor_id": "on",
            "gov.required.currency": "on",
            "gov.custom_fields": "listed",
            "gov.listed": "plant_section, cost_center",
        }
    )
    assert client_for(admin_user).post(system_url("system_default_save"), form).status_code == 302
    assert SystemDefaultVersion.objects.get().governance == {
        "locked": ["vendor_id"],
        "required": ["currency"],
        "custom_fields": "listed",
        "listed": ["plant_section", "cost_center"],
    }


def test_a_locked_field_shows_no_inputs_and_a_crafted_post_is_refused(
    client_for, member_a, admin_user, sandbox_a
):
    lock(admin_user, "vendor_id")
    client = client_for(member_a)
    page = client.get(editor_url(sandbox_a)).content.decode()
    assert "Rules from your platform admin" in page
    assert "Locked by your platform admin: every connection uses the system default" in page
    assert 'name="field.vendor_id.path"' not in page
    untouched = {k: v for k, v in draft(sandbox_a).items() if not k.startswith("field.vendor_id.")}
    assert client.post(editor_url(sandbox_a, "mapping_save"), untouched).status_code == 302
    crafted = draft(sandbox_a, **{"field.vendor_id.path": "supplier.name"})
    response = client.post(editor_url(sandbox_a, "mapping_save"), crafted)
    assert response.status_code == 422
    assert "Locked by your platform admin: customers may not remap this field" in (
        response.content.decode()
    )
    assert MappingVersion.objects.count() == 1
    assert MappingVersion.objects.get().spec["overrides"] == {}


def test_a_locked_field_is_refused_in_an_import_and_an_old_override_no_longer_applies(
    client_for, member_a, admin_user, sandbox_a
):
    versions.save(sandbox_a, "purchase_order", NAMES, base_number=0, actor=Actor.system())
    lock(admin_user, "vendor_id")
    mapping = versions.current(sandbox_a, "purchase_order")
    assert mapping.compiled()(mapping.catalog.samples[0])[0]["vendor_id"] == "17300001"
    document = {"format": "patchbay.mapping/1", "system": "sandbox", "entity": "purchase_order"}
    response = client_for(member_a).post(
        editor_url(sandbox_a, "mapping_import"), {"mapping_json": json.dumps(document | NAMES)}
    )
    assert response.status_code == 422
    assert "Locked by your platform admin" in response.content.decode()
    assert MappingVersion.objects.count() == 1


def test_custom_fields_follow_the_admins_list_and_required_ones_must_be_there(
    client_for, member_a, admin_user, sandbox_a
):
    lock(
        admin_user,
        custom_fields="listed",
        listed=("plant_section",),
        required=frozenset({"plant_section"}),
    )
    client = client_for(member_a)
    missing = client.post(editor_url(sandbox_a, "mapping_preview"), draft(sandbox_a))
    assert "Your platform admin requires the custom field plant_section" in missing.content.decode()
    wrong = draft(
        sandbox_a, **{"custom.1.name": "plant_sectoin", "custom.1.path": "custom.plant_section"}
    )
    body = client.post(editor_url(sandbox_a, "mapping_preview"), wrong).content.decode()
    assert "is not among the custom fields your platform admin allows (plant_section)" in body
    assert "Did you mean plant_section?" in body
    right = draft(
        sandbox_a, **{"custom.1.name": "plant_section", "custom.1.path": "custom.plant_section"}
    )
    assert client.post(editor_url(sandbox_a, "mapping_save"), right).status_code == 302
