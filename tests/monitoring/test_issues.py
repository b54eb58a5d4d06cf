"""Problems: one per episode from the state machine's transitions, and the issues queue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from health.vocabulary import HealthStatus
from monitoring import issues, poller
from monitoring.models import Issue, IssueState
from sandbox.models import SandboxConnection
from tests.factories import ConnectionFactory, linked_connection
from tests.monitoring.factories import ConnectionEventFactory

H, D, E, R = (
    HealthStatus.HEALTHY,
    HealthStatus.DEGRADED,
    HealthStatus.ERROR,
    HealthStatus.REAUTH_REQUIRED,
)


def transition(connection, before, after, minutes_ago=0):
    """A transition as the state machine's writers record it: the event, then its issue."""
    event = ConnectionEventFactory(
        connection=connection,
        from_status=before,
        to_status=after,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    issues.record([event])
    return event


def test_an_episode_opens_escalates_and_resolves_one_issue(connection_a):
    opened = transition(connection_a, H, D, 30)
    transition(connection_a, D, E, 20)
    issue = Issue.objects.get()
    assert (issue.opened_by, issue.status, issue.state) == (opened, E, IssueState.OPEN)
    recovered = transition(connection_a, E, H, 10)
    issue.refresh_from_db()
    assert issue.state == IssueState.RESOLVED and issue.resolved_by == recovered
    transition(connection_a, H, R, 5)
    assert Issue.objects.count() == 2
    assert Issue.objects.unresolved().get().status == R


def test_a_sweep_opens_and_resolves_issues_as_it_writes_transitions(sandbox_server):
    """No page visit needed: the poller's own transaction opens and resolves the issue."""
    connection = linked_connection(fault="server_error", customer=None)
    upstream = SandboxConnection.objects.get(upstream_id=connection.upstream_id)
    for _ in range(2):
        poller.poll_batch(None, [connection.pk])
    issue = Issue.objects.get(connection=connection)
    assert (issue.state, issue.status) == (IssueState.OPEN, D)
    upstream.fault = "healthy"
    upstream.save()
    poller.poll_batch(None, [connection.pk])
    issue.refresh_from_db()
    assert issue.state == IssueState.RESOLVED
    assert Issue.objects.count() == 1


def test_the_first_healthy_poll_opens_nothing(connection_a):
    transition(connection_a, HealthStatus.UNKNOWN, H)
    assert not Issue.objects.exists()


def test_queue_sorts_by_severity_then_age_or_by_age(client_for, support_user, customer_a):
    old_degraded = ConnectionFactory(customer=customer_a, display_name="Old degraded")
    new_error = ConnectionFactory(customer=customer_a, display_name="New error")
    old_error = ConnectionFactory(customer=customer_a, display_name="Old error")
    transition(old_degraded, H, D, 300)
    transition(new_error, H, E, 10)
    transition(old_error, H, E, 200)
    client = client_for(support_user)
    body = client.get(reverse("issue_list")).content.decode()
    assert body.index("Old error") < body.index("New error") < body.index("Old degraded")
    by_age = client.get(reverse("issue_list"), {"sort": "age"}).content.decode()
    assert by_age.index("Old degraded") < by_age.index("Old error") < by_age.index("New error")


def test_queue_states_and_mine(client_for, support_user, customer_a):
    mine = ConnectionFactory(customer=customer_a, display_name="Assigned one")
    healed = ConnectionFactory(customer=customer_a, display_name="Healed one")
    transition(mine, H, E, 50)
    transition(healed, H, E, 40)
    transition(healed, E, H, 30)
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
        transition(connection, H, E)
    client = client_for(support_user)
    client.get(reverse("issue_list"))  # catches up with the new events
    with django_assert_max_num_queries(7):
        body = client.get(reverse("issue_list")).content.decode()
    assert body.count('<tr id="issue-') == count
