"""Faults from the admin: the change list edits them, and a change is announced by webhook."""

import time

import pytest
from django.urls import reverse

from config.celery import app as celery_app
from health.vocabulary import HealthStatus
from monitoring.models import WebhookEvent
from sandbox.models import SandboxConnection
from tests.factories import ConnectionFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    ["sandboxconnection", "sandboxtoken", "sandboxsettings"],
)
def test_sandbox_admin_pages_open_for_platform_admins(client, admin_user, model):
    client.force_login(admin_user)
    assert client.get(reverse(f"admin:sandbox_{model}_changelist")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    ["healthcheck", "connectionevent", "errorlog", "webhookevent", "notification", "sweep"],
)
def test_monitoring_admin_pages_open_for_admins_not_for_support(
    client, admin_user, support_user, model
):
    url = reverse(f"admin:monitoring_{model}_changelist")
    client.force_login(support_user)
    assert client.get(url).status_code == 302
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


@pytest.fixture
def tasks_run_inline():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_changing_a_fault_in_the_admin_sends_the_status_webhook(
    client, admin_user, live_server, settings, tasks_run_inline
):
    settings.PATCHBAY_BASE_URL = live_server.url
    connection = ConnectionFactory(upstream_id="conn_admin", health_status=HealthStatus.HEALTHY)
    upstream = SandboxConnection.objects.create(upstream_id="conn_admin")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:sandbox_sandboxconnection_change", args=[upstream.pk]),
        {
            "upstream_id": "conn_admin",
            "system": "sandbox",
            "fault": "disconnected",
            "flaky_percent": 50,
            "latency_ms": 0,
            "retry_after_seconds": 30,
        },
    )
    assert response.status_code == 302
    deadline = time.monotonic() + 20
    while not WebhookEvent.objects.filter(state="processed").exists():
        assert time.monotonic() < deadline, "no webhook arrived"
        time.sleep(0.1)
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.DISCONNECTED
