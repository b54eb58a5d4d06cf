"""Versions: save, audit, conflict, invalid input, rollback and the readable diff."""

import pytest
from django.urls import reverse

from connections.actors import Actor
from connections.models import AuditEvent
from mappings import versions
from mappings.models import MappingVersion
from mappings.spec import EMPTY_SPEC
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

REMAP = {
    "overrides": {"vendor_id": {"path": "supplier.name", "transform": {}, "enabled": True}},
    "custom_fields": [{"name": "plant", "path": "custom.plant_section", "transform": {}}],
}


@pytest.fixture
def connection(customer_a):
    return ConnectionFactory(customer=customer_a, system="sandbox", display_name="Acme sandbox")


def test_a_connection_starts_on_the_defaults(connection):
    mapping = versions.current(connection, "purchase_order")
    assert (mapping.number, mapping.spec) == (0, EMPTY_SPEC)
    record, problems = mapping.compiled()(mapping.catalog.samples[0])
    assert record["vendor_id"] == "17300001" and problems == []


def test_save_makes_a_version_with_author_note_and_an_audit_event(connection, member_a):
    version = versions.save(
        connection, "purchase_order", REMAP, base_number=0, actor=Actor(member_a), note="Use names"
    )
    assert (version.number, version.author, version.note) == (1, member_a, "Use names")
    mapping = versions.current(connection, "purchase_order")
    record, _ = mapping.compiled()(mapping.catalog.samples[0])
    assert (record["vendor_id"], record["plant"]) == ("Vendor 17300001", "Press shop")
    event = AuditEvent.objects.get(action="mapping.save")
    assert event.actor == member_a
    assert event.customer_id == connection.customer_id
    assert event.changes["overrides"] == ["vendor_id"]
    assert event.changes["custom_fields"] == ["plant"]


def test_a_save_changing_the_same_field_differently_conflicts_and_writes_nothing(
    connection, member_a
):
    theirs = versions.save(
        connection, "purchase_order", REMAP, base_number=0, actor=Actor(member_a)
    )
    mine = {"overrides": {"vendor_id": {"path": "po_number", "transform": {}, "enabled": True}}}
    with pytest.raises(versions.Conflict) as raised:
        versions.save(connection, "purchase_order", mine, base_number=0, actor=Actor(member_a))
    assert raised.value.latest == theirs
    assert [c.key for c in raised.value.merge.conflicts] == ["vendor_id"]
    assert MappingVersion.objects.count() == 1
    assert AuditEvent.objects.filter(action="mapping.save").count() == 1


def test_an_invalid_mapping_is_refused_whole(connection, member_a):
    bad = {"overrides": {"vendor_id": {"path": "nope", "transform": {}, "enabled": True}}}
    with pytest.raises(versions.InvalidMapping) as raised:
        versions.save(connection, "purchase_order", bad, base_number=0, actor=Actor(member_a))
    assert list(raised.value.errors) == ["vendor_id"]
    assert not MappingVersion.objects.exists()
    assert not AuditEvent.objects.exists()


def test_rollback_is_a_new_version_with_the_old_spec(connection, member_a):
    first = versions.save(connection, "purchase_order", REMAP, base_number=0, actor=Actor(member_a))
    versions.save(connection, "purchase_order", EMPTY_SPEC, base_number=1, actor=Actor(member_a))
    restored = versions.rollback(first, actor=Actor(member_a))
    assert (restored.number, restored.spec, restored.rollback_of) == (3, REMAP, first)
    assert restored.note == "Rollback to version 1"
    assert AuditEvent.objects.filter(action="mapping.rollback").count() == 1


def test_diff_says_what_changed_field_by_field(connection):
    catalog = versions.catalog_for(connection, "purchase_order")
    off = {"overrides": {"approved": {"path": "approved", "transform": {}, "enabled": False}}}
    changes = versions.diff(catalog, REMAP, off)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("vendor_id", "supplier.name", "supplier.id"),
        ("approved", "approved", "switched off"),
        ("custom: plant", "custom.plant_section", "—"),
    ]
    mapped = {"overrides": {"status": {"path": "state", "transform": {"value_map": {"A": "open"}}}}}
    assert versions.diff(catalog, EMPTY_SPEC, mapped)[0].after == "state (map A→open)"
    assert versions.diff(catalog, REMAP, REMAP) == []


def test_versions_are_scoped_to_the_customer(connection, member_a, member_b, admin_user):
    from connections.tenancy import scoped

    versions.save(connection, "purchase_order", REMAP, base_number=0, actor=Actor(member_a))
    assert scoped(MappingVersion, member_a).count() == 1
    assert scoped(MappingVersion, admin_user).count() == 1
    assert scoped(MappingVersion, member_b).count() == 0


def test_the_admin_shows_versions_but_never_edits_or_deletes_them(
    client_for, admin_user, sandbox_a
):
    version = versions.save(sandbox_a, "purchase_order", REMAP, base_number=0, actor=Actor.system())
    client = client_for(admin_user)
    change_url = reverse("admin:mappings_mappingversion_change", args=[version.pk])
    assert client.get(change_url).status_code == 200
    assert client.post(change_url, {"note": "tampered"}).status_code == 403
    delete_url = reverse("admin:mappings_mappingversion_delete", args=[version.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert MappingVersion.objects.get(pk=version.pk).note != "tampered"
