"""The issues queue and support's actions on an issue: acknowledge, assign, notes."""

import pytest
from django.urls import reverse

from connections.models import AuditEvent
from health.vocabulary import HealthStatus
from monitoring import issues
from monitoring.models import Issue, IssueState
from tests.factories import ConnectionFactory
from tests.monitoring.factories import (
    ConnectionEventFactory,
    record_transition,
)


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


H, D, E, R = (
    HealthStatus.HEALTHY,
    HealthStatus.DEGRADED,
    HealthStatus.ERROR,
    HealthStatus.REAUTH_REQUIRED,
)


def test_queue_sorts_by_severity_then_age_or_by_age(client_for, support_user, customer_a):
    old_degraded = ConnectionFactory(customer=customer_a, display_name="Old degraded")
    new_error = ConnectionFactory(customer=customer_a, display_name="New error")
    old_error = ConnectionFactory(customer=customer_a, display_name="Old error")
    record_transition(old_degraded, H, D, 300)
    record_transition(new_error, H, E, 10)
    record_transition(old_error, H, E, 200)
    client = client_for(support_user)
    body = client.get(reverse("issue_list")).content.decode()
    assert body.index("Old error") < body.index("New error") < body.index("Old degraded")
    by_age = client.get(reverse("issue_list"), {"sort": "age"}).content.decode()
    assert by_age.index("Old degraded") < by_age.index("Old error") < by_age.index("New error")


def test_queue_states_and_mine(client_for, support_user, customer_a, settings):
    settings.ISSUE_RESOLVE_AFTER_MINUTES = 0
    mine = ConnectionFactory(customer=customer_a, display_name="Assigned one")
    healed = ConnectionFactory(customer=customer_a, display_name="Healed one")
    record_transition(mine, H, E, 50)
    record_transition(healed, H, E, 40)
    record_transition(healed, E, H, 30)
    issue = Issue.objects.get(connection=mine)
    client = client_for(support_user)
    client.post(reverse("issue_assign", args=[issue.pk]))
    unresolved = client.get(reverse("issue_list")).content.decode()
    assert "Assigned one" in unresolved and "Healed one" not in unresolved
    resolved = client.get(reverse("issue_list"), {"state": "resolved"}).content.decode()
    assert "Healed one" in resolved and "Assigned one" not in resolved
    mine_only = client.get(reverse("issue_list"), {"assignee": "me"}).content.decode()
    assert "Assigned one" in mine_only and "Healed one" not in mine_only


def test_members_are_not_told_the_queue_exists(client_for, member_a):
    assert client_for(member_a).get(reverse("issue_list")).status_code == 404


@pytest.mark.parametrize("count", [2, 40])
def test_queue_queries_stay_constant(
    client_for, support_user, customer_a, count, django_assert_max_num_queries
):
    for connection in ConnectionFactory.create_batch(count, customer=customer_a):
        record_transition(connection, H, E)
    client = client_for(support_user)
    client.get(reverse("issue_list"))  # catches up with the new events
    # 7, then open incidents at the top, the muted count and the staff for the assignee filter.
    with django_assert_max_num_queries(10):
        body = client.get(reverse("issue_list")).content.decode()
    assert body.count('<tr id="issue-') == count


# The queue support can work (issue 14): count, filters, unassign, mute, resolve, bulk.


def issue_ids(body):
    import re

    return {int(pk) for pk in re.findall(r'<tr id="issue-(\d+)"', body)}


@pytest.fixture
def queue(support_user, customer_a, customer_b):
    from connections.systems import System

    fiix = open_issue(ConnectionFactory(customer=customer_a, system=System.FIIX,
                                        display_name="Acme Fiix"))  # fmt: skip
    sap = open_issue(ConnectionFactory(customer=customer_b, system=System.SAP_S4HANA,
                                       display_name="Borealis SAP"))  # fmt: skip
    return fiix, sap


def test_the_queue_counts_and_filters_by_customer_system_state_and_assignee(
    client_for, support_user, queue, customer_b
):
    fiix, sap = queue
    client = client_for(support_user)
    body = client.get(reverse("issue_list")).content.decode()
    assert '<span class="count" id="issue-count">2</span>' in body
    get = lambda **params: issue_ids(client.get(reverse("issue_list"), params).content.decode())  # noqa: E731
    assert get(customer=customer_b.slug) == {sap.pk}
    assert get(system="fiix") == {fiix.pk}
    client.post(reverse("issue_assign", args=[sap.pk]))
    assert get(assignee="me") == {sap.pk}
    assert get(assignee="nobody") == {fiix.pk}
    assert get(assignee=support_user.username) == {sap.pk}
    client.post(reverse("issue_acknowledge", args=[fiix.pk]))
    assert get(state="open") == {sap.pk}
    assert get(state="acknowledged") == {fiix.pk}


@pytest.mark.parametrize(
    "params",
    [{"state": "everything"}, {"customer": "nobody-here"}, {"assignee": "ghost"},
     {"system": "mainframe"}, {"sort": "random"}],
)  # fmt: skip
def test_an_invalid_filter_shows_a_message_and_no_rows(client_for, support_user, queue, params):
    response = client_for(support_user).get(reverse("issue_list"), params)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="filter-errors"' in body
    assert "Select a valid choice" in body
    assert issue_ids(body) == set()


def test_unassign_and_resolve_by_hand_with_a_note(client_for, support_user, queue):
    fiix, _ = queue
    client = client_for(support_user)
    client.post(reverse("issue_assign", args=[fiix.pk]))
    client.post(reverse("issue_unassign", args=[fiix.pk]))
    fiix.refresh_from_db()
    assert fiix.assignee is None
    refused = client.post(reverse("issue_resolve", args=[fiix.pk]), {"note": ""}, follow=True)
    assert "This field is required." in refused.content.decode()
    client.post(reverse("issue_resolve", args=[fiix.pk]), {"note": "Plant retired."})
    fiix.refresh_from_db()
    assert (fiix.state, fiix.resolution_note) == (IssueState.RESOLVED, "Plant retired.")
    page = client.get(reverse("issue_detail", args=[fiix.pk])).content.decode()
    assert "by sam-support: “Plant retired.”" in page
    assert "Unassigned" in page and "Assigned" in page  # the history


def test_a_muted_issue_leaves_the_queue_until_its_time(client_for, support_user, queue):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    fiix, sap = queue
    client = client_for(support_user)
    bad = client.post(reverse("issue_mute", args=[fiix.pk]), {"preset": "", "until": ""},
                      follow=True)  # fmt: skip
    assert "Choose how long to mute it" in bad.content.decode()
    client.post(reverse("issue_mute", args=[fiix.pk]), {"preset": "4h"})
    assert issue_ids(client.get(reverse("issue_list")).content.decode()) == {sap.pk}
    muted = client.get(reverse("issue_list"), {"state": "muted"}).content.decode()
    assert issue_ids(muted) == {fiix.pk} and "Muted (1)" in muted
    with time_machine.travel(timezone.now() + timedelta(hours=4, minutes=1)):
        assert issue_ids(client.get(reverse("issue_list")).content.decode()) == {fiix.pk, sap.pk}


def test_mute_until_a_time_in_the_readers_zone(client_for, support_user, queue):
    fiix, _ = queue
    support_user.time_zone = "Europe/Berlin"
    support_user.save()
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    berlin = timezone.localtime(timezone.now() + timedelta(days=1), ZoneInfo("Europe/Berlin"))
    client_for(support_user).post(
        reverse("issue_mute", args=[fiix.pk]), {"until": berlin.strftime("%Y-%m-%dT%H:%M")}
    )
    fiix.refresh_from_db()
    assert abs((fiix.muted_until - berlin).total_seconds()) < 60


def test_bulk_acknowledge_assign_and_mute(client_for, support_user, queue, connection_b):
    fiix, sap = queue
    client = client_for(support_user)
    ticked = {"issue": [fiix.pk, sap.pk], "next": reverse("issue_list")}
    answer = client.post(reverse("issue_bulk"), {**ticked, "action": "acknowledge"}, follow=True)
    assert "2 issues updated." in answer.content.decode()
    client.post(reverse("issue_bulk"), {**ticked, "action": "assign"})
    assert set(Issue.objects.values_list("state", "assignee")) == {
        (IssueState.ACKNOWLEDGED, support_user.pk)
    }
    refused = client.post(reverse("issue_bulk"), {**ticked, "action": "mute"}, follow=True)
    assert "Choose how long to mute it" in refused.content.decode()
    client.post(reverse("issue_bulk"), {**ticked, "action": "mute", "preset": "1h"})
    assert Issue.objects.filter(muted_until__isnull=False).count() == 2
    none = client.post(reverse("issue_bulk"), {"action": "acknowledge", "issue": ["x"]},
                       follow=True)  # fmt: skip
    assert "Tick at least one issue first." in none.content.decode()


def test_a_member_cannot_act_in_bulk(client_for, member_a, queue):
    fiix, _ = queue
    response = client_for(member_a).post(reverse("issue_bulk"), {"action": "assign",
                                                                 "issue": [fiix.pk]})  # fmt: skip
    assert response.status_code == 404
    assert Issue.objects.get(pk=fiix.pk).assignee is None


def test_unmute_brings_an_issue_back_and_bad_times_are_refused(client_for, support_user, queue):
    fiix, _ = queue
    client = client_for(support_user)
    for until in ("99999-01-01T00:00", "2020-01-01T00:00", "not a time", "2026-13-45T25:61"):
        answer = client.post(reverse("issue_mute", args=[fiix.pk]), {"until": until},
                             follow=True)  # fmt: skip
        assert answer.status_code == 200
        assert 'class="msg-error"' in answer.content.decode()
    fiix.refresh_from_db()
    assert fiix.muted_until is None
    client.post(reverse("issue_mute", args=[fiix.pk]), {"preset": "24h"})
    assert client.post(reverse("issue_unmute", args=[fiix.pk])).status_code == 302
    fiix.refresh_from_db()
    assert fiix.muted_until is None
    again = client.post(reverse("issue_unmute", args=[fiix.pk]), follow=True).content.decode()
    assert "This issue is not muted." in again
