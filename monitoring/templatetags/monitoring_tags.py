"""Template tags the dashboard pages share: the reauth banner, sortable column headers, time."""

from __future__ import annotations

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

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


# Time, as every page shows it (issue 14): in the reader's zone, which is always named.


@register.filter
def stamp(moment, precision: str = "minutes"):
    """`<time>` with the moment in the reader's zone, naming the zone: 2026-11-29 13:02 UTC."""
    if not moment:
        return "–"
    local = timezone.localtime(moment)
    pattern = "Y-m-d H:i:s T" if precision == "seconds" else "Y-m-d H:i T"
    return format_html(
        '<time datetime="{}">{}</time>', moment.isoformat(), dateformat.format(local, pattern)
    )


@register.filter
def ago(moment, now=None):
    """ "just now" under a minute, else "5 minutes ago"; "never" for no moment."""
    if not moment:
        return "never"
    now = now or timezone.now()
    if abs((now - moment).total_seconds()) < 60:
        return "just now"
    if moment > now:
        return f"in {timeuntil(moment, now)}"
    return f"{timesince(moment, now)} ago"


@register.filter
def lasting(moment, now=None):
    """How long since `moment`, as "for 3 minutes" or "for less than a minute"."""
    if not moment:
        return ""
    now = now or timezone.now()
    if (now - moment).total_seconds() < 60:
        return "for less than a minute"
    return f"for {timesince(moment, now)}"
