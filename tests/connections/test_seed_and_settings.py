"""Demo seeding is idempotent and complete; production settings refuse placeholder secrets."""

import io
import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

from connections.models import Connection, Customer, Role, User
from connections.systems import Environment, HealthStatus, System

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


def test_seed_demo_gives_every_unhealthy_connection_its_episode_once(db):
    from monitoring.models import ConnectionEvent, Problem

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    unhealthy = Connection.objects.exclude(
        health_status__in=[HealthStatus.HEALTHY, HealthStatus.UNKNOWN]
    )
    assert ConnectionEvent.objects.count() == unhealthy.count() > 0
    assert set(Problem.objects.unresolved().values_list("connection_id", flat=True)) == set(
        unhealthy.values_list("pk", flat=True)
    )


def test_production_settings_refuse_to_start_without_real_secrets(tmp_path):
    environment = {
        "PATH": os.environ["PATH"],
        "DEBUG": "False",
        "PATCHBAY_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "refuse to start without SECRET_KEY, TOKEN_ENCRYPTION_KEYS" in result.stderr
    assert not any(tmp_path.iterdir()), "production must not generate local keys"
