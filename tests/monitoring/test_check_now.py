"""Check now against the real sandbox: Retry-After is honoured, and clicks in a burst make one
upstream call."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from connections.models import AuditEvent
from monitoring import poller
from monitoring.models import ErrorLog, HealthCheck, PollSchedule
from tests.factories import linked_connection

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "check-now"}


@pytest.fixture
def eager_tasks():
    """The check runs in the request that queues it: the unit under test is the view."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def click(client, connection):
    return client.post(reverse("connection_check", args=[connection.pk]), **HX).content.decode()


def follow(client, body):
    url = body.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    return client.get(url, **HX).content.decode()


def test_a_rate_limited_connection_answers_until_when_without_calling_the_upstream(
    sandbox_server, eager_tasks, clock, client_for, support_user, customer_a
):
    connection = linked_connection(
        customer=customer_a, fault="rate_limited", retry_after_seconds=120
    )
    client = client_for(support_user)
    first = follow(client, click(client, connection))
    assert "Checked just now: Rate limited" in first
    until = timezone.now() + timedelta(seconds=120)
    assert PollSchedule.objects.get(connection=connection).backoff_until == until

    for seconds in (1, 30, 119):
        clock.move_to(until - timedelta(seconds=120 - seconds))
        body = click(client, connection)
        assert f"Rate limited until {until:%H:%M:%S} UTC" in body
        assert "hx-get" not in body, "nothing is queued, so nothing to wait for"

    assert HealthCheck.objects.filter(connection=connection).count() == 1
    assert ErrorLog.objects.filter(connection=connection).count() == 1
    clock.move_to(until + timedelta(seconds=1))
    assert "Checked just now" in follow(client, click(client, connection))
    assert HealthCheck.objects.filter(connection=connection).count() == 2


def test_clicks_within_a_few_seconds_make_one_upstream_call_and_show_its_result(
    sandbox_server, eager_tasks, clock, client_for, support_user, customer_a
):
    connection = linked_connection(customer=customer_a, fault="server_error")
    client = client_for(support_user)
    bodies = []
    for _ in range(3):
        bodies.append(click(client, connection))
        clock.shift(timedelta(seconds=1))

    assert HealthCheck.objects.filter(connection=connection).count() == 1
    assert AuditEvent.objects.filter(action="connection.check_requested").count() == 1
    for body in bodies:
        assert f"Checking {connection.display_name}" in body
        assert "Checked just now: Upstream error" in follow(client, body)

    clock.shift(poller.CHECK_NOW_COALESCE)
    click(client, connection)
    assert HealthCheck.objects.filter(connection=connection).count() == 2


def test_a_check_queued_before_the_upstream_asked_to_wait_says_so_while_pending(
    db, clock, client_for, support_user, connection_a
):
    since = timezone.now()
    until = since + timedelta(minutes=2)
    PollSchedule.objects.create(connection=connection_a, due_at=until, backoff_until=until)
    body = (
        client_for(support_user)
        .get(
            reverse("connection_check", args=[connection_a.pk]), {"since": since.isoformat()}, **HX
        )
        .content.decode()
    )
    assert f"Rate limited until {until:%H:%M:%S} UTC (2\xa0minutes from now)" in body


def test_the_check_task_calls_nobody_before_retry_after(sandbox_server):
    connection = linked_connection(fault="healthy")
    until = timezone.now() + timedelta(minutes=5)
    PollSchedule.objects.create(connection=connection, due_at=until, backoff_until=until)
    assert poller.poll_one(connection.pk) is None
    assert not HealthCheck.objects.exists()


def test_a_check_that_could_not_be_queued_can_be_clicked_again_at_once(
    db, client_for, support_user, connection_a, monkeypatch
):
    from monitoring import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.poll_connection_now, "delay", broker_down)
    client = client_for(support_user)
    assert "The check could not be queued (ConnectionRefusedError)" in click(client, connection_a)
    assert "The check could not be queued" in click(client, connection_a), "not joined"
