"""A connection's page: uptime strips, timeline, checks, errors, token metadata; Check now."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from connections.models import AuditEvent
from health.vocabulary import HealthStatus, Outcome
from monitoring.models import HealthCheck, Source
from tests.factories import ConnectionFactory, linked_connection
from tests.monitoring.factories import (
    ConnectionEventFactory,
    ErrorLogFactory,
    HealthCheckFactory,
)


def make_history(connection):
    now = timezone.now()
    for minutes in range(0, 180, 10):
        HealthCheckFactory(connection=connection, checked_at=now - timedelta(minutes=minutes))
    HealthCheckFactory(
        connection=connection,
        checked_at=now - timedelta(hours=3, minutes=5),
        outcome=Outcome.UPSTREAM_ERROR,
        status_after=HealthStatus.ERROR,
        http_status=500,
        error_code="INTERNAL_ERROR",
    )
    HealthCheckFactory(connection=connection, checked_at=now - timedelta(days=3))
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
    assert "Jun 15, 09:00–10:00 UTC: 3 checks: 2 OK, 1 failed; worst: Error" in body
    assert "Jun 15 (UTC day): 19 checks: 18 OK, 1 failed; worst: Error" in body
    assert "Jun 12 (UTC day): 1 checks: 1 OK, 0 failed; worst: Healthy" in body
    assert "Jun 15, 08:00–09:00 UTC: no checks" in body
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
    # 15, then the playbook's: the poll schedule, a live token, an incident, the notices.
    with django_assert_max_num_queries(19):
        client.get(reverse("connection_detail", args=[connection_a.pk]))


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
    HealthCheckFactory(connection=connection, checked_at=datetime(2026, 6, 6, 8, tzinfo=UTC),
                       outcome=Outcome.UPSTREAM_ERROR,
                       status_after=HealthStatus.ERROR)  # fmt: skip
    body = (
        client_for(support_user)
        .get(reverse("connection_detail", args=[connection.pk]))
        .content.decode()
    )
    from_events = "no checks kept, worst status from its status changes"
    assert f"Jun 4 (UTC day): {from_events}: Healthy" in body
    assert f"Jun 5 (UTC day): {from_events}: Degraded" in body
    assert "Jun 6 (UTC day): 1 checks: 0 OK, 1 failed; worst: Error" in body  # checks win
    assert f"Jun 7 (UTC day): {from_events}: Disconnected" in body
    assert f"Jun 8 (UTC day): {from_events}: Disconnected" in body  # entered the day disconnected
    assert f"Jun 9 (UTC day): {from_events}: Healthy" in body
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


@pytest.fixture
def eager_tasks():
    """Tasks run in the request that queues them: the unit under test is the view, not a worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_check_now_polls_and_swaps_in_the_result(
    sandbox_server, eager_tasks, client_for, support_user, customer_a
):
    connection = linked_connection(customer=customer_a, fault="server_error")
    client = client_for(support_user)
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "check-now"}
    pending = client.post(reverse("connection_check", args=[connection.pk]), **hx)
    body = pending.content.decode()
    assert f"Checking {connection.display_name}" in body and 'hx-trigger="load delay:1s"' in body
    poll_url = body.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    done = client.get(poll_url, **hx).content.decode()
    check = HealthCheck.objects.get(connection=connection)
    assert check.source == Source.CHECK_NOW
    assert "Checked just now: Upstream error <code>INTERNAL_ERROR</code> (HTTP 500)" in done
    assert check.request_id in done
    assert 'id="connection-status" class="status-line" hx-swap-oob="true"' in done
    assert AuditEvent.objects.filter(action="connection.check_requested").count() == 1


def test_check_now_for_another_customers_connection_is_404(
    client_for, member_a, connection_b, eager_tasks
):
    response = client_for(member_a).post(reverse("connection_check", args=[connection_b.pk]))
    assert response.status_code == 404
    assert not HealthCheck.objects.exists()


# The top of the page (issue 14): a playbook per outcome, the next check, the notices sent.


def record(connection, result, *, minutes_ago=0):
    from monitoring import transitions
    from monitoring.transitions import Observation

    at = timezone.now() - timedelta(minutes=minutes_ago)
    transitions.record(
        [Observation(connection.pk, result.outcome, at=at, result=result)], source=Source.POLL,
        now=at,
    )  # fmt: skip


def page_of(client, connection):
    return client.get(reverse("connection_detail", args=[connection.pk])).content.decode()


def test_a_rate_limited_only_connection_is_unknown_never_100_percent_ok(
    client_for, support_user, member_a, customer_a
):
    from tests.factories import ApiTokenFactory
    from upstream.protocol import StatusResult

    connection = ConnectionFactory(customer=customer_a, health_status=HealthStatus.UNKNOWN)
    ApiTokenFactory(connection=connection)
    limited = StatusResult(Outcome.RATE_LIMITED, http_status=429,
                           error_code="RATE_LIMIT_EXCEEDED", retry_after_seconds=600)  # fmt: skip
    for minutes in (30, 20, 1):
        record(connection, limited, minutes_ago=minutes)
    body = page_of(client_for(support_user), connection)
    assert "100" not in body.split('id="playbook"')[1].split("</section>")[0]
    assert "no conclusive check: 3 rate limited, health unknown" in body
    assert "% of" not in body.split('class="strips"')[1].split("</section>")[0]
    assert 'class="bar bar-rate_limited"' in body and 'class="bar bar-healthy"' not in body
    assert "Health unknown: every check so far was rate limited" in body
    assert "rate limited: next check after" in body
    mine = page_of(client_for(member_a), connection)
    assert "Nothing to do yet: we try again by ourselves." in mine


def test_the_page_says_when_the_next_check_is_or_why_there_is_none(
    client_for, support_user, customer_a
):
    from monitoring.models import PollSchedule
    from tests.factories import ApiTokenFactory

    connection = ConnectionFactory(customer=customer_a)
    client = client_for(support_user)
    assert "No check can succeed: this connection has no active API token" in page_of(
        client, connection
    )
    ApiTokenFactory(connection=connection)
    with time_machine.travel(datetime(2026, 6, 15, 12, 0, tzinfo=UTC), tick=False):
        PollSchedule.objects.create(connection=connection,
                                    due_at=datetime(2026, 6, 15, 12, 1, tzinfo=UTC))  # fmt: skip
        assert "next check <time" in page_of(client, connection)
        assert "2026-06-15 12:01 UTC" in page_of(client, connection)


def test_reauth_tells_support_who_was_told_when_and_lets_them_send_again(
    client_for, support_user, member_a, customer_a, django_capture_on_commit_callbacks
):
    from monitoring.models import Notification
    from upstream.protocol import StatusResult

    connection = ConnectionFactory(customer=customer_a, display_name="Acme SAP")
    with django_capture_on_commit_callbacks():  # the notices are queued, not delivered here
        record(connection, StatusResult(Outcome.REAUTH, http_status=401,
                                        error_code="AUTHENTICATION_FAILED"))  # fmt: skip
    Notification.objects.filter(channel="email").update(delivery="sent", sent_at=timezone.now())
    client = client_for(support_user)
    body = page_of(client, connection)
    assert "The customer must reconnect" in body
    assert "Last notice: reauthorization required by email to <code>ops@acme.example</code>" in (
        body
    )
    assert "✓ Delivered" in body
    with django_capture_on_commit_callbacks():
        answer = client.post(reverse("connection_notice_resend", args=[connection.pk]),
                             follow=True)  # fmt: skip
    assert "Notice sent again to ops@acme.example." in answer.content.decode()
    assert Notification.objects.filter(is_resend=True).count() == 1
    again = client.post(reverse("connection_notice_resend", args=[connection.pk]), follow=True)
    assert "less than two minutes ago" in again.content.decode()
    assert "sent again" in page_of(client, connection)
    assert AuditEvent.objects.filter(action="connection.notice_resent").count() == 1

    mine = page_of(client_for(member_a), connection)
    assert "Sign in to SAP S/4HANA again to reconnect" in mine
    assert "Send the notice again" not in mine and "Notices we sent you" in mine
    assert (
        client_for(member_a)
        .post(reverse("connection_notice_resend", args=[connection.pk]))
        .status_code
        == 404
    )


def test_permission_denied_names_the_permission(client_for, support_user, member_a, customer_a):
    import json

    from upstream.protocol import StatusResult

    connection = ConnectionFactory(customer=customer_a)
    body = json.dumps({"error": {"code": "PERMISSION_DENIED", "message": "Forbidden.",
                                 "details": {"permission": "work_orders:read"}}})  # fmt: skip
    record(connection, StatusResult(Outcome.PERMISSION, http_status=403,
                                    error_code="PERMISSION_DENIED", raw_body=body))  # fmt: skip
    assert "Permission denied: work_orders:read" in page_of(client_for(support_user), connection)
    assert "needs the permission “work_orders:read”" in page_of(client_for(member_a), connection)


def test_protocol_error_shows_what_came_back_and_unreachable_its_timeouts(
    client_for, support_user, customer_a, settings
):
    from upstream.protocol import StatusResult

    settings.HEALTH_ERROR_AFTER_FAILURES = 1
    garbled = ConnectionFactory(customer=customer_a)
    not_json = StatusResult(
        Outcome.PROTOCOL_ERROR,
        http_status=200,
        error_code="PROTOCOL_ERROR",
        message="The status answer is not JSON.",
        raw_body="<html><body>502 Bad Gateway</body></html>",
    )
    record(garbled, not_json)
    body = page_of(client_for(support_user), garbled)
    assert "Protocol error: PROTOCOL_ERROR" in body
    assert "&lt;html&gt;&lt;body&gt;502 Bad Gateway" in body

    down = ConnectionFactory(customer=customer_a)
    for minutes, code in ((3, "TIMEOUT"), (2, "TIMEOUT"), (1, "CONNECT_FAILED")):
        record(down, StatusResult(Outcome.UNREACHABLE, error_code=code, latency_ms=10_000),
               minutes_ago=minutes)  # fmt: skip
    body = page_of(client_for(support_user), down)
    assert "Unreachable: CONNECT_FAILED" in body
    assert "<dt>Timeouts</dt><dd>2 of the last 3 checks</dd>" in body
    assert "median 10000 ms, max 10000 ms" in body


def test_a_customer_in_error_is_told_support_is_on_it(client_for, member_a, customer_a, settings):
    from upstream.protocol import StatusResult

    settings.HEALTH_ERROR_AFTER_FAILURES = 1
    connection = ConnectionFactory(customer=customer_a)
    record(connection, StatusResult(Outcome.UPSTREAM_ERROR, http_status=503,
                                    error_code="SYSTEM_UNAVAILABLE"))  # fmt: skip
    body = page_of(client_for(member_a), connection)
    assert "Our support team sees this too and is on it" in body
    assert "is not answering properly" in body
