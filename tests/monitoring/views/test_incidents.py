"""An incident's page: its member issues, acknowledged and assigned as one; staff only."""

import pytest
from django.urls import reverse
from django.utils import timezone

from connections.systems import System
from monitoring.models import Incident, Issue, IssueState
from tests.factories import ConnectionFactory, CustomerFactory
from tests.monitoring.factories import IssueFactory


@pytest.fixture
def incident(db):
    incident = Incident.objects.create(
        scope=Incident.Scope.SYSTEM,
        system=System.SAP_S4HANA,
        outcome="upstream_error",
        error_code="SYSTEM_UNAVAILABLE",
        started_at=timezone.now(),
    )
    for n in range(6):
        connection = ConnectionFactory(customer=CustomerFactory(), system=System.SAP_S4HANA,
                                       display_name=f"SAP plant {n}")  # fmt: skip
        IssueFactory(connection=connection, incident=incident, failing_since=timezone.now())
    return incident


def test_the_incident_is_on_top_of_the_overview_and_the_queue(client_for, support_user, incident):
    client = client_for(support_user)
    for name in ("home", "issue_list"):
        body = client.get(reverse(name)).content.decode()
        assert "SAP S/4HANA: 6 connections failing with SYSTEM_UNAVAILABLE since" in body
        assert reverse("incident_detail", args=[incident.pk]) in body


def test_the_incident_page_lists_its_members_and_acts_on_them_as_one(
    client_for, support_user, incident
):
    client = client_for(support_user)
    page = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert page.count('<tr id="member-') == 6 and "SAP plant 5" in page
    client.post(reverse("incident_acknowledge", args=[incident.pk]))
    client.post(reverse("incident_assign", args=[incident.pk]))
    assert set(Issue.objects.values_list("state", "assignee")) == {
        (IssueState.ACKNOWLEDGED, support_user.pk)
    }
    again = client.post(reverse("incident_acknowledge", args=[incident.pk]), follow=True)
    assert "already acknowledged" in again.content.decode()
    client.post(reverse("incident_assign", args=[incident.pk]), {"to": "nobody"})
    assert set(Issue.objects.values_list("assignee", flat=True)) == {None}


def test_members_never_see_incidents(client_for, member_a, incident, customer_a):
    IssueFactory(connection=ConnectionFactory(customer=customer_a), incident=incident)
    client = client_for(member_a)
    assert client.get(reverse("incident_detail", args=[incident.pk])).status_code == 404
    assert client.post(reverse("incident_acknowledge", args=[incident.pk])).status_code == 404
    assert "SYSTEM_UNAVAILABLE since" not in client.get(reverse("home")).content.decode()
