"""The audit page: admins read the append-only trail, filtered; nothing here writes to it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from connections.forms import AuditFilterForm
from connections.models import AuditEvent, Customer
from connections.permissions import admin_required
from connections.tenancy import scoped


@admin_required
def audit_log(request):
    customers = scoped(Customer, request.user)
    form = AuditFilterForm(request.GET or None, customers=customers)
    events = scoped(AuditEvent.objects.select_related("customer"), request.user)
    if form.is_valid():
        events = events.filtered(**form.cleaned_data)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "connections/audit_log.html", {"page": page, "form": form})
