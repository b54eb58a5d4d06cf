"""The sandbox upstream over real HTTP on loopback: status, standard errors, token endpoints."""

from datetime import timedelta

import httpx
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from sandbox.models import Fault, SandboxConnection, SandboxToken, hash_token


@pytest.fixture
def upstream(sandbox_server):
    return SandboxConnection.objects.create(upstream_id="conn_sbx_1")


@pytest.fixture
def platform_key(settings):
    return {"Authorization": f"Bearer {settings.UNIFIED_API_KEY}"}


def status(sandbox_server, upstream_id, token):
    return httpx.get(
        f"{sandbox_server.base_url}/connections/{upstream_id}/status",
        headers={"Authorization": f"Bearer {token}"},
    )


def assert_standard_error(response, status_code, code):
    assert response.status_code == status_code
    problem = response.json()["error"]
    assert problem["code"] == code
    assert problem["type"] and problem["message"]
    assert problem["request_id"] == response.headers["X-Request-ID"]
    assert response.headers["X-Request-ID"].startswith("req_")


def test_status_answers_the_documented_shape_with_a_request_id(sandbox_server, upstream):
    _, plaintext = upstream.issue_token("primary")
    response = status(sandbox_server, "conn_sbx_1", plaintext)
    assert response.status_code == 200
    assert response.headers["X-Request-ID"].startswith("req_")
    assert response.json() == {
        "id": "conn_sbx_1",
        "status": "active",
        "reauth_required": False,
        "last_sync_at": None,
        "last_error": None,
    }


def test_status_reports_the_last_sync_as_an_aware_timestamp(sandbox_server, upstream):
    _, plaintext = upstream.issue_token()
    upstream.last_sync_at = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    upstream.save()
    body = status(sandbox_server, "conn_sbx_1", plaintext).json()
    assert body["last_sync_at"] == upstream.last_sync_at.isoformat()
    assert body["last_sync_at"].endswith("+00:00")


def test_requires_reauth_fault_reports_it_in_the_body(sandbox_server, upstream):
    _, plaintext = upstream.issue_token()
    upstream.fault = Fault.REQUIRES_REAUTH
    upstream.save()
    body = status(sandbox_server, "conn_sbx_1", plaintext).json()
    assert body["status"] == "requires_reauth"
    assert body["reauth_required"] is True
    assert body["last_error"]["code"] == "REAUTHORIZATION_REQUIRED"


def test_missing_or_unknown_token_is_401(sandbox_server, upstream):
    upstream.issue_token()
    assert_standard_error(
        httpx.get(f"{sandbox_server.base_url}/connections/conn_sbx_1/status"),
        401,
        "AUTHENTICATION_FAILED",
    )
    assert_standard_error(
        status(sandbox_server, "conn_sbx_1", "sbx_not-a-token"), 401, "AUTHENTICATION_FAILED"
    )


def test_token_of_another_connection_is_403_and_unknown_connection_404(sandbox_server, upstream):
    other = SandboxConnection.objects.create(upstream_id="conn_sbx_2")
    _, other_token = other.issue_token()
    assert_standard_error(
        status(sandbox_server, "conn_sbx_1", other_token), 403, "PERMISSION_DENIED"
    )
    assert_standard_error(
        status(sandbox_server, "conn_nowhere", other_token), 404, "CONNECTION_NOT_FOUND"
    )


def test_unknown_endpoint_and_wrong_method_answer_the_standard_error(sandbox_server, upstream):
    assert_standard_error(httpx.get(f"{sandbox_server.base_url}/nothing"), 404, "INVALID_REQUEST")
    assert_standard_error(
        httpx.post(f"{sandbox_server.base_url}/connections/conn_sbx_1/status"),
        405,
        "INVALID_REQUEST",
    )


def test_issue_token_returns_it_once_and_stores_only_its_hash(
    sandbox_server, upstream, platform_key
):
    response = httpx.post(
        f"{sandbox_server.base_url}/connections/conn_sbx_1/tokens",
        json={"label": "ci", "expires_in_seconds": 3600},
        headers=platform_key,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("tok_") and body["expires_at"] and body["created_at"]
    stored = SandboxToken.objects.get(token_id=body["id"])
    assert stored.label == "ci"
    assert stored.token_hash == hash_token(body["token"])
    assert body["token"] not in str(list(SandboxToken.objects.values()))
    assert status(sandbox_server, "conn_sbx_1", body["token"]).status_code == 200


def test_revoked_token_answers_401_on_status(sandbox_server, upstream, platform_key):
    issued, plaintext = upstream.issue_token()
    url = f"{sandbox_server.base_url}/connections/conn_sbx_1/tokens/{issued.token_id}"
    assert httpx.delete(url, headers=platform_key).status_code == 204
    assert httpx.delete(url, headers=platform_key).status_code == 204
    assert_standard_error(
        status(sandbox_server, "conn_sbx_1", plaintext), 401, "AUTHENTICATION_FAILED"
    )


def test_an_expired_token_answers_401_and_one_still_valid_is_served(sandbox_server, upstream):
    _, expiring = upstream.issue_token(expires_in_seconds=60)
    assert status(sandbox_server, "conn_sbx_1", expiring).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert_standard_error(
            status(sandbox_server, "conn_sbx_1", expiring), 401, "AUTHENTICATION_FAILED"
        )


def test_token_endpoints_refuse_a_wrong_key_bad_input_and_unknown_ids(
    sandbox_server, upstream, platform_key
):
    tokens_url = f"{sandbox_server.base_url}/connections/conn_sbx_1/tokens"
    assert_standard_error(
        httpx.post(tokens_url, json={}, headers={"Authorization": "Bearer pk_wrong"}),
        401,
        "AUTHENTICATION_FAILED",
    )
    assert_standard_error(
        httpx.post(tokens_url, content=b"{not json", headers=platform_key), 400, "INVALID_REQUEST"
    )
    assert_standard_error(
        httpx.post(tokens_url, json={"expires_in_seconds": -5}, headers=platform_key),
        400,
        "INVALID_REQUEST",
    )
    assert_standard_error(
        httpx.post(
            f"{sandbox_server.base_url}/connections/conn_missing/tokens",
            json={"label": "x"},
            headers=platform_key,
        ),
        404,
        "CONNECTION_NOT_FOUND",
    )
    assert_standard_error(
        httpx.delete(f"{tokens_url}/tok_nope", headers=platform_key), 404, "TOKEN_NOT_FOUND"
    )
    assert not SandboxToken.objects.exists()


@pytest.mark.django_db
def test_sandbox_fault_command_sets_fault_and_parameters(settings):
    settings.PATCHBAY_BASE_URL = "http://127.0.0.1:9"
    SandboxConnection.objects.create(upstream_id="conn_cmd")
    call_command("sandbox_fault", "conn_cmd", "flaky", "--percent", "30", "--no-webhook")
    call_command("sandbox_fault", "conn_cmd", "slow", "--latency-ms", "250", "--no-webhook")
    upstream = SandboxConnection.objects.get(upstream_id="conn_cmd")
    assert (upstream.fault, upstream.flaky_percent, upstream.latency_ms) == ("slow", 30, 250)


@pytest.mark.django_db
def test_sandbox_fault_command_rejects_unknown_connections_and_bad_values():
    SandboxConnection.objects.create(upstream_id="conn_cmd")
    with pytest.raises(CommandError, match="No sandbox connection"):
        call_command("sandbox_fault", "conn_missing", "healthy")
    with pytest.raises(CommandError, match="between 0 and 100"):
        call_command("sandbox_fault", "conn_cmd", "flaky", "--percent", "150")
    assert SandboxConnection.objects.get(upstream_id="conn_cmd").fault == "healthy"


@pytest.mark.django_db
def test_sandbox_fault_names_the_valid_ids_for_a_wrong_one():
    for n in (6, 7, 8):
        SandboxConnection.objects.create(upstream_id=f"conn_acme_{n:02d}")
    with pytest.raises(CommandError) as raised:
        call_command("sandbox_fault", "conn_acme_7", "healthy")
    message = str(raised.value)
    assert "Did you mean: conn_acme_07" in message
    assert "Valid upstream ids (3): conn_acme_06, conn_acme_07, conn_acme_08" in message


@pytest.mark.django_db
def test_sandbox_fault_without_any_connection_says_to_seed():
    with pytest.raises(CommandError, match="has none yet. Run `manage.py seed_demo`"):
        call_command("sandbox_fault", "conn_acme_07", "healthy")
