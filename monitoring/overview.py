"""The overview's queries: filters that live in the URL, status tiles, and one page of rows.

Tiles count the connections the other filters leave (so a tile says what clicking it gives) and
the same counts size the paginator, so the page costs one grouped query plus one for its rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import django_filters
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from connections.models import Connection, Customer
from connections.systems import Environment, System
from connections.tenancy import scoped
from health.vocabulary import SEVERITY, HealthStatus, severity_rank
from monitoring.models import ErrorLog

PAGE_SIZE = 50


class ConnectionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        field_name="health_status", choices=HealthStatus.choices, empty_label="Any status"
    )
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.none(), to_field_name="slug", empty_label="Any customer"
    )
    system = django_filters.ChoiceFilter(choices=System.choices, empty_label="Any system")
    environment = django_filters.ChoiceFilter(
        choices=Environment.choices, empty_label="Any environment"
    )
    q = django_filters.CharFilter(method="search", label="Search", max_length=200)
    sort = django_filters.OrderingFilter(
        fields=(
            ("customer__name", "customer"),
            ("display_name", "name"),
            ("system", "system"),
            ("environment", "environment"),
            ("health_status", "status"),
            ("status_changed_at", "since"),
            ("last_checked_at", "checked"),
        ),
        empty_label="Worst first",
    )

    class Meta:
        model = Connection
        fields: list[str] = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_platform_staff:
            self.filters["customer"].queryset = scoped(Customer, user)
        else:
            del self.filters["customer"]
        search = self.form.fields["q"].widget
        search.input_type = "search"
        search.attrs["placeholder"] = "Name, upstream id or customer"

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(display_name__icontains=value)
            | Q(upstream_id__icontains=value)
            | Q(customer__name__icontains=value)
        )

    def filtered_except(self, *skipped: str) -> QuerySet:
        """The queryset with every valid filter applied but `skipped` (and no ordering)."""
        queryset = self.queryset
        for name, value in self.form.cleaned_data.items():
            if name not in skipped and name != "sort":
                queryset = self.filters[name].filter(queryset, value)
        return queryset


@dataclass(frozen=True)
class Tile:
    status: str
    label: str
    count: int
    selected: bool


@dataclass
class Overview:
    filterset: ConnectionFilter
    tiles: list[Tile]
    page: Page
    total: int

    @property
    def total_all(self) -> int:
        """Every connection the other filters leave, whatever its status (the "All" tile)."""
        return sum(tile.count for tile in self.tiles)


def overview(user, params) -> Overview:
    """What `user` sees of the overview for these query parameters."""
    connections = scoped(Connection.objects.with_customer(), user)
    filterset = ConnectionFilter(params, queryset=connections, user=user)
    valid = filterset.is_valid()  # an invalid value shows its message and no rows, never all
    counts = (
        dict(
            filterset.filtered_except("status")
            .order_by()
            .values_list("health_status")
            .annotate(n=Count("id"))
        )
        if valid
        else {}
    )
    selected = filterset.form.cleaned_data.get("status") or ""
    tiles = [
        Tile(status, label, counts.get(status, 0), status == selected)
        for status, label in sorted(HealthStatus.choices, key=lambda choice: -SEVERITY[choice[0]])
    ]
    total = counts.get(selected, 0) if selected else sum(counts.values())
    rows = filterset.qs if valid else connections.none()
    if not filterset.form.cleaned_data.get("sort"):
        rows = rows.order_by(severity_rank("health_status").desc(), "status_changed_at", "pk")
    else:
        rows = rows.order_by(*rows.query.order_by, "pk")
    rows = rows.annotate(
        last_error_code=last_error_code(), backoff_until=F("poll_schedule__backoff_until")
    )
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = total  # known from the tiles: no COUNT(*) of its own
    return Overview(filterset, tiles, paginator.get_page(params.get("page")), total)


def last_error_code() -> Subquery:
    return Subquery(
        ErrorLog.objects.filter(connection=OuterRef("pk"))
        .order_by("-created_at")
        .values("error_code")[:1]
    )
