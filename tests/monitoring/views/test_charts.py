"""Failure charts: per day per system and per customer over 30 days, top error codes, as SVG."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from connections.systems import System
from tests.factories import ConnectionFactory
from tests.monitoring.factories import ErrorLogFactory

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_cached_days():
    """Closed days are cached (they never change in production); each test starts afresh."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@time_machine.travel(NOW, tick=False)
def test_charts_count_failures_per_day_and_leave_rate_limiting_out(
    client_for, support_user, member_a, customer_a, customer_b
):
    fiix = ConnectionFactory(customer=customer_a, system=System.FIIX)
    sap = ConnectionFactory(customer=customer_b, system=System.SAP_S4HANA)
    for days_ago in (0, 0, 3):
        ErrorLogFactory(connection=fiix, error_code="SYSTEM_UNAVAILABLE", http_status=503,
                        created_at=NOW - timedelta(days=days_ago))  # fmt: skip
    ErrorLogFactory(connection=sap, error_code="INTERNAL_ERROR",
                    created_at=NOW - timedelta(days=1))  # fmt: skip
    ErrorLogFactory(connection=sap, error_code="RATE_LIMIT_EXCEEDED", http_status=429)
    ErrorLogFactory(connection=sap, created_at=NOW - timedelta(days=40))  # outside the 30 days

    body = client_for(support_user).get(reverse("failure_charts")).content.decode()
    assert 'aria-label="Fiix: 3 failures over 30 days, at most 2 in a day"' in body
    assert 'aria-label="SAP S/4HANA: 1 failures over 30 days, at most 1 in a day"' in body
    assert "Nov 20: 2 failures" in body and "Nov 17: 1 failure<" in body
    assert 'id="chart-customers"' in body and "Acme Manufacturing" in body
    assert "RATE_LIMIT_EXCEEDED" not in body
    assert body.index("SYSTEM_UNAVAILABLE") < body.index("INTERNAL_ERROR")  # top code first

    mine = client_for(member_a).get(reverse("failure_charts")).content.decode()
    assert "Fiix: 3 failures" in mine and "SAP S/4HANA" not in mine
    assert 'id="chart-customers"' not in mine and "Borealis" not in mine


@time_machine.travel(NOW, tick=False)
def test_charts_take_a_fixed_number_of_queries(
    client_for, support_user, customer_a, django_assert_max_num_queries
):
    for n in range(30):
        connection = ConnectionFactory(customer=customer_a, system=System.values[n % 10])
        ErrorLogFactory(connection=connection, created_at=NOW - timedelta(days=n))
    client = client_for(support_user)
    client.get(reverse("failure_charts"))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("failure_charts")).status_code == 200
