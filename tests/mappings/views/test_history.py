"""A connection mapping's history page: the diff between versions and rollbacks."""

import pytest
from django.urls import reverse

from connections.actors import Actor
from connections.models import AuditEvent
from mappings import versions
from mappings.models import MappingVersion
from mappings.spec import EMPTY_SPEC
from tests.mappings.views.drafts import editor_url

pytestmark = pytest.mark.django_db


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
