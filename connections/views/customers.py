"""Customer pages. The connection overview and page live in monitoring/views/ (the dashboard)."""

from __future__ import annotations

from django.shortcuts import render

from connections.models import Customer
from connections.permissions import admin_required
from connections.tenancy import scoped


@admin_required
def customer_list(request):
    customers = scoped(Customer, request.user)
    return render(request, "connections/customer_list.html", {"customers": customers})
