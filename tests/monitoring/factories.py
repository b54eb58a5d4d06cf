"""Factories for monitoring history: checks, status changes, error log rows and issues."""

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from health.vocabulary import HealthStatus, Outcome
from monitoring import issues
from monitoring.models import ConnectionEvent, ErrorLog, HealthCheck, Incident, Issue, Source
from tests.factories import ConnectionFactory


class HealthCheckFactory(DjangoModelFactory):
    class Meta:
        model = HealthCheck

    connection = factory.SubFactory(ConnectionFactory)
    checked_at = factory.LazyFunction(timezone.now)
    outcome = Outcome.OK
    status_after = HealthStatus.HEALTHY
    latency_ms = 42
    http_status = 200
    request_id = factory.Sequence(lambda n: f"req_check{n:08d}")


class ConnectionEventFactory(DjangoModelFactory):
    class Meta:
        model = ConnectionEvent

    connection = factory.SubFactory(ConnectionFactory)
    created_at = factory.LazyFunction(timezone.now)
    from_status = HealthStatus.HEALTHY
    to_status = HealthStatus.ERROR
    reason = "Upstream error: INTERNAL_ERROR"
    source = Source.POLL


class ErrorLogFactory(DjangoModelFactory):
    class Meta:
        model = ErrorLog

    connection = factory.SubFactory(ConnectionFactory)
    customer = factory.SelfAttribute("connection.customer")
    created_at = factory.LazyFunction(timezone.now)
    source = Source.POLL
    http_status = 500
    error_code = "INTERNAL_ERROR"
    error_type = "api_error"
    message = "The upstream system failed."
    request_id = factory.Sequence(lambda n: f"req_{n:024x}")


class IssueFactory(DjangoModelFactory):
    class Meta:
        model = Issue

    connection = factory.SubFactory(ConnectionFactory)
    opened_by = factory.SubFactory(
        ConnectionEventFactory, connection=factory.SelfAttribute("..connection")
    )
    opened_at = factory.SelfAttribute("opened_by.created_at")
    status = factory.SelfAttribute("opened_by.to_status")
    severity = 3


def record_transition(connection, before, after, minutes_ago=0):
    """A transition as the state machine's writers record it: the event, then its issue."""
    event = ConnectionEventFactory(
        connection=connection,
        from_status=before,
        to_status=after,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    issues.record([event])
    return event


def make_errors(connection, count, *, same_moment=False):
    now = timezone.now()
    return [
        ErrorLogFactory(
            connection=connection,
            created_at=now if same_moment else now - timedelta(seconds=index),
            request_id=f"req_page_{index:04d}",
        )
        for index in range(count)
    ]


def open_incident(connection):
    """An incident of `connection`'s customer with one member issue, on the connection."""
    incident = Incident.objects.create(
        scope=Incident.Scope.CUSTOMER,
        customer=connection.customer,
        outcome="upstream_error",
        started_at=timezone.now(),
    )
    IssueFactory(connection=connection, incident=incident)
    return incident
