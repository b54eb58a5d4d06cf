"""Failure charts: failures per day per system and per customer over 30 days, top error codes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from monitoring import chart_data, charts


@login_required
def failure_charts(request):
    """Everyone sees their own; only staff see the per-customer chart (it names customers)."""
    user = request.user
    breakdown = chart_data.failures_by_system_and_code(user)
    context = {
        "system_rows": charts.daily_rows(breakdown.by_system),
        "customer_rows": (
            charts.daily_rows(chart_data.failures_per_day_by_customer(user))
            if user.is_platform_staff
            else []
        ),
        "code_bars": charts.code_bars(breakdown.top_codes),
        "days": chart_data.DAYS,
    }
    return render(request, "monitoring/charts.html", context)
