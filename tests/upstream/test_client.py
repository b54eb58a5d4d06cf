"""Answers the sandbox never gives, on purpose: wrong shapes, odd headers, unknown codes (respx)."""

from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
import respx
import time_machine

from health.vocabulary import Outcome
from upstream import client
from upstream.redaction import redact

SECRET = "sbx_secret-value-123"


@pytest.fixture
def upstream(settings):
    settings.UNIFIED_API_BASE_URL = "https://unified.example/v1"
    with respx.mock(base_url="https://unified.example/v1") as mock:
        yield mock.get("/connections/conn_1/status")


def status_of(route, response):
    route.mock(return_value=response)
    return client.get_status("conn_1", SECRET)


@pytest.mark.parametrize(
    "body",
    [
        [1, 2, 3],
        {"status": "sleeping"},
        {"status": "active", "reauth_required": "no"},
        {"status": "active", "last_error": "boom"},
        {},
    ],
)
def test_wrong_shapes_are_protocol_errors(upstream, body):
    result = status_of(upstream, httpx.Response(200, json=body))
    assert result.outcome == Outcome.PROTOCOL_ERROR


def test_error_code_decides_never_the_message(upstream):
    body = {"error": {"code": "PERMISSION_DENIED", "type": "x", "message": "please reauthorize"}}
    result = status_of(upstream, httpx.Response(401, json=body))
    assert result.outcome == Outcome.PERMISSION


def test_unknown_code_falls_back_to_the_http_status(upstream):
    body = {"error": {"code": "SOMETHING_NEW", "message": "?"}}
    assert status_of(upstream, httpx.Response(401, json=body)).outcome == Outcome.REAUTH
    assert status_of(upstream, httpx.Response(502, text="<html>")).outcome == (
        Outcome.UPSTREAM_ERROR
    )
    assert status_of(upstream, httpx.Response(418, text="teapot")).outcome == (
        Outcome.PROTOCOL_ERROR
    )


def test_syncing_is_ok_and_error_status_is_an_upstream_error(upstream):
    assert status_of(upstream, httpx.Response(200, json={"status": "syncing"})).ok
    body = {"status": "error", "last_error": {"code": "SYSTEM_UNAVAILABLE", "message": "SAP down"}}
    result = status_of(upstream, httpx.Response(200, json=body))
    assert (result.outcome, result.error_code) == (Outcome.UPSTREAM_ERROR, "SYSTEM_UNAVAILABLE")


@time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)
def test_retry_after_as_http_date_seconds_or_garbage(upstream):
    later = format_datetime(datetime(2026, 11, 23, 12, 2, tzinfo=UTC), usegmt=True)
    limited = {"error": {"code": "RATE_LIMIT_EXCEEDED"}}
    for header, seconds in [(later, 120), ("45", 45), ("soon", 60), ("999999", 3600)]:
        response = httpx.Response(429, json=limited, headers={"Retry-After": header})
        assert status_of(upstream, response).retry_after_seconds == seconds


def test_transport_failures_are_unreachable(upstream):
    upstream.mock(side_effect=httpx.ReadTimeout("slow"))
    assert client.get_status("conn_1", SECRET).error_code == "TIMEOUT"
    upstream.mock(side_effect=httpx.RemoteProtocolError("bye"))
    assert client.get_status("conn_1", SECRET).outcome == Outcome.UNREACHABLE


def test_the_token_is_sent_as_bearer_and_never_kept_in_the_result(upstream):
    upstream.mock(return_value=httpx.Response(500, text="echo Bearer sbx_secret-value-123"))
    result = client.get_status("conn_1", SECRET)
    assert upstream.calls.last.request.headers["Authorization"] == "Bearer sbx_secret-value-123"
    assert "sbx_secret-value-123" not in repr(result) + result.raw_body


def test_redaction_covers_secret_fields_and_known_values():
    raw = '{"token": "abc", "nested": {"api_key": "k", "note": "use whsec_AAAA"}, "ok": 1}'
    assert redact(raw) == (
        '{"token": "[redacted]", "nested": {"api_key": "[redacted]", "note": "use [redacted]"}, '
        '"ok": 1}'
    )
    assert redact("plain text with hunter2", known_secrets=("hunter2",)) == (
        "plain text with [redacted]"
    )
    assert redact(b"\xff" * 10000).__len__() <= 8000
