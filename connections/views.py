"""Connections, customers and token metadata pages. Objects come only through tenancy helpers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from connections.models import Connection, Customer
from connections.permissions import admin_required
from connections.tenancy import get_scoped_or_404, scoped


@login_required
def home(request):
    """Everyone lands on the connections overview; what it holds depends on the role."""
    return connection_list(request)


@login_required
def connection_list(request):
    connections = scoped(Connection.objects.with_customer(), request.user)
    page = Paginator(connections, 50).get_page(request.GET.get("page"))
    return render(request, "connections/connection_list.html", {"page": page})


@login_required
def connection_detail(request, connection_id: int):
    connection = get_scoped_or_404(
        Connection.objects.with_customer(), request.user, pk=connection_id
    )
    return render(request, "connections/connection_detail.html", {"connection": connection})


@admin_required
def customer_list(request):
    customers = scoped(Customer, request.user)
    return render(request, "connections/customer_list.html", {"customers": customers})
