"""The audit page: admins read the append-only trail, filtered, a keyset page at a time, or take
it away as CSV (an export is itself written to the trail)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from connections import audit, audit_display, keyset
from connections.actors import Actor
from connections.forms import AuditFilterForm
from connections.models import AuditEvent, Customer
from connections.permissions import admin_required
from connections.spreadsheets import csv_lines, safe_cell
from connections.tenancy import scoped

CSV_COLUMNS = [
    "time_utc",
    "who",
    "action",
    "action_label",
    "object_type",
    "object_id",
    "object",
    "customer",
    "ip_address",
    "request_id",
    "summary",
]


@admin_required
def audit_log(request):
    customers = scoped(Customer, request.user)
    form = AuditFilterForm(request.GET or None, customers=customers)
    events = scoped(AuditEvent.objects.select_related("customer"), request.user)
    if form.is_bound and not form.is_valid():
        # A filter that could not be read shows nothing rather than everything.
        return render(
            request,
            "connections/audit_log.html",
            {"form": form, "page": keyset.KeysetPage([]), "names": {}, "summaries": {}},
            status=400,
        )
    if form.is_bound:
        events = events.filtered(**form.filters())
    if request.GET.get("format") == "csv":
        return csv_export(request, form, events)
    cursor_error = ""
    try:
        page = keyset.keyset_page(
            events, before=request.GET.get("before", ""), after=request.GET.get("after", "")
        )
    except keyset.BadCursor as bad:
        page, cursor_error = keyset.keyset_page(events), str(bad)
    return render(
        request,
        "connections/audit_log.html",
        {
            "form": form,
            "page": page,
            "cursor_error": cursor_error,
            "names": audit_display.name_objects(page.rows),
            "summaries": {str(event.pk): audit_display.summary(event) for event in page.rows},
        },
        status=400 if cursor_error else 200,
    )


def csv_export(request, form: AuditFilterForm, events):
    """Every entry the filters match, streamed in chunks so a year of entries never sits in
    memory; the export itself goes on the trail first, with the filters it used."""
    audit.record(
        "audit.exported",
        None,
        actor=Actor.from_request(request),
        object_type="connections.auditevent",
        object_id="*",
        object_repr="the audit log",
        changes={"filters": form.described() if form.is_bound else {}},
    )
    rows = events.order_by("-created_at", "-id").iterator(chunk_size=2000)
    response = StreamingHttpResponse(
        csv_lines(CSV_COLUMNS, csv_rows(rows)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="patchbay-audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def csv_rows(events: Iterable[AuditEvent]) -> Iterator[list]:
    """The entries as CSV rows, named 500 at a time (naming looks their objects up)."""
    batch: list[AuditEvent] = []
    for event in events:
        batch.append(event)
        if len(batch) == 500:
            yield from _csv_batch(batch)
            batch = []
    yield from _csv_batch(batch)


def _csv_batch(events: list[AuditEvent]) -> Iterator[list]:
    names = audit_display.name_objects(events)
    for event in events:
        yield [
            event.created_at.isoformat(),
            safe_cell(event.actor_repr or "system"),
            safe_cell(event.action),
            safe_cell(audit_display.action_label(event.action)),
            safe_cell(event.object_type),
            safe_cell(event.object_id),
            safe_cell(names[str(event.pk)].name),
            safe_cell(event.customer.name if event.customer else ""),
            safe_cell(event.ip_address or ""),
            safe_cell(event.request_id),
            safe_cell(audit_display.summary(event)),
        ]
