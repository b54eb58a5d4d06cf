"""Problems: one per episode from the state machine's transitions, and the issues queue."""

from health.vocabulary import HealthStatus
from monitoring import poller
from monitoring.models import Issue, IssueState
from sandbox.models import SandboxConnection
from tests.factories import linked_connection
from tests.monitoring.factories import record_transition

H, D, E, R = (
    HealthStatus.HEALTHY,
    HealthStatus.DEGRADED,
    HealthStatus.ERROR,
    HealthStatus.REAUTH_REQUIRED,
)


def test_an_episode_opens_escalates_and_resolves_one_issue(connection_a):
    opened = record_transition(connection_a, H, D, 30)
    record_transition(connection_a, D, E, 20)
    issue = Issue.objects.get()
    assert (issue.opened_by, issue.status, issue.state) == (opened, E, IssueState.OPEN)
    recovered = record_transition(connection_a, E, H, 10)
    issue.refresh_from_db()
    assert issue.state == IssueState.RESOLVED and issue.resolved_by == recovered
    record_transition(connection_a, H, R, 5)
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
    record_transition(connection_a, HealthStatus.UNKNOWN, H)
    assert not Issue.objects.exists()
