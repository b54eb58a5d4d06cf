"""The overview (everyone's home): status tiles, filters in the URL, a self-refreshing table."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from monitoring.overview import overview

TABLE_ID = "connection-table"


@login_required
def connection_overview(request):
    """The full page, or to htmx (the 10 s refresh, a filter change, a page link) the table only.

    The table's partial also carries the tiles out of band, so their counts stay current too.
    """
    board = overview(request.user, request.GET)
    context = {"board": board, "page": board.page, "filterset": board.filterset}
    partial = (
        request.htmx
        and not request.htmx.history_restore_request
        and request.htmx.target == TABLE_ID
    )
    template = "monitoring/_connection_table.html" if partial else "monitoring/overview.html"
    response = render(request, template, {**context, "oob_tiles": bool(partial)})
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
