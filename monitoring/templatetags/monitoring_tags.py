"""Template tags the dashboard pages share: the reauth banner and sortable column headers."""

from __future__ import annotations

from django import template

from connections.models import Connection
from connections.tenancy import scoped

register = template.Library()


@register.inclusion_tag("monitoring/_reauth_banner.html", takes_context=True)
def reauth_banner(context) -> dict:
    """Every page of a customer member: which of their connections need reauthorization.

    Staff see these on the overview instead; nobody else pays the query.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_customer_member:
        return {"connections": []}
    needing = scoped(Connection.objects.needing_reauth(), user).order_by("display_name")
    return {"connections": list(needing[:5]), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("monitoring/_sort_header.html", takes_context=True)
def sort_header(context, key: str, label: str) -> dict:
    """A column header that sorts by `key`, then flips direction on a second click."""
    current = context["request"].GET.get("sort", "")
    direction = "asc" if current == key else "desc" if current == f"-{key}" else ""
    return {
        "request": context["request"],
        "label": label,
        "next_sort": f"-{key}" if current == key else key,
        "direction": direction,
    }
