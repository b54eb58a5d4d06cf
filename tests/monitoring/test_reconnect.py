"""Against the real sandbox: "Check now", and a customer reconnecting through the sign-in flow."""

from urllib.parse import urlsplit

import httpx
import pytest
from django.urls import reverse

from config.celery import app as celery_app
from connections.models import ApiToken, AuditEvent
from health.vocabulary import HealthStatus
from monitoring import poller, reconnect
from monitoring.models import HealthCheck, Source
from sandbox.models import Fault, SandboxConnection, SandboxToken
from tests.factories import linked_connection


@pytest.fixture
def eager_tasks():
    """Tasks run in the request that queues them: the unit under test is the view, not a worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_check_now_polls_and_swaps_in_the_result(
    sandbox_server, eager_tasks, client_for, support_user, customer_a
):
    connection = linked_connection(customer=customer_a, fault="server_error")
    client = client_for(support_user)
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "check-now"}
    pending = client.post(reverse("connection_check", args=[connection.pk]), **hx)
    body = pending.content.decode()
    assert f"Checking {connection.display_name}" in body and 'hx-trigger="load delay:1s"' in body
    poll_url = body.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    done = client.get(poll_url, **hx).content.decode()
    check = HealthCheck.objects.get(connection=connection)
    assert check.source == Source.CHECK_NOW
    assert "Checked just now: Upstream error <code>INTERNAL_ERROR</code> (HTTP 500)" in done
    assert check.request_id in done
    assert 'id="connection-status" class="status-line" hx-swap-oob="true"' in done
    assert AuditEvent.objects.filter(action="connection.check_requested").count() == 1


def test_check_now_for_another_customers_connection_is_404(
    client_for, member_a, connection_b, eager_tasks
):
    response = client_for(member_a).post(reverse("connection_check", args=[connection_b.pk]))
    assert response.status_code == 404
    assert not HealthCheck.objects.exists()


def needing_reauth(customer):
    connection = linked_connection(customer=customer, fault="requires_reauth")
    poller.poll_one(connection.pk)
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.REAUTH_REQUIRED
    return connection


def start_reconnect(client, connection) -> str:
    response = client.post(reverse("connection_reconnect", args=[connection.pk]))
    assert response.status_code == 302
    return response["Location"]


def sign_in_at_sandbox(authorize_url: str, **form) -> httpx.Response:
    page = httpx.get(authorize_url)
    assert page.status_code == 200 and "Sign in to your system" in page.text
    query = dict(httpx.URL(authorize_url).params)
    return httpx.post(authorize_url.split("?")[0], data={**query, **form})


def back_at_patchbay(client, response: httpx.Response):
    assert response.status_code == 302, response.text
    target = urlsplit(response.headers["location"])
    return client.get(f"{target.path}?{target.query}", follow=True)


def test_customer_reconnects_and_the_banner_goes(sandbox_server, client_for, member_a, customer_a):
    connection = needing_reauth(customer_a)
    old = ApiToken.objects.get(connection=connection)
    client = client_for(member_a)
    banner = client.get(reverse("home")).content.decode()
    assert f"<strong>{connection.display_name}</strong> needs you to sign in" in banner

    authorize_url = start_reconnect(client, connection)
    assert authorize_url.startswith(f"{sandbox_server.base_url}/oauth/authorize?")
    refused = sign_in_at_sandbox(authorize_url, username="mia", password="guess")
    assert "Invalid user name or password." in refused.text

    final = back_at_patchbay(
        client, sign_in_at_sandbox(authorize_url, username="mia", password="sandbox")
    )
    body = final.content.decode()
    assert "is reconnected with a new token; the old one is revoked. Status now: Healthy" in body
    assert "needs you to sign in" not in body
    assert "needs you to sign in" not in client.get(reverse("home")).content.decode()

    connection.refresh_from_db()
    old.refresh_from_db()
    new = ApiToken.objects.filter(connection=connection).active().get()
    assert connection.health_status == HealthStatus.HEALTHY
    assert old.revoked_at is not None and new.pk != old.pk and new.created_by == member_a
    assert SandboxToken.objects.get(token_id=old.upstream_token_id).revoked_at is not None
    assert SandboxToken.objects.get(token_id=new.upstream_token_id).revoked_at is None
    assert bytes(new.ciphertext) and new.last4 not in ("", None)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"connection.reconnect_started", "token.issued_by_reconnect", "token.revoked",
            "connection.reconnected"} <= actions  # fmt: skip


def test_cancelling_at_the_upstream_keeps_everything_and_says_why(
    sandbox_server, client_for, member_a, customer_a
):
    connection = needing_reauth(customer_a)
    client = client_for(member_a)
    authorize_url = start_reconnect(client, connection)
    final = back_at_patchbay(client, sign_in_at_sandbox(authorize_url, cancel="1"))
    body = final.content.decode()
    assert "was not reconnected. The upstream did not authorize the reconnect: " in body
    assert "The customer cancelled the sign-in." in body
    assert "needs you to sign in" in body
    assert ApiToken.objects.filter(connection=connection).active().count() == 1
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.REAUTH_REQUIRED


def test_a_forged_or_replayed_answer_changes_nothing(
    sandbox_server, client_for, member_a, customer_a
):
    connection = needing_reauth(customer_a)
    client = client_for(member_a)
    authorize_url = start_reconnect(client, connection)
    answer = sign_in_at_sandbox(authorize_url, username="mia", password="sandbox")
    target = urlsplit(answer.headers["location"])
    forged = target.query.replace("state=", "state=x")
    body = client.get(f"{target.path}?{forged}", follow=True).content.decode()
    assert "This sign-in answer is not valid or has expired" in body
    # The nonce was spent by the forged attempt: even the genuine answer is now refused.
    body = client.get(f"{target.path}?{target.query}", follow=True).content.decode()
    assert "does not belong to this browser session" in body
    assert ApiToken.objects.filter(connection=connection).count() == 1
    assert SandboxConnection.objects.get(upstream_id=connection.upstream_id).fault == (
        Fault.REQUIRES_REAUTH
    )


def test_another_customers_reconnect_is_404(client_for, member_a, connection_b):
    client = client_for(member_a)
    assert client.post(reverse("connection_reconnect", args=[connection_b.pk])).status_code == 404
    callback = reverse("connection_reconnect_callback", args=[connection_b.pk])
    assert client.get(callback, {"code": "x", "state": "y"}).status_code == 404


def test_a_code_the_upstream_refuses_says_why_with_its_request_id(sandbox_server, settings):
    with pytest.raises(reconnect.ReconnectFailed) as refused:
        reconnect.exchange_code("not-a-code-it-issued", "http://testserver/back/")
    assert str(refused.value).startswith("The upstream refused the code:")
    assert "request id req_" in str(refused.value)
    settings.UNIFIED_API_BASE_URL = "http://127.0.0.1:9/v1"
    with pytest.raises(reconnect.ReconnectFailed, match="could not be reached"):
        reconnect.exchange_code("any", "http://testserver/back/")
