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


def test_queue_states_and_mine(client_for, support_user, customer_a):
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
    assert "Assigned one" in client.get(reverse("issue_list"), {"mine": 1}).content.decode()


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
    with django_assert_max_num_queries(7):
        body = client.get(reverse("issue_list")).content.decode()
    assert body.count('<tr id="issue-') == count
