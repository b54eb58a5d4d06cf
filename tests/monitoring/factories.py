"""Factories for monitoring history: checks, status changes, error log rows and issues."""

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from connections.models import Connection
from health.vocabulary import HealthStatus, Outcome
from monitoring import issues, rollups
from monitoring.models import (
    ConnectionEvent,
    ErrorLog,
    HealthCheck,
    HealthCheckRow,
    Incident,
    Issue,
    Source,
)
from tests.factories import ConnectionFactory

_request_ids = itertools.count()


class HealthCheckFactory(DjangoModelFactory):
    """A health check counted into the rollups too, as every check the app writes is."""

    class Meta:
        model = HealthCheck

    connection = factory.SubFactory(ConnectionFactory)
    checked_at = factory.LazyFunction(timezone.now)
    outcome = Outcome.OK
    status_after = HealthStatus.HEALTHY
    latency_ms = 42
    http_status = 200
    request_id = factory.Sequence(lambda n: f"req_check{n:08d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        check = super()._create(model_class, *args, **kwargs)
        connection = check.connection
        row = HealthCheckRow(
            **{name: getattr(check, name) for name in HealthCheckRow._fields}
            | {name: str(getattr(check, name)) for name in ("source", "outcome", "status_after")}
        )
        rollups.add([row], {connection.pk: (connection.customer_id, connection.system)})
        return check


def check_row(connection, checked_at: datetime, **values) -> HealthCheckRow:
    """A health check as the sweep writes it: OK and healthy unless told otherwise."""
    return HealthCheckRow(
        **{
            "connection_id": connection.pk,
            "checked_at": checked_at,
            "sweep_id": None,
            "source": Source.POLL,
            "outcome": Outcome.OK,
            "status_after": HealthStatus.HEALTHY,
            "latency_ms": 42,
            "http_status": 200,
            "error_code": "",
            "request_id": f"req_row{next(_request_ids):08d}",
            **values,
        }
    )


def write_checks(rows: Sequence[HealthCheckRow]) -> None:
    """Write checks and count them into the rollups, as `transitions.record` does with a
    status call's result (without moving the connection's health)."""
    HealthCheck.objects.insert_rows(rows)
    owners = Connection.objects.filter(pk__in={row.connection_id for row in rows})
    rollups.add(
        rows, {pk: (customer, system) for pk, customer, system in
               owners.values_list("pk", "customer_id", "system")}
    )  # fmt: skip


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
