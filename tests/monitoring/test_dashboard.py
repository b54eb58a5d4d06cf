"""The overview and the connection page per role: what each sees, filters, partials, queries."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from connections.models import AuditEvent
from connections.systems import Environment, System
from health.vocabulary import HealthStatus, Outcome
from monitoring import issues
from monitoring.models import Issue, IssueState
from tests.factories import ConnectionFactory
from tests.monitoring.factories import (
    ConnectionEventFactory,
    ErrorLogFactory,
    check_row,
    write_checks,
)

HTMX_TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "connection-table"}


def rows_of(body: str) -> int:
    return body.count('<tr id="connection-')


@pytest.fixture
def fleet(customer_a, customer_b):
    """Connections of two customers in every state the tiles count."""
    return {
        "healthy": ConnectionFactory(customer=customer_a, display_name="Acme Fiix plant"),
        "error": ConnectionFactory(
            customer=customer_a,
            display_name="Acme SAP line 2",
            health_status=HealthStatus.ERROR,
            system=System.SAP_ECC,
        ),
        "reauth": ConnectionFactory(
            customer=customer_b,
            display_name="Borealis Maximo",
            health_status=HealthStatus.REAUTH_REQUIRED,
            environment=Environment.SANDBOX,
        ),
    }


def test_support_overview_counts_every_status_and_lists_every_customer(
    client_for, support_user, fleet
):
    body = client_for(support_user).get(reverse("home")).content.decode()
    assert "All connections" in body
    assert 'data-status="error"' in body and 'data-status="reauth_required"' in body
    for connection in fleet.values():
        assert connection.display_name in body
    assert '<span class="tile-count">3</span>' in body  # the "All" tile


def test_a_tile_filters_by_status_and_keeps_the_other_filters(client_for, support_user, fleet):
    client = client_for(support_user)
    body = client.get(reverse("home"), {"status": "error", "system": "sap_ecc"}).content.decode()
    assert "Acme SAP line 2" in body
    assert "Acme Fiix plant" not in body and "Borealis Maximo" not in body
    assert "status=reauth_required&amp;system=sap_ecc" in body or (
        "system=sap_ecc&amp;status=reauth_required" in body
    )


def test_free_text_customer_and_environment_filters(client_for, support_user, fleet, customer_b):
    client = client_for(support_user)
    by_customer = client.get(reverse("home"), {"customer": customer_b.slug}).content.decode()
    assert "Borealis Maximo" in by_customer and "Acme SAP line 2" not in by_customer
    by_text = client.get(reverse("home"), {"q": "fiix"}).content.decode()
    assert "Acme Fiix plant" in by_text and "Acme SAP line 2" not in by_text
    by_env = client.get(reverse("home"), {"environment": "sandbox"}).content.decode()
    assert "Borealis Maximo" in by_env and "Acme Fiix plant" not in by_env


def test_bad_filter_input_says_what_is_wrong(client_for, support_user, fleet):
    body = client_for(support_user).get(reverse("home"), {"status": "on_fire"}).content.decode()
    assert "Select a valid choice" in body
    assert "on_fire is not one of the available choices" in body


def test_sorting_by_name_both_ways(client_for, support_user, fleet):
    client = client_for(support_user)
    ascending = client.get(reverse("home"), {"sort": "name"}).content.decode()
    descending = client.get(reverse("home"), {"sort": "-name"}).content.decode()
    assert ascending.index("Acme Fiix plant") < ascending.index("Borealis Maximo")
    assert descending.index("Borealis Maximo") < descending.index("Acme Fiix plant")


def test_default_order_puts_the_worst_first(client_for, support_user, fleet):
    body = client_for(support_user).get(reverse("home")).content.decode()
    assert (
        body.index("Acme SAP line 2")
        < body.index("Borealis Maximo")
        < body.index("Acme Fiix plant")
    )


def test_pagination_keeps_filters_and_shows_the_rest(client_for, support_user, customer_a):
    ConnectionFactory.create_batch(55, customer=customer_a, system=System.FIIX)
    ConnectionFactory(customer=customer_a, system=System.NETSUITE, display_name="Other system")
    client = client_for(support_user)
    first = client.get(reverse("home"), {"system": "fiix"}).content.decode()
    assert rows_of(first) == 50 and "Page 1 of 2" in first
    assert "system=fiix&amp;page=2" in first
    second = client.get(reverse("home"), {"system": "fiix", "page": 2}).content.decode()
    assert rows_of(second) == 5 and "Other system" not in second


def test_htmx_refresh_answers_the_table_and_the_tiles_only(client_for, support_user, fleet):
    response = client_for(support_user).get(reverse("home"), {"status": "error"}, **HTMX_TABLE)
    body = response.content.decode()
    assert "<html" not in body and 'id="connection-table"' in body
    assert 'id="status-tiles" aria-label="Connections by status" hx-swap-oob="true"' in body
    assert "Acme SAP line 2" in body and "Acme Fiix plant" not in body
    # The refreshed table polls the same filtered URL again, only while the tab is visible.
    assert 'hx-get="/?status=error"' in body
    assert "every 10s [document.visibilityState === 'visible']" in body
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(client_for, support_user, fleet):
    body = (
        client_for(support_user)
        .get(reverse("home"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX_TABLE)
        .content.decode()
    )
    assert "<html" in body


def test_member_sees_only_their_customer_and_no_customer_filter(
    client_for, member_a, fleet, customer_b
):
    body = client_for(member_a).get(reverse("home")).content.decode()
    assert "Your connections" in body
    assert "Acme SAP line 2" in body and "Borealis Maximo" not in body
    assert customer_b.name not in body and 'name="customer"' not in body
    tried = client_for(member_a).get(reverse("home"), {"customer": customer_b.slug})
    assert "Borealis Maximo" not in tried.content.decode()


def test_last_error_code_is_the_newest_error(client_for, support_user, fleet):
    connection = fleet["error"]
    ErrorLogFactory(connection=connection, error_code="OLD_CODE",
                    created_at=timezone.now() - timedelta(hours=2))  # fmt: skip
    ErrorLogFactory(connection=connection, error_code="SYSTEM_UNAVAILABLE")
    body = client_for(support_user).get(reverse("home")).content.decode()
    assert "<code>SYSTEM_UNAVAILABLE</code>" in body and "OLD_CODE" not in body


@pytest.mark.parametrize("size", [5, 60])
def test_overview_queries_stay_constant(
    client_for, support_user, customer_a, size, django_assert_max_num_queries
):
    for connection in ConnectionFactory.create_batch(size, customer=customer_a):
        ErrorLogFactory(connection=connection)
    client = client_for(support_user)
    with django_assert_max_num_queries(5):
        client.get(reverse("home"), {"q": "Plant", "sort": "-since"})
    with django_assert_max_num_queries(5):
        client.get(reverse("home"), **HTMX_TABLE)


def test_member_overview_queries_stay_constant(
    client_for, member_a, customer_a, django_assert_max_num_queries
):
    ConnectionFactory.create_batch(30, customer=customer_a, health_status="reauth_required")
    client = client_for(member_a)
    with django_assert_max_num_queries(7):
        body = client.get(reverse("home")).content.decode()
    assert body.count("needs you to sign in") == 5  # the banner names the first five


def make_history(connection):
    now = timezone.now()
    rows = [check_row(connection, now - timedelta(minutes=m)) for m in range(0, 180, 10)]
    rows.append(
        check_row(
            connection,
            now - timedelta(hours=3, minutes=5),
            outcome=Outcome.UPSTREAM_ERROR,
            status_after=HealthStatus.ERROR,
            http_status=500,
            error_code="INTERNAL_ERROR",
        )
    )
    rows.append(check_row(connection, now - timedelta(days=3)))
    write_checks(rows)
    ConnectionEventFactory(connection=connection, created_at=now - timedelta(hours=3, minutes=5))
    ConnectionEventFactory(
        connection=connection,
        from_status=HealthStatus.ERROR,
        to_status=HealthStatus.HEALTHY,
        reason="OK",
        created_at=now - timedelta(hours=2, minutes=55),
    )
    ErrorLogFactory(connection=connection, request_id="req_detail_error_1")


@time_machine.travel(datetime(2026, 6, 15, 12, 30, tzinfo=UTC), tick=False)
def test_detail_draws_uptime_strips_timeline_checks_and_errors(
    client_for, support_user, connection_a
):
    make_history(connection_a)  # checks every 10 min since 09:40, one failure at 09:25
    body = (
        client_for(support_user)
        .get(reverse("connection_detail", args=[connection_a.pk]))
        .content.decode()
    )
    assert body.count('<svg role="img"') == 2
    assert body.count('class="bar ') == 24 + 30
    assert body.count('class="bar bar-error"') == 2  # the failed hour, and its day
    assert "Jun 15, 09:00–09:59 UTC: 3 checks, 1 failed, worst: Error" in body
    assert "Jun 15 UTC: 19 checks, 1 failed, worst: Error" in body
    assert "Jun 12 UTC: 1 checks, 0 failed, worst: Healthy" in body
    assert "Jun 15, 08:00–08:59 UTC: no checks" in body
    assert body.count('class="bar bar-none"') == (24 - 4) + (30 - 2)
    assert "req_detail_error_1" in body
    assert "Upstream error: INTERNAL_ERROR" in body
    assert "Check now" in body


def test_detail_shows_token_metadata_to_staff_and_never_to_members(
    client_for, support_user, member_a, connection_a
):
    from tests.factories import ApiTokenFactory

    token = ApiTokenFactory(connection=connection_a, label="primary-key")
    staff_body = (
        client_for(support_user)
        .get(reverse("connection_detail", args=[connection_a.pk]))
        .content.decode()
    )
    assert f"…{token.last4}" in staff_body and "primary-key" in staff_body
    member_body = (
        client_for(member_a)
        .get(reverse("connection_detail", args=[connection_a.pk]))
        .content.decode()
    )
    assert "primary-key" not in member_body and "Acknowledge" not in member_body


@pytest.mark.parametrize("days", [1, 20])
def test_detail_queries_stay_constant(
    client_for, support_user, connection_a, days, django_assert_max_num_queries
):
    for day in range(days):
        make_history(connection_a)
        ConnectionEventFactory(connection=connection_a,
                               created_at=timezone.now() - timedelta(days=day))  # fmt: skip
    client = client_for(support_user)
    client.get(reverse("connection_detail", args=[connection_a.pk]))  # issues caught up
    with django_assert_max_num_queries(15):
        client.get(reverse("connection_detail", args=[connection_a.pk]))


def open_issue(connection):
    issues.record([ConnectionEventFactory(connection=connection, to_status=HealthStatus.ERROR)])
    return Issue.objects.get(connection=connection)


def test_support_acknowledges_assigns_and_notes_with_htmx_and_audit(
    client_for, support_user, connection_a
):
    issue = open_issue(connection_a)
    client = client_for(support_user)
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "issue-panel"}
    body = client.post(reverse("issue_acknowledge", args=[issue.pk]), **hx).content.decode()
    assert "Acknowledged" in body and "acknowledged by sam-support" in body
    body = client.post(reverse("issue_assign", args=[issue.pk]), **hx).content.decode()
    assert "assignee: <strong>sam-support</strong>" in body
    body = client.post(
        reverse("issue_note", args=[issue.pk]), {"body": "Called Acme's IT"}, **hx
    ).content.decode()
    assert "Called Acme&#x27;s IT" in body
    issue.refresh_from_db()
    assert issue.state == IssueState.ACKNOWLEDGED and issue.assignee == support_user
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"issue.acknowledged", "issue.assigned", "issue.noted"} <= actions


def test_an_empty_note_and_a_second_acknowledge_are_refused_clearly(
    client_for, support_user, connection_a
):
    issue = open_issue(connection_a)
    client = client_for(support_user)
    hx = {"HTTP_HX_REQUEST": "true"}
    body = client.post(reverse("issue_note", args=[issue.pk]), {"body": " "}, **hx)
    assert "Write a note of at most 2000 characters." in body.content.decode()
    client.post(reverse("issue_acknowledge", args=[issue.pk]))
    again = client.post(reverse("issue_acknowledge", args=[issue.pk]), follow=True)
    assert "This issue is already acknowledged." in again.content.decode()


def test_actions_need_csrf(support_user, connection_a):
    from django.test import Client

    issue = open_issue(connection_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(support_user)
    assert client.post(reverse("issue_acknowledge", args=[issue.pk])).status_code == 403
    assert client.post(reverse("connection_check", args=[connection_a.pk])).status_code == 403
    issue.refresh_from_db()
    assert issue.state == IssueState.OPEN


def test_members_cannot_act_on_issues(client_for, member_a, connection_a):
    issue = open_issue(connection_a)
    response = client_for(member_a).post(reverse("issue_acknowledge", args=[issue.pk]))
    assert response.status_code == 404
    issue.refresh_from_db()
    assert issue.state == IssueState.OPEN


def test_the_reauth_banner_names_only_the_members_own_connections(
    client_for, member_a, member_b, customer_a, customer_b
):
    mine = ConnectionFactory(customer=customer_a, health_status=HealthStatus.REAUTH_REQUIRED,
                             display_name="Acme Limble")  # fmt: skip
    theirs = ConnectionFactory(customer=customer_b, health_status=HealthStatus.REAUTH_REQUIRED,
                               display_name="Borealis UpKeep")  # fmt: skip
    for url in [reverse("home"), reverse("error_list"), reverse("request_search")]:
        body = client_for(member_a).get(url).content.decode()
        assert "<strong>Acme Limble</strong> needs you to sign in" in body, url
        assert theirs.display_name not in body, url
        assert reverse("connection_reconnect", args=[mine.pk]) in body, url


def test_staff_get_no_banner_and_a_healthy_customer_none_either(
    client_for, support_user, member_a, customer_b
):
    ConnectionFactory(customer=customer_b, health_status=HealthStatus.REAUTH_REQUIRED)
    assert (
        'id="reauth-banner"' not in client_for(support_user).get(reverse("home")).content.decode()
    )
    assert 'id="reauth-banner"' not in client_for(member_a).get(reverse("home")).content.decode()


@time_machine.travel(datetime(2026, 6, 30, 12, 0, tzinfo=UTC), tick=False)
def test_days_past_check_retention_take_their_colour_from_status_changes(
    client_for, support_user, customer_a
):
    connection = ConnectionFactory(customer=customer_a,
                                   created_at=datetime(2026, 5, 1, tzinfo=UTC))  # fmt: skip
    ConnectionEventFactory(connection=connection, from_status=HealthStatus.HEALTHY,
                           to_status=HealthStatus.DEGRADED,
                           created_at=datetime(2026, 6, 5, 10, tzinfo=UTC))  # fmt: skip
    ConnectionEventFactory(connection=connection, from_status=HealthStatus.DEGRADED,
                           to_status=HealthStatus.DISCONNECTED,
                           created_at=datetime(2026, 6, 7, 10, tzinfo=UTC))  # fmt: skip
    ConnectionEventFactory(connection=connection, from_status=HealthStatus.DISCONNECTED,
                           to_status=HealthStatus.HEALTHY,
                           created_at=datetime(2026, 6, 8, 9, tzinfo=UTC))  # fmt: skip
    write_checks([check_row(connection, datetime(2026, 6, 6, 8, tzinfo=UTC),
                            outcome=Outcome.UPSTREAM_ERROR,
                            status_after=HealthStatus.ERROR)])  # fmt: skip
    body = (
        client_for(support_user)
        .get(reverse("connection_detail", args=[connection.pk]))
        .content.decode()
    )
    from_events = "no checks kept, worst status from its status changes"
    assert f"Jun 4 UTC: {from_events}: Healthy" in body
    assert f"Jun 5 UTC: {from_events}: Degraded" in body
    assert "Jun 6 UTC: 1 checks, 1 failed, worst: Error" in body  # checks win where kept
    assert f"Jun 7 UTC: {from_events}: Disconnected" in body
    assert f"Jun 8 UTC: {from_events}: Disconnected" in body  # entered the day disconnected
    assert f"Jun 9 UTC: {from_events}: Healthy" in body
    assert body.count('class="bar bar-disconnected from-events"') == 2


def test_check_now_stops_waiting_after_thirty_seconds(client_for, support_user, connection_a):
    client = client_for(support_user)
    url = reverse("connection_check", args=[connection_a.pk])
    recent = (timezone.now() - timedelta(seconds=5)).isoformat()
    waiting = client.get(url, {"since": recent}, HTTP_HX_REQUEST="true").content.decode()
    assert "Checking Acme SAP production…" in waiting and "load delay:1s" in waiting
    stale = (timezone.now() - timedelta(seconds=31)).isoformat()
    late = client.get(url, {"since": stale}, HTTP_HX_REQUEST="true").content.decode()
    assert "No result after 30 seconds" in late and "hx-trigger" not in late


def test_the_reconnect_link_in_a_notice_asks_before_leaving(client_for, member_a, connection_a):
    body = (
        client_for(member_a)
        .get(reverse("connection_reconnect", args=[connection_a.pk]))
        .content.decode()
    )
    assert "Reconnect Acme SAP production" in body
    assert "Continue to sign in" in body and 'method="post"' in body
