"""Tenancy: the one place that decides which objects a user may see.

Every tenant-owned model's queryset inherits `TenantQuerySet` and names the path to its customer.
Views fetch objects only through `scoped()` and `get_scoped_or_404()`, so a foreign id answers 404.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.http import Http404

M = TypeVar("M", bound=models.Model)


class TenantQuerySet(models.QuerySet):
    """A queryset whose rows belong to a customer, reached through `customer_path`.

    An empty `customer_path` means the rows are customers themselves.
    """

    customer_path = "customer"

    def visible_to(self, user) -> TenantQuerySet:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_platform_staff:
            return self
        if user.customer_id is None:
            return self.none()
        field = f"{self.customer_path}_id" if self.customer_path else "pk"
        return self.filter(**{field: user.customer_id})


def scoped(model_or_queryset: type[M] | models.QuerySet, user) -> models.QuerySet:
    """The rows of a tenant-owned model (or a narrower queryset of it) that `user` may see."""
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, models.QuerySet)
        else model_or_queryset._default_manager.all()
    )
    if not isinstance(queryset, TenantQuerySet):
        raise TypeError(f"{queryset.model.__name__} is not tenant-scoped; give it a TenantQuerySet")
    return queryset.visible_to(user)


def get_scoped_or_404(model_or_queryset: type[M] | models.QuerySet, user, **lookup) -> M:
    """One object `user` may see, or 404: a foreign id looks exactly like a missing one."""
    try:
        return scoped(model_or_queryset, user).get(**lookup)
    except (models.ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such object.") from exc
