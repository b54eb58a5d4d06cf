"""The audit log is append-only: no update or delete, from code or from the admin."""

import pytest
from django.urls import reverse

from connections import audit
from connections.actors import Actor
from connections.models import AuditEvent


def test_record_keeps_actor_object_customer_and_request(rf, admin_user, connection_a):
    request = rf.post("/", REMOTE_ADDR="10.1.2.3")
    request.user = admin_user
    request.request_id = "pb_test"
    event = audit.record(
        "connection.noted", connection_a, actor=Actor.from_request(request), changes={"note": "x"}
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.customer, stored.ip_address) == (
        admin_user,
        connection_a.customer,
        "10.1.2.3",
    )
    assert stored.request_id == "pb_test" and stored.object_id == str(connection_a.pk)


def test_events_cannot_be_changed_or_deleted(db, connection_a):
    event = audit.record("connection.noted", connection_a, actor=Actor.system())
    event.action = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="tampered")
    assert AuditEvent.objects.get(pk=event.pk).action == "connection.noted"


def test_admin_site_offers_no_edit_or_delete(client_for, admin_user, connection_a):
    event = audit.record("connection.noted", connection_a, actor=Actor.system())
    client = client_for(admin_user)
    change_url = reverse("admin:connections_auditevent_change", args=[event.pk])
    assert client.get(change_url).status_code == 200  # viewable
    assert client.post(change_url, {"action": "tampered"}).status_code == 403
    delete_url = reverse("admin:connections_auditevent_delete", args=[event.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "connection.noted"
