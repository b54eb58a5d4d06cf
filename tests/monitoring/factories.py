"""Factories for monitoring history: checks, status changes, error log rows and issues."""

import itertools
from collections.abc import Sequence
from datetime import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from connections.models import Connection
from health.vocabulary import HealthStatus, Outcome
from monitoring import rollups
from monitoring.models import (
    ConnectionEvent,
    ErrorLog,
    HealthCheck,
    HealthCheckRow,
    Issue,
    Source,
)
from tests.factories import ConnectionFactory

_request_ids = itertools.count()


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
