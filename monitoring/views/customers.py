"""A customer's health, for support: connections, failing now, share of checks OK, charts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from connections.models import Connection, Customer
from connections.permissions import staff_required
from connections.tenancy import get_scoped_or_404, scoped
from health.vocabulary import SEVERITY, severity_rank
from monitoring import chart_data, charts, issue_queue
from monitoring.models import Issue


@staff_required
def customer_health(request, customer_slug: str):
    user = request.user
    customer = get_scoped_or_404(Customer, user, slug=customer_slug)
    connections = list(
        scoped(Connection, user)
        .filter(customer=customer)
        .order_by(severity_rank("health_status").desc(), "display_name")
    )
    since = timezone.now() - timedelta(days=chart_data.DAYS)
    shares = chart_data.check_shares([c.pk for c in connections], since=since)
    overall = chart_data.CheckShare(
        sum(s.ok for s in shares.values()),
        sum(s.failed for s in shares.values()),
        sum(s.rate_limited for s in shares.values()),
    )
    rows = [(c, shares.get(c.pk, chart_data.CheckShare())) for c in connections]
    breakdown = chart_data.failures_by_system_and_code(user, customer=customer)
    context = {
        "customer": customer,
        "rows": rows,
        "failing": [c for c in connections if SEVERITY[c.health_status] > 0],
        "overall": overall,
        "retention_days": settings.ROLLUP_RETENTION_DAYS,
        "open_issues": scoped(Issue, user)
        .filter(connection__customer=customer)
        .unresolved()
        .count(),
        "incidents": [
            incident
            for incident in issue_queue.open_incidents(user)
            if incident.customer_id in (None, customer.pk)
        ],
        "system_rows": charts.daily_rows(breakdown.by_system),
        "code_bars": charts.code_bars(breakdown.top_codes),
        "days": chart_data.DAYS,
    }
    return render(request, "monitoring/customer_health.html", context)
