"""The issues queue's filters, count and page: what support works through, in the URL.

A filter value that is not valid (an unknown state, customer or assignee) is answered with a
message and no rows, never with every issue.
"""

from __future__ import annotations

from dataclasses import dataclass

import django_filters
from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from connections.models import Customer, Role, User
from connections.systems import System
from connections.tenancy import scoped
from monitoring.models import Incident, Issue, IssueState

PAGE_SIZE = 50
STATES = [
    ("unresolved", "Unresolved"),
    ("open", "Open"),
    ("acknowledged", "Acknowledged"),
    ("muted", "Muted"),
    ("resolved", "Resolved"),
    ("all", "All"),
]
SORTS = {
    "severity": [F("severity").desc(), "opened_at"],
    "age": ["opened_at", F("severity").desc()],
    "newest": [F("opened_at").desc()],
}


class IssueFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=STATES, method="by_state", empty_label=None, label="State"
    )
    customer = django_filters.ModelChoiceFilter(
        field_name="connection__customer",
        queryset=Customer.objects.none(),
        to_field_name="slug",
        empty_label="Any customer",
    )
    system = django_filters.ChoiceFilter(
        field_name="connection__system", choices=System.choices, empty_label="Any system"
    )
    assignee = django_filters.ChoiceFilter(
        method="by_assignee", empty_label="Anyone", label="Assignee"
    )
    incident = django_filters.ModelChoiceFilter(
        queryset=Incident.objects.none(), label="Incident", empty_label="Any"
    )
    sort = django_filters.ChoiceFilter(
        choices=[("severity", "Worst first"), ("age", "Oldest first"), ("newest", "Newest first")],
        method="by_nothing",
        empty_label=None,
        label="Sort",
    )

    class Meta:
        model = Issue
        fields: list[str] = []

    def __init__(self, data, *args, user, **kwargs):
        data = data.copy()
        data.setdefault("state", "unresolved")
        data.setdefault("sort", "severity")
        super().__init__(data, *args, **kwargs)
        self.user = user
        self.now = timezone.now()
        self.filters["customer"].queryset = scoped(Customer, user)
        self.filters["incident"].queryset = scoped(Incident, user)
        staff = User.objects.filter(role__in=[Role.ADMIN, Role.SUPPORT], is_active=True)
        self.filters["assignee"].extra["choices"] = [
            ("me", "Assigned to me"),
            ("nobody", "Nobody"),
            *[(name, name) for name in staff.order_by("username").values_list("username",
                                                                              flat=True)],
        ]  # fmt: skip

    def by_state(self, queryset, name, value):
        if value == "unresolved":
            return queryset.unresolved().not_muted(self.now)
        if value in (IssueState.OPEN, IssueState.ACKNOWLEDGED):
            return queryset.filter(state=value).not_muted(self.now)
        if value == "muted":
            return queryset.muted(self.now)
        if value == IssueState.RESOLVED:
            return queryset.filter(state=IssueState.RESOLVED)
        return queryset

    def by_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.user)
        if value == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)

    def by_nothing(self, queryset, name, value):
        return queryset  # applied as the order, below


@dataclass
class Queue:
    filterset: IssueFilter
    page: Page
    total: int
    invalid: bool

    @property
    def state(self) -> str:
        return self.filterset.form.cleaned_data.get("state") or "unresolved"


def queue(user, params) -> Queue:
    """What `user` sees of the issues queue for these query parameters."""
    issues = scoped(Issue.objects.for_queue(), user)
    filterset = IssueFilter(params, queryset=issues, user=user)
    invalid = not filterset.is_valid()
    rows: QuerySet = issues.none() if invalid else filterset.qs
    sort = filterset.form.cleaned_data.get("sort") or "severity"
    rows = rows.order_by(*SORTS[sort], "pk")
    paginator = Paginator(rows, PAGE_SIZE)
    return Queue(filterset, paginator.get_page(params.get("page")), paginator.count, invalid)


def open_incidents(user) -> list[Incident]:
    """The incidents at the top of the overview and the queue."""
    return list(scoped(Incident.objects.for_banner(), user)[:5])


def muted_count(user) -> int:
    return scoped(Issue, user).muted(timezone.now()).count()


def selected(user, ids) -> list[Issue]:
    """The issues a bulk action names, among those `user` may see."""
    wanted = [int(pk) for pk in ids if str(pk).isdigit() and len(str(pk)) < 19]
    return list(
        scoped(Issue.objects.select_related("connection__customer"), user).filter(Q(pk__in=wanted))
    )
