"""The error log as support reads it: filters, keyset pages, CSV, and finding a request id.

Keyset pagination (newest first on (created_at, id), the `errorlog_newest_first` index) costs
the same on page 500 as on page 1, where OFFSET would read and throw away every row before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse

from connections.models import AuditEvent, Connection, Customer
from connections.spreadsheets import safe_cell
from connections.tenancy import scoped
from monitoring.models import ConnectionEvent, ErrorLog, HealthCheck, Source

PAGE_SIZE = 50
REQUEST_ID_MAX = 64
NEAREST_MIN_SHARED = 6
MANY_CONNECTIONS = 500


class IntegerFilter(django_filters.NumberFilter):
    """A whole number in a range: "abc" or 10**100 is a message, never a database error."""

    field_class = forms.IntegerField


class ErrorLogFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(
        field_name="error_code", lookup_expr="istartswith", label="Code", max_length=64
    )
    type = django_filters.CharFilter(field_name="error_type", label="Type", max_length=64)
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.none(), to_field_name="slug", empty_label="Any customer"
    )
    connection = django_filters.CharFilter(
        method="by_connection",
        label="Connection",
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": "Name or upstream id", "list": "connection-suggestions",
                   "autocomplete": "off"}
        ),
    )  # fmt: skip
    http_status = IntegerFilter(
        min_value=100,
        max_value=599,
        label="HTTP status",
        widget=forms.NumberInput(attrs={"placeholder": "HTTP", "min": 100, "max": 599}),
    )
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any source")
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        label="From",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        label="Until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    class Meta:
        model = ErrorLog
        fields: list[str] = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections = scoped(Connection, user)
        if user.is_platform_staff:
            self.filters["customer"].queryset = scoped(Customer, user)
        else:
            del self.filters["customer"]
        self.form.fields["code"].widget.attrs["placeholder"] = "Error code (start)"
        self.form.fields["type"].widget.attrs["placeholder"] = "Error type"
        self.form.clean_connection = self._clean_connection
        self.form.fields["connection"].widget.attrs.update(
            {
                "hx-get": reverse("connection_suggestions"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#connection-suggestions",
                "hx-swap": "innerHTML",
                "hx-push-url": "false",
            }
        )

    def _clean_connection(self) -> str:
        """A name (part of one) or an upstream id of one of the reader's connections."""
        typed = self.form.cleaned_data.get("connection", "").strip()
        if typed and not self._matching(typed).exists():
            raise forms.ValidationError(
                f"None of your connections is named like “{typed}” or has that upstream id."
            )
        return typed

    def _matching(self, typed: str) -> QuerySet:
        return self.connections.filter(Q(display_name__icontains=typed) | Q(upstream_id=typed))

    def by_connection(self, queryset, name, value):
        """An exact name or upstream id picks that connection, else every name holding it.

        The ids are fetched first: as a list, PostgreSQL walks each connection's own index for
        its newest errors, where a subquery had it scan the whole log newest first.
        """
        exact = self.connections.filter(Q(upstream_id=value) | Q(display_name__iexact=value))
        chosen = exact if exact.exists() else self._matching(value)
        ids = list(chosen.order_by().values_list("pk", flat=True)[: MANY_CONNECTIONS + 1])
        if len(ids) > MANY_CONNECTIONS:  # most of the log matches anyway
            return queryset.filter(connection__in=chosen.values("pk"))
        return queryset.filter(connection_id__in=ids)


def filtered_errors(user, params) -> tuple[ErrorLogFilter, QuerySet]:
    """The filtered error log, newest first; nothing at all when a filter value is invalid."""
    errors = scoped(ErrorLog.objects.with_connection(), user)
    filterset = ErrorLogFilter(params, queryset=errors, user=user)
    if not filterset.is_valid():
        return filterset, errors.none()
    return filterset, filterset.qs.newest_first()


CSV_COLUMNS = [
    "time",
    "customer",
    "connection",
    "upstream_id",
    "source",
    "http_status",
    "code",
    "type",
    "message",
    "request_id",
]


def csv_rows(errors: Iterable[ErrorLog]) -> Iterator[list]:
    for error in errors:
        yield [
            error.created_at.isoformat(),
            safe_cell(error.customer.name if error.customer else ""),
            safe_cell(error.connection.display_name if error.connection else ""),
            safe_cell(error.connection.upstream_id if error.connection else ""),
            error.source,
            error.http_status or "",
            safe_cell(error.error_code),
            safe_cell(error.error_type),
            safe_cell(error.message),
            safe_cell(error.request_id),
        ]


@dataclass
class RequestLookup:
    """What a pasted request id found: its errors, else the transitions it caused, else the
    request ids nearest to it by prefix."""

    request_id: str
    invalid: str = ""
    errors: list[ErrorLog] = field(default_factory=list)
    events: list[ConnectionEvent] = field(default_factory=list)
    audit_events: list[AuditEvent] = field(default_factory=list)
    nearest: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.errors or self.events or self.audit_events)


def find_request(user, raw: str) -> RequestLookup:
    request_id = raw.strip()
    lookup = RequestLookup(request_id)
    if not request_id:
        return lookup
    if len(request_id) > REQUEST_ID_MAX or any(char.isspace() for char in request_id):
        lookup.invalid = (
            f"That does not look like a request id: one word of at most {REQUEST_ID_MAX} "
            "characters, such as req_3f9a…"
        )
        return lookup
    errors = scoped(ErrorLog.objects.with_connection(), user)
    lookup.errors = list(errors.with_request_id(request_id).newest_first()[:20])
    if user.is_platform_admin:
        # Patchbay's own request ids (pb_…) are on the audit trail, which admins read.
        lookup.audit_events = list(
            scoped(AuditEvent.objects.select_related("customer"), user)
            .filter(request_id=request_id)
            .order_by("-created_at")[:20]
        )
    if not lookup.errors:
        lookup.events = list(
            scoped(ConnectionEvent.objects.select_related("connection__customer"), user)
            .filter(request_id=request_id)
            .order_by("-created_at")[:20]
        )
    if not lookup.found:
        lookup.nearest = nearest_request_ids(errors, request_id)
    return lookup


def nearest_request_ids(errors: QuerySet, request_id: str, limit: int = 5) -> list[str]:
    """The ids sharing the longest prefix with `request_id`: its neighbours in index order."""
    ids = errors.exclude(request_id="").order_by()
    below = ids.filter(request_id__lt=request_id).order_by("-request_id")
    above = ids.filter(request_id__gt=request_id).order_by("request_id")
    candidates = {
        *below.values_list("request_id", flat=True)[: limit * 2],
        *above.values_list("request_id", flat=True)[: limit * 2],
    }
    shared = {candidate: _shared_prefix(candidate, request_id) for candidate in candidates}
    close = [c for c in candidates if shared[c] >= min(NEAREST_MIN_SHARED, len(request_id))]
    return sorted(close, key=lambda c: (-shared[c], c))[:limit]


def _shared_prefix(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


@dataclass
class ErrorContext:
    """What happened to the error's connection just before and after it."""

    events: list[ConnectionEvent]
    checks: list[HealthCheck]


def context_of(error: ErrorLog, user, around: int = 5) -> ErrorContext:
    if error.connection_id is None:
        return ErrorContext([], [])
    events = scoped(ConnectionEvent, user).filter(connection_id=error.connection_id)
    checks = scoped(HealthCheck, user).filter(connection_id=error.connection_id)
    moment = error.created_at
    return ErrorContext(
        events=_around(events, "created_at", moment, around),
        checks=_around(checks, "checked_at", moment, around),
    )


def _around(queryset: QuerySet, field_name: str, moment: datetime, count: int) -> list:
    """`count` rows after `moment` and `count` at or before it, newest first."""
    after = queryset.filter(**{f"{field_name}__gt": moment}).order_by(field_name)[:count]
    before = queryset.filter(**{f"{field_name}__lte": moment}).order_by(f"-{field_name}")[:count]
    return [*reversed(list(after)), *before]
