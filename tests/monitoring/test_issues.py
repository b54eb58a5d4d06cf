"""Issues: one per episode, damped against flapping, reopened on a relapse, worked by support."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from connections.actors import Actor
from health.vocabulary import HealthStatus, Outcome
from monitoring import issues, poller, transitions
from monitoring.models import Incident, Issue, IssueEvent, IssueState, Notification, Source
from monitoring.transitions import Observation
from sandbox.models import SandboxConnection
from tests.factories import ConnectionFactory, CustomerFactory, linked_connection
from tests.monitoring.factories import IssueFactory, record_transition
from upstream.protocol import StatusResult

H, D, E, R = (
    HealthStatus.HEALTHY,
    HealthStatus.DEGRADED,
    HealthStatus.ERROR,
    HealthStatus.REAUTH_REQUIRED,
)
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def observe(connection, outcome, minute, *, code=""):
    """One status call's answer at T0 + `minute`, written as the poller writes it."""
    at = T0 + timedelta(minutes=minute)
    result = StatusResult(outcome=outcome, error_code=code, http_status=200 if code == "" else 503)
    transitions.record(
        [Observation(connection.pk, outcome, at=at, result=result)], source=Source.POLL, now=at
    )


@pytest.fixture
def damped(db, settings):
    settings.ISSUE_RESOLVE_AFTER_MINUTES = 10
    settings.ISSUE_REOPEN_WINDOW_MINUTES = 60
    settings.HEALTH_ERROR_AFTER_FAILURES = 1


def test_an_episode_opens_escalates_and_resolves_one_issue(connection_a, settings):
    settings.ISSUE_RESOLVE_AFTER_MINUTES = 0
    opened = record_transition(connection_a, H, D, 30)
    record_transition(connection_a, D, E, 20)
    issue = Issue.objects.get()
    assert (issue.opened_by, issue.status, issue.state) == (opened, E, IssueState.OPEN)
    recovered = record_transition(connection_a, E, H, 10)
    issue.refresh_from_db()
    assert issue.state == IssueState.RESOLVED and issue.resolved_by == recovered
    record_transition(connection_a, H, R, 5)
    # Within the reopen window the same issue comes back rather than a second one.
    assert Issue.objects.count() == 1
    issue.refresh_from_db()
    assert (issue.state, issue.status, issue.reopen_count) == (IssueState.OPEN, R, 1)


def test_an_issue_resolves_only_after_the_connection_stayed_healthy(damped):
    connection = ConnectionFactory(status_changed_at=T0)
    observe(connection, Outcome.UPSTREAM_ERROR, 0, code="SYSTEM_UNAVAILABLE")
    issue = Issue.objects.get()
    assert (issue.outcome, issue.error_code) == (Outcome.UPSTREAM_ERROR, "SYSTEM_UNAVAILABLE")
    observe(connection, Outcome.OK, 1)
    issue.refresh_from_db()
    assert issue.state == IssueState.OPEN and issue.recovered_at == T0 + timedelta(minutes=1)
    observe(connection, Outcome.OK, 10)  # healthy 9 minutes: not yet
    issue.refresh_from_db()
    assert issue.state == IssueState.OPEN
    observe(connection, Outcome.OK, 11)  # healthy 10 minutes
    issue.refresh_from_db()
    assert issue.state == IssueState.RESOLVED
    assert issue.resolved_at == T0 + timedelta(minutes=11)
    kinds = list(issue.events.values_list("kind", flat=True))
    assert kinds == ["opened", "recovering", "resolved"]


def test_a_flap_before_resolving_keeps_the_issue_open_without_noise(damped):
    connection = ConnectionFactory(status_changed_at=T0)
    observe(connection, Outcome.UPSTREAM_ERROR, 0)
    observe(connection, Outcome.OK, 1)
    observe(connection, Outcome.UPSTREAM_ERROR, 3)
    observe(connection, Outcome.OK, 12)  # 11 minutes after the first recovery, but it flapped
    issue = Issue.objects.get()
    assert issue.state == IssueState.OPEN
    assert issue.recovered_at == T0 + timedelta(minutes=12)
    assert issue.reopen_count == 0


def test_a_relapse_within_the_window_reopens_the_same_issue(damped):
    connection = ConnectionFactory(status_changed_at=T0)
    observe(connection, Outcome.UPSTREAM_ERROR, 0)
    observe(connection, Outcome.OK, 1)
    observe(connection, Outcome.OK, 11)
    issue = Issue.objects.get()
    assert issue.state == IssueState.RESOLVED
    observe(connection, Outcome.REAUTH, 40)
    issue.refresh_from_db()
    assert Issue.objects.count() == 1
    assert (issue.state, issue.reopen_count, issue.status) == (IssueState.OPEN, 1, R)
    assert issue.reopened_at == T0 + timedelta(minutes=40)
    assert issue.events.filter(kind=IssueEvent.Kind.REOPENED).count() == 1


def test_a_relapse_after_the_window_opens_a_new_issue(damped):
    connection = ConnectionFactory(status_changed_at=T0)
    observe(connection, Outcome.UPSTREAM_ERROR, 0)
    observe(connection, Outcome.OK, 1)
    observe(connection, Outcome.OK, 11)
    observe(connection, Outcome.UPSTREAM_ERROR, 11 + 61)
    assert Issue.objects.count() == 2
    assert Issue.objects.unresolved().get().reopen_count == 0


def test_a_sweep_opens_and_resolves_issues_as_it_writes_transitions(sandbox_server, settings):
    """No page visit needed: the poller's own transaction opens and resolves the issue."""
    settings.ISSUE_RESOLVE_AFTER_MINUTES = 0
    connection = linked_connection(fault="server_error", customer=None)
    upstream = SandboxConnection.objects.get(upstream_id=connection.upstream_id)
    for _ in range(2):
        poller.poll_batch(None, [connection.pk])
    issue = Issue.objects.get(connection=connection)
    assert (issue.state, issue.status, issue.error_code) == (IssueState.OPEN, D, "INTERNAL_ERROR")
    upstream.fault = "healthy"
    upstream.save()
    poller.poll_batch(None, [connection.pk])
    issue.refresh_from_db()
    assert issue.state == IssueState.RESOLVED
    assert Issue.objects.count() == 1


def test_the_first_healthy_poll_opens_nothing(connection_a):
    record_transition(connection_a, HealthStatus.UNKNOWN, H)
    assert not Issue.objects.exists()


def test_a_batch_writes_issues_in_a_fixed_number_of_queries(damped, django_assert_max_num_queries):
    def batch(size, minute, system):
        connections = ConnectionFactory.create_batch(size, status_changed_at=T0, system=system)
        at = T0 + timedelta(minutes=minute)
        failed = StatusResult(Outcome.UPSTREAM_ERROR)
        observations = [
            Observation(c.pk, Outcome.UPSTREAM_ERROR, at=at, result=failed) for c in connections
        ]
        return observations, at

    # Each batch is a whole system failing at once: issues, their events and an incident.
    small, at = batch(6, 0, "fiix")
    large, _ = batch(60, 0, "netsuite")
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as few:
        transitions.record(small, source=Source.POLL, now=at)
    with django_assert_max_num_queries(len(few.captured_queries)):
        transitions.record(large, source=Source.POLL, now=at)
    assert Issue.objects.count() == 66
    assert Incident.objects.count() == 2


def test_issue_events_go_to_customers_as_signed_webhooks(damped):
    customer = CustomerFactory(notification_webhook_url="https://hooks.example/patchbay")
    connection = ConnectionFactory(customer=customer, status_changed_at=T0)
    quiet = ConnectionFactory(status_changed_at=T0)  # its customer has no webhook
    observe(connection, Outcome.UPSTREAM_ERROR, 0)
    observe(quiet, Outcome.UPSTREAM_ERROR, 0)
    observe(connection, Outcome.OK, 1)
    observe(connection, Outcome.OK, 11)
    observe(connection, Outcome.UPSTREAM_ERROR, 20)
    issue = Issue.objects.get(connection=connection)
    issues.mute(issue, until=timezone.now() + timedelta(hours=2), actor=Actor.system())
    sent = Notification.objects.filter(kind=Notification.Kind.ISSUE_EVENT)
    assert [n.issue_event.kind for n in sent.order_by("created_at", "pk")] == [
        "opened",
        "resolved",
        "reopened",
        "muted",
    ]
    assert {n.recipient for n in sent} == {"https://hooks.example/patchbay"}
    assert not sent.filter(connection=quiet).exists()
    from monitoring.notifications import webhook_payload

    payload = webhook_payload(sent.get(issue_event__kind="muted"))
    assert payload["type"] == "issue.muted"
    assert payload["data"]["issue_id"] == issue.pk
    assert payload["data"]["muted_until"]


def test_support_mutes_unassigns_and_resolves_by_hand(support_user, connection_a):
    issue = IssueFactory(connection=connection_a)
    actor = Actor(user=support_user)
    with pytest.raises(issues.IssueActionError, match="future"):
        issues.mute(issue, until=timezone.now() - timedelta(minutes=1), actor=actor)
    with pytest.raises(issues.IssueActionError, match="90 days"):
        issues.mute(issue, until=timezone.now() + timedelta(days=91), actor=actor)
    issues.mute(issue, until=timezone.now() + timedelta(hours=1), actor=actor)
    assert Issue.objects.muted(timezone.now()).get() == issue
    assert not Issue.objects.not_muted(timezone.now()).exists()
    with pytest.raises(issues.IssueActionError, match="Nobody"):
        issues.unassign(issue, actor=actor)
    issues.assign(issue, assignee=support_user, actor=actor)
    issues.unassign(issue, actor=actor)
    issue.refresh_from_db()
    assert issue.assignee is None
    with pytest.raises(issues.IssueActionError, match="note"):
        issues.resolve(issue, note="  ", actor=actor)
    issues.resolve(issue, note="Customer retired this plant.", actor=actor)
    issue.refresh_from_db()
    assert (issue.state, issue.resolved_by_user, issue.resolution_note) == (
        IssueState.RESOLVED,
        support_user,
        "Customer retired this plant.",
    )
    kinds = list(issue.events.values_list("kind", flat=True))
    assert kinds == ["muted", "assigned", "unassigned", "resolved"]


def test_bulk_actions_report_what_they_skipped(support_user, connection_a, connection_b):
    first, second = IssueFactory(connection=connection_a), IssueFactory(connection=connection_b)
    actor = Actor(user=support_user)
    issues.acknowledge(first, actor=actor)
    result = issues.bulk([first, second], "acknowledge", actor=actor)
    assert result.done == 1 and "already acknowledged" in result.message
    result = issues.bulk([first, second], "assign", actor=actor)
    assert result.done == 2
    assert set(Issue.objects.values_list("assignee", flat=True)) == {support_user.pk}
