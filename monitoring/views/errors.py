"""The error log (keyset pages, CSV), one error with its context, and request-id search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from connections import keyset
from connections.spreadsheets import csv_lines
from connections.tenancy import get_scoped_or_404
from monitoring import error_log
from monitoring.models import ErrorLog


@login_required
def error_list(request):
    filterset, errors = error_log.filtered_errors(request.user, request.GET)
    if request.GET.get("format") == "csv":
        return csv_export(errors)
    try:
        page = keyset.keyset_page(
            errors, before=request.GET.get("before", ""), after=request.GET.get("after", "")
        )
        cursor_error = ""
    except keyset.BadCursor as bad:
        page, cursor_error = keyset.keyset_page(errors), str(bad)
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(
        request,
        "monitoring/_error_table.html" if partial else "monitoring/error_list.html",
        {"filterset": filterset, "page": page, "cursor_error": cursor_error},
    )
    patch_vary_headers(response, ["HX-Request"])  # one URL, two bodies: caches must tell them apart
    return response


def csv_export(errors):
    """Streamed, so a million rows never sit in memory; same filters as the page."""
    rows = errors.iterator(chunk_size=2000)
    response = StreamingHttpResponse(
        csv_lines(error_log.CSV_COLUMNS, error_log.csv_rows(rows)), content_type="text/csv"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="patchbay-errors-{stamp}.csv"'
    return response


@login_required
def error_detail(request, error_id: int):
    error = get_scoped_or_404(ErrorLog.objects.with_connection(), request.user, pk=error_id)
    return render(
        request,
        "monitoring/error_detail.html",
        {"error": error, "context": error_log.context_of(error, request.user)},
    )


@login_required
def request_search(request):
    """Paste an id: one error opens at once; otherwise what it matched, or the nearest ids."""
    lookup = error_log.find_request(request.user, request.GET.get("request_id", ""))
    if len(lookup.errors) == 1 and not lookup.audit_events:
        return redirect("error_detail", error_id=lookup.errors[0].pk)
    # A miss is a search result (200), not a missing page: it says so and offers the nearest ids.
    status = 400 if lookup.invalid else 200
    return render(request, "monitoring/request_search.html", {"lookup": lookup}, status=status)
