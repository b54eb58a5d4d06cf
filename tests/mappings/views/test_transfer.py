"""Export, import and copy of a connection's mapping."""

import json

import pytest

from connections.actors import Actor
from mappings import versions
from mappings.models import MappingVersion
from mappings.spec import EMPTY_SPEC
from tests.factories import ConnectionFactory
from tests.mappings.views.drafts import editor_url

pytestmark = pytest.mark.django_db


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
