"""Writing the audit trail: one function, called by views, tasks and commands alike."""

from __future__ import annotations

from django.db import models

from connections.actors import Actor
from connections.models import AuditEvent, Customer


def record(
    action: str,
    obj: models.Model | None,
    *,
    actor: Actor,
    customer: Customer | None = None,
    changes: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event about `obj` (or, for a bulk action, about `object_type`/`object_id`).

    `changes` is a before/after summary and must never hold a secret.
    """
    if customer is None and obj is not None:
        # A customer, an object of one (a connection), or an object of a connection (a token).
        customer = obj if isinstance(obj, Customer) else getattr(obj, "customer", None)
        connection = getattr(obj, "connection", None)
        if customer is None and connection is not None:
            customer = getattr(connection, "customer", None)
    return AuditEvent.objects.create(
        actor=actor.user,
        actor_repr=actor.name,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else object_id,
        object_repr=(str(obj) if obj is not None else object_repr)[:200],
        customer=customer,
        ip_address=actor.ip_address,
        request_id=actor.request_id,
        changes=changes or {},
    )
