"""Demo seeding is idempotent and complete, and reaches each status through the state machine."""

import io
from pathlib import Path

from django.core.management import call_command

from connections.models import Connection, Customer, Role, User
from connections.systems import Environment, System
from health.vocabulary import HealthStatus

ROOT = Path(__file__).resolve().parents[2]


def test_seed_demo_covers_every_role_status_system_and_environment(db):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    assert Customer.objects.count() == 4
    assert Connection.objects.count() >= 40
    assert set(Connection.objects.values_list("health_status", flat=True)) == set(
        HealthStatus.values
    )
    assert set(Connection.objects.values_list("system", flat=True)) == set(System.values)
    assert set(Connection.objects.values_list("environment", flat=True)) == set(Environment.values)
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(username="acme-member").check_password("patchbay-demo")


def test_seed_demo_observes_each_connection_into_its_status_once(db):
    from monitoring.models import ConnectionEvent, Issue

    call_command("seed_demo", stdout=io.StringIO())
    events = ConnectionEvent.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert ConnectionEvent.objects.count() == events, "a second run adds no history"
    unhealthy = Connection.objects.exclude(
        health_status__in=[HealthStatus.HEALTHY, HealthStatus.UNKNOWN]
    )
    assert set(Issue.objects.unresolved().values_list("connection_id", flat=True)) == set(
        unhealthy.values_list("pk", flat=True)
    )
    never_seen = Connection.objects.filter(health_status=HealthStatus.UNKNOWN)
    assert never_seen.exists() and not ConnectionEvent.objects.filter(connection__in=never_seen)
    for connection in Connection.objects.exclude(health_status=HealthStatus.UNKNOWN):
        latest = ConnectionEvent.objects.filter(connection=connection).first()
        assert latest.to_status == connection.health_status, connection.upstream_id
