"""What draws history reads rollups: the strips, the charts' queries and the overview never send a
query to the raw health-check table, whatever history it holds."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from health.vocabulary import HealthStatus, Outcome
from monitoring import rollups, uptime
from monitoring.models import HealthCheck
from tests.factories import ConnectionFactory
from tests.monitoring.factories import ErrorLogFactory, check_row, write_checks

RAW = HealthCheck._meta.db_table


def reading_raw_checks(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if RAW in query["sql"]]


NOW = datetime(2026, 6, 15, 23, 0, tzinfo=UTC)


@pytest.fixture
def history(customer_a):
    """Three connections with twenty hours of checks each (of one day), failures and a rate
    limit among them."""
    with time_machine.travel(NOW, tick=False):
        fleet = ConnectionFactory.create_batch(3, customer=customer_a)
        rows = []
        for connection_ in fleet:
            for minutes in range(0, 20 * 60, 30):
                failed = minutes % 180 == 0
                rows.append(
                    check_row(
                        connection_,
                        NOW - timedelta(minutes=minutes),
                        outcome=Outcome.UPSTREAM_ERROR if failed else Outcome.OK,
                        status_after=HealthStatus.DEGRADED if failed else HealthStatus.HEALTHY,
                        error_code="SYSTEM_UNAVAILABLE" if failed else "",
                    )
                )
            rows.append(check_row(connection_, NOW, outcome=Outcome.RATE_LIMITED))
            ErrorLogFactory(connection=connection_)
        write_checks(rows)
        yield fleet


def test_strips_and_chart_queries_read_rollups_only(history, support_user, member_a):
    with CaptureQueriesContext(connection) as captured:
        strips = [uptime.strip(history[0], "hour", 24), uptime.strip(history[0], "day", 30)]
        for user in (support_user, member_a):
            rollups.failures_per_day_by_system(user)
            rollups.failures_per_day(user, customer=history[0].customer)
            rollups.top_error_codes(user)
        rollups.connection_buckets(history[1], "hour", 24 * 7)
    assert captured.captured_queries and reading_raw_checks(captured) == []
    for strip in strips:  # rate limited is a check, not a failure
        assert sum(bar.checks for bar in strip.bars) == 40 + 1
        assert sum(bar.failed for bar in strip.bars) == 7
        assert sum(bar.rate_limited for bar in strip.bars) == 1


@pytest.mark.parametrize("persona", ["support_user", "member_a"])
def test_the_overview_reads_no_raw_checks(history, client_for, persona, request):
    client = client_for(request.getfixturevalue(persona))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("home"))
        table = client.get(
            reverse("home"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="connection-table"
        )
    assert page.status_code == table.status_code == 200
    assert history[0].display_name in page.content.decode()
    assert reading_raw_checks(captured) == []


def test_the_connection_page_draws_its_strips_from_rollups(history, client_for, support_user):
    """Its only read of raw checks is the list of the latest ten, newest first."""
    with CaptureQueriesContext(connection) as captured:
        body = (
            client_for(support_user)
            .get(reverse("connection_detail", args=[history[0].pk]))
            .content.decode()
        )
    assert body.count('<svg role="img"') == 2
    assert "41 checks: 33 OK, 7 failed, 1 rate limited" in body
    raw = reading_raw_checks(captured)
    assert len(raw) == 1 and "LIMIT 10" in raw[0] and "ORDER BY" in raw[0]
