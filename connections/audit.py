"""Writing the audit trail: one function, called by views, tasks and commands alike."""

from __future__ import annotations

from django.db import models

from connections.middleware import current_request_id
from connections.models import AuditEvent, Customer


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    obj: models.Model | None,
    *,
    actor=None,
    request=None,
    customer: Customer | None = None,
    changes: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event about `obj` (or, for a bulk action, about `object_type`/`object_id`).

    `changes` is a before/after summary and must never hold a secret.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if customer is None and obj is not None:
        customer = obj if isinstance(obj, Customer) else getattr(obj, "customer", None)
    request_id = getattr(request, "request_id", None) or current_request_id()
    return AuditEvent.objects.create(
        actor=actor,
        actor_repr=actor.get_username() if actor is not None else "system",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else object_id,
        object_repr=(str(obj) if obj is not None else object_repr)[:200],
        customer=customer,
        ip_address=client_ip(request),
        request_id="" if request_id == "-" else request_id,
        changes=changes or {},
    )
