"""Status calls against the real sandbox on loopback: every fault becomes the right health result.

Tests taking the `get_status` fixture (tests/monitoring/conftest.py) run once per way a status
call goes out: on its own and in a sweep.
"""

import socket

import pytest
from cryptography.fernet import Fernet

from health.vocabulary import Outcome
from sandbox.models import SandboxConnection, SandboxToken
from tests.factories import ApiTokenFactory, ConnectionFactory, linked_connection
from upstream import client


@pytest.fixture
def poll(get_status):
    return lambda connection: get_status(connection.upstream_id, connection.tokens.active().first())


def test_healthy_connection_is_ok_with_the_upstream_request_id(sandbox_server, poll):
    result = poll(linked_connection())
    assert result.outcome == Outcome.OK
    assert result.http_status == 200
    assert result.upstream_status == "active"
    assert result.request_id.startswith("req_")
    assert result.raw_body == ""


def test_an_id_with_characters_a_url_must_escape_reaches_its_connection(sandbox_server, poll):
    connection = linked_connection()
    odd_id = "plant 7 ERP?v=2#a"
    SandboxConnection.objects.filter(upstream_id=connection.upstream_id).update(upstream_id=odd_id)
    connection.upstream_id = odd_id
    connection.save(update_fields=["upstream_id"])

    assert client.status_url(odd_id).endswith("/connections/plant%207%20ERP%3Fv%3D2%23a/status")
    assert client.status_url("a/b").endswith("/connections/a%2Fb/status")  # one path segment
    result = poll(connection)
    assert (result.outcome, result.http_status) == (Outcome.OK, 200)


@pytest.mark.parametrize(
    ("fault", "extra", "outcome", "http_status", "code"),
    [
        ("requires_reauth", {}, Outcome.REAUTH, 200, "REAUTHORIZATION_REQUIRED"),
        ("token_revoked", {}, Outcome.REAUTH, 401, "AUTHENTICATION_FAILED"),
        ("rate_limited", {"retry_after_seconds": 17}, Outcome.RATE_LIMITED, 429,
         "RATE_LIMIT_EXCEEDED"),
        ("server_error", {}, Outcome.UPSTREAM_ERROR, 500, "INTERNAL_ERROR"),
        ("flaky", {"flaky_percent": 100}, Outcome.UPSTREAM_ERROR, 503, "SYSTEM_UNAVAILABLE"),
        ("flaky", {"flaky_percent": 0}, Outcome.OK, 200, ""),
        ("slow", {"latency_ms": 30}, Outcome.OK, 200, ""),
        ("malformed", {}, Outcome.PROTOCOL_ERROR, 200, "PROTOCOL_ERROR"),
        ("disconnected", {}, Outcome.DISCONNECTED, 200, ""),
    ],
)  # fmt: skip
def test_every_fault_maps_to_its_health_result(
    sandbox_server, poll, fault, extra, outcome, http_status, code
):
    result = poll(linked_connection(fault=fault, **extra))
    assert (result.outcome, result.http_status, result.error_code) == (outcome, http_status, code)
    assert result.request_id.startswith("req_")
    if fault == "rate_limited":
        assert result.retry_after_seconds == 17


def test_error_answers_keep_a_redacted_raw_body(sandbox_server, poll):
    result = poll(linked_connection(fault="server_error"))
    assert '"code": "INTERNAL_ERROR"' in result.raw_body
    assert result.request_id in result.raw_body


def test_slow_upstream_past_the_timeout_is_unreachable(sandbox_server, settings, poll):
    settings.UNIFIED_API_TIMEOUT_SECONDS = 0.2
    result = poll(linked_connection(fault="slow", latency_ms=2000))
    assert (result.outcome, result.error_code) == (Outcome.UNREACHABLE, "TIMEOUT")


def test_refused_connection_is_unreachable(db, settings, get_status):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.UNIFIED_API_BASE_URL = f"http://127.0.0.1:{port}/v1"
    connection = ConnectionFactory()

    result = get_status(connection.upstream_id, ApiTokenFactory(connection=connection))
    assert (result.outcome, result.error_code) == (Outcome.UNREACHABLE, "CONNECT_FAILED")


def test_unresolvable_host_is_unreachable(db, settings, get_status):
    settings.UNIFIED_API_BASE_URL = "http://no-such-host.invalid/v1"

    token = ApiTokenFactory()
    result = get_status(token.connection.upstream_id, token)
    assert (result.outcome, result.error_code) == (Outcome.UNREACHABLE, "CONNECT_FAILED")


def test_no_token_and_undecryptable_token_are_clear_errors_without_a_call(
    sandbox_server, settings, get_status
):
    bare = ConnectionFactory()
    result = get_status(bare.upstream_id, None)
    assert (result.outcome, result.error_code) == (Outcome.NO_TOKEN, "TOKEN_MISSING")
    assert "no active API token" in result.message

    linked = linked_connection()
    token = linked.tokens.get()
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    result = get_status(linked.upstream_id, token)
    assert (result.outcome, result.error_code) == (Outcome.NO_TOKEN, "TOKEN_UNDECRYPTABLE")
    assert "TOKEN_ENCRYPTION_KEYS" in result.message


def test_issue_then_revoke_a_token_through_the_client(sandbox_server):
    SandboxConnection.objects.create(upstream_id="conn_client_tokens")
    issued = client.issue_token("conn_client_tokens", "rotation", expires_in_seconds=600)
    assert issued.id.startswith("tok_") and issued.expires_at is not None
    assert issued.token not in repr(issued)

    assert client.get_status("conn_client_tokens", issued.token).outcome == Outcome.OK
    client.revoke_token("conn_client_tokens", issued.id)
    assert SandboxToken.objects.get(token_id=issued.id).revoked_at is not None
    result = client.get_status("conn_client_tokens", issued.token)
    assert (result.outcome, result.error_code) == (Outcome.REAUTH, "AUTHENTICATION_FAILED")


def test_token_calls_raise_with_the_outcome_by_code(sandbox_server):
    with pytest.raises(client.UpstreamCallError) as missing:
        client.issue_token("conn_does_not_exist", "x")
    assert missing.value.result.error_code == "CONNECTION_NOT_FOUND"
    assert missing.value.result.outcome == Outcome.DISCONNECTED

    SandboxConnection.objects.create(upstream_id="conn_key_test")
    with pytest.raises(client.UpstreamCallError) as unknown:
        client.revoke_token("conn_key_test", "tok_unknown")
    assert (unknown.value.result.http_status, unknown.value.result.error_code) == (
        404,
        "TOKEN_NOT_FOUND",
    )
    assert not SandboxToken.objects.exists()
