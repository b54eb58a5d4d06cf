"""The overview (everyone's home): status tiles, filters in the URL, a self-refreshing table."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from connections.models import Connection
from connections.tenancy import scoped
from monitoring.issue_queue import open_incidents
from monitoring.overview import overview

TABLE_ID = "connection-table"


@login_required
def connection_overview(request):
    """The full page, or to htmx (the 10 s refresh, a filter change, a page link) the table only.

    The table's partial also carries the tiles out of band, so their counts stay current too.
    """
    board = overview(request.user, request.GET)
    context = {
        "board": board,
        "page": board.page,
        "filterset": board.filterset,
        "now": timezone.now(),
    }
    if request.user.is_platform_staff:
        context["incidents"] = open_incidents(request.user)
    partial = (
        request.htmx
        and not request.htmx.history_restore_request
        and request.htmx.target == TABLE_ID
    )
    template = "monitoring/_connection_table.html" if partial else "monitoring/overview.html"
    response = render(request, template, {**context, "oob_tiles": bool(partial)})
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
def connection_suggestions(request):
    """Up to 20 of the reader's connections whose name or upstream id holds what they typed,
    as `<option>`s for a filter's datalist."""
    typed = request.GET.get("connection", "").strip()[:100].replace("\x00", "")
    matches = []
    if typed:
        matches = list(
            scoped(Connection, request.user)
            .filter(Q(display_name__icontains=typed) | Q(upstream_id__icontains=typed))
            .order_by("display_name")
            .values_list("display_name", "upstream_id")[:20]
        )
    return render(request, "monitoring/_connection_options.html", {"matches": matches})
