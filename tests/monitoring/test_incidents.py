"""Incidents: many connections of one system or customer failing the same way, grouped as one."""

from datetime import UTC, datetime, timedelta

import pytest

from connections.actors import Actor
from connections.systems import System
from health.vocabulary import Outcome
from monitoring import incidents, transitions
from monitoring.models import Incident, Issue, IssueState, Source
from monitoring.transitions import Observation
from tests.factories import ConnectionFactory, CustomerFactory
from upstream.protocol import StatusResult

T0 = datetime(2026, 11, 20, 13, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def thresholds(db, settings):
    settings.HEALTH_ERROR_AFTER_FAILURES = 1
    settings.ISSUE_RESOLVE_AFTER_MINUTES = 0
    settings.INCIDENT_WINDOW_MINUTES = 10
    settings.INCIDENT_MIN_CONNECTIONS = 5
    settings.INCIDENT_MIN_PERCENT = 30


def fail(connections, at, outcome=Outcome.UPSTREAM_ERROR, code="SYSTEM_UNAVAILABLE"):
    result = StatusResult(outcome=outcome, error_code=code, http_status=503)
    transitions.record(
        [Observation(c.pk, outcome, at=at, result=result) for c in connections],
        source=Source.POLL,
        now=at,
    )


def recover(connections, at):
    result = StatusResult(outcome=Outcome.OK, http_status=200)
    transitions.record(
        [Observation(c.pk, Outcome.OK, at=at, result=result) for c in connections],
        source=Source.POLL,
        now=at,
    )


def sap_fleet(count, healthy_too=0):
    customers = CustomerFactory.create_batch(3)
    failing = [
        ConnectionFactory(customer=customers[n % 3], system=System.SAP_S4HANA, status_changed_at=T0)
        for n in range(count)
    ]
    ConnectionFactory.create_batch(healthy_too, system=System.SAP_S4HANA)
    return failing


def test_six_connections_of_one_system_failing_within_minutes_are_one_incident():
    failing = sap_fleet(6, healthy_too=4)
    for n, connection in enumerate(failing):  # one a few seconds after the other, separately
        fail([connection], T0 + timedelta(seconds=10 * n))
    incident = Incident.objects.get()
    assert (incident.scope, incident.system, incident.error_code) == (
        Incident.Scope.SYSTEM,
        System.SAP_S4HANA,
        "SYSTEM_UNAVAILABLE",
    )
    assert incident.started_at == T0
    assert str(incident) == "SAP S/4HANA: SYSTEM_UNAVAILABLE since 2026-11-20 13:02 UTC"
    assert set(incident.issues.values_list("connection", flat=True)) == {c.pk for c in failing}


def test_below_the_thresholds_there_is_no_incident():
    failing = sap_fleet(4)  # fewer than 5
    fail(failing, T0)
    many = sap_fleet(6, healthy_too=30)  # 6 of 40: 15 %, under 30 %
    fail(many, T0)
    assert not Incident.objects.exists()


def test_failures_spread_beyond_the_window_are_not_grouped():
    failing = sap_fleet(6)
    for n, connection in enumerate(failing):
        fail([connection], T0 + timedelta(minutes=3 * n))  # 15 minutes from first to last
    assert not Incident.objects.exists()


def test_one_customer_failing_across_systems_is_an_incident_of_that_customer():
    customer = CustomerFactory(name="Delta Foods", slug="delta")
    systems = [System.FIIX, System.NETSUITE, System.UPKEEP, System.LIMBLE, System.EMAINT]
    failing = [
        ConnectionFactory(customer=customer, system=s, status_changed_at=T0) for s in systems
    ]
    fail(failing, T0, outcome=Outcome.REAUTH, code="AUTHENTICATION_FAILED")
    incident = Incident.objects.get()
    assert (incident.scope, incident.customer) == (Incident.Scope.CUSTOMER, customer)
    assert incident.subject == "Delta Foods"


def test_late_members_join_and_the_incident_resolves_when_all_recover():
    failing = sap_fleet(7)
    fail(failing[:6], T0)
    fail(failing[6:], T0 + timedelta(minutes=30))  # outside the window, same kind: joins
    incident = Incident.objects.get()
    assert incident.issues.count() == 7
    recover(failing[:6], T0 + timedelta(minutes=31))
    incident.refresh_from_db()
    assert incident.state == IssueState.OPEN
    recover(failing[6:], T0 + timedelta(minutes=32))
    incident.refresh_from_db()
    assert incident.state == IssueState.RESOLVED


def test_support_acknowledges_and_assigns_an_incident_as_one(support_user):
    failing = sap_fleet(5)
    fail(failing, T0)
    incident = Incident.objects.get()
    actor = Actor(user=support_user)
    assert incidents.acknowledge(incident, actor=actor) == 5
    assert incidents.assign(incident, assignee=support_user, actor=actor) == 5
    members = Issue.objects.filter(incident=incident)
    assert set(members.values_list("state", "assignee")) == {
        (IssueState.ACKNOWLEDGED, support_user.pk)
    }
    with pytest.raises(incidents.IncidentActionError):
        incidents.acknowledge(incident, actor=actor)


def test_a_notice_sent_during_an_incident_says_so(mailoutbox):
    from monitoring import notifications
    from monitoring.models import Notification

    failing = sap_fleet(5)
    fail(failing, T0, outcome=Outcome.REAUTH, code="AUTHENTICATION_FAILED")
    notice = Notification.objects.filter(
        connection=failing[0], channel=Notification.Channel.EMAIL
    ).get()
    notifications.deliver(notice)
    assert "part of a wider incident: 5 connections of SAP S/4HANA" in mailoutbox[0].body
    notice.refresh_from_db()
    assert notice.sent_during == Incident.objects.get()


def test_a_system_outage_of_one_customer_is_one_incident_not_two():
    customer = CustomerFactory()
    failing = [
        ConnectionFactory(customer=customer, system=System.SAP_S4HANA, status_changed_at=T0)
        for _ in range(6)
    ]
    fail(failing, T0)
    incident = Incident.objects.get()
    assert incident.scope == Incident.Scope.SYSTEM and incident.issues.count() == 6
