"""What the upstream's answers mean: error codes, HTTP statuses and connection statuses, each
turned into an `Outcome` once, for status calls and webhooks alike.

Errors are told apart by their `error.code` (and the HTTP status when a body has none), never by
the message. Nothing the upstream sends raises out of `interpret_status`: every answer, garbage
included, becomes a `StatusResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from health.vocabulary import Outcome
from upstream.redaction import redact

# A connection's `status`, as the status endpoint and `connection.status_changed` webhooks say it.
STATUS_OUTCOMES = {
    "active": Outcome.OK,
    "syncing": Outcome.OK,
    "requires_reauth": Outcome.REAUTH,
    "error": Outcome.UPSTREAM_ERROR,
    "disconnected": Outcome.DISCONNECTED,
}
CODE_OUTCOMES = {
    "AUTHENTICATION_FAILED": Outcome.REAUTH,
    "REAUTHORIZATION_REQUIRED": Outcome.REAUTH,
    "PERMISSION_DENIED": Outcome.PERMISSION,
    "RATE_LIMIT_EXCEEDED": Outcome.RATE_LIMITED,
    "CONNECTION_NOT_FOUND": Outcome.DISCONNECTED,
    "INVALID_REQUEST": Outcome.PROTOCOL_ERROR,
    "SYSTEM_UNAVAILABLE": Outcome.UPSTREAM_ERROR,
    "INTERNAL_ERROR": Outcome.UPSTREAM_ERROR,
}
DEFAULT_RETRY_AFTER_SECONDS = 60
MAX_RETRY_AFTER_SECONDS = 3600


@dataclass(frozen=True)
class StatusResult:
    """What one status call told us, in the terms the health state machine understands."""

    outcome: Outcome
    http_status: int | None = None
    request_id: str = ""
    latency_ms: int = 0
    upstream_status: str = ""
    error_code: str = ""
    error_type: str = ""
    message: str = ""
    retry_after_seconds: int | None = None
    raw_body: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.OK


def outcome_of_status(status: object, *, reauth_required: bool = False) -> Outcome | None:
    """The outcome a connection status means; None for a status the protocol does not have."""
    if reauth_required:
        return Outcome.REAUTH
    return STATUS_OUTCOMES.get(status) if isinstance(status, str) else None


def outcome_of_http_status(status: int) -> Outcome:
    """For an error answer without a known `error.code`."""
    if status == 401:
        return Outcome.REAUTH
    if status == 403:
        return Outcome.PERMISSION
    if status == 429:
        return Outcome.RATE_LIMITED
    if status >= 500:
        return Outcome.UPSTREAM_ERROR
    return Outcome.PROTOCOL_ERROR


def parse_retry_after(value: str | None) -> int:
    """Seconds to wait, from delta-seconds or an HTTP date; a sane default when it is garbage."""
    if not value:
        return DEFAULT_RETRY_AFTER_SECONDS
    value = value.strip()
    try:
        seconds = int(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER_SECONDS
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = int((when - datetime.now(UTC)).total_seconds())
    return min(max(seconds, 1), MAX_RETRY_AFTER_SECONDS)


def error_result(response: httpx.Response, latency_ms: int) -> StatusResult:
    """A non-2xx answer: the outcome from `error.code`, or from the HTTP status without one."""
    request_id = response.headers.get("X-Request-ID", "")
    code = error_type = message = ""
    try:
        body = response.json()
        error = body["error"]
        code = str(error.get("code") or "")
        error_type = str(error.get("type") or "")
        message = str(error.get("message") or "")[:500]
        request_id = request_id or str(error.get("request_id") or "")
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    outcome = CODE_OUTCOMES.get(code) or outcome_of_http_status(response.status_code)
    if not message and not code:
        message = f"HTTP {response.status_code} without a standard error body"
    return StatusResult(
        outcome=outcome,
        http_status=response.status_code,
        request_id=request_id[:64],
        latency_ms=latency_ms,
        error_code=code[:64],
        error_type=error_type[:64],
        message=message,
        retry_after_seconds=(
            parse_retry_after(response.headers.get("Retry-After"))
            if outcome == Outcome.RATE_LIMITED
            else None
        ),
        raw_body=redact(response.content),
    )


def interpret_status(response: httpx.Response, latency_ms: int) -> StatusResult:
    """Turn any HTTP answer to a status call into a result; never raises."""
    if not response.is_success:
        return error_result(response, latency_ms)
    request_id = response.headers.get("X-Request-ID", "")[:64]

    def protocol_error(why: str) -> StatusResult:
        return StatusResult(
            outcome=Outcome.PROTOCOL_ERROR,
            http_status=response.status_code,
            request_id=request_id,
            latency_ms=latency_ms,
            error_code="PROTOCOL_ERROR",
            message=why,
            raw_body=redact(response.content),
        )

    try:
        body = response.json()
    except ValueError:
        return protocol_error("The status answer is not JSON.")
    if not isinstance(body, dict):
        return protocol_error("The status answer is not a JSON object.")
    status = body.get("status")
    reauth_required = body.get("reauth_required", False)
    last_error = body.get("last_error")
    if outcome_of_status(status) is None:
        return protocol_error(f"Unknown connection status {str(status)[:40]!r}.")
    if not isinstance(reauth_required, bool) or not (
        last_error is None or isinstance(last_error, dict)
    ):
        return protocol_error("The status answer has fields of the wrong type.")
    last_error = last_error or {}
    outcome = outcome_of_status(status, reauth_required=reauth_required)
    return StatusResult(
        outcome=outcome,
        http_status=response.status_code,
        request_id=request_id,
        latency_ms=latency_ms,
        upstream_status=status,
        error_code=str(last_error.get("code") or "")[:64],
        error_type=str(last_error.get("type") or "")[:64],
        message=str(last_error.get("message") or "")[:500],
        raw_body="" if outcome == Outcome.OK else redact(response.content),
    )


def transport_failure(exc: Exception, latency_ms: int) -> StatusResult:
    """Timeouts, refused connections and DNS failures: the upstream could not be reached."""
    if isinstance(exc, httpx.TimeoutException):
        code, message = "TIMEOUT", "The upstream did not answer in time."
    elif isinstance(exc, httpx.ConnectError):
        code, message = "CONNECT_FAILED", "The upstream refused the connection or has no address."
    else:
        code, message = "TRANSPORT_ERROR", f"The call failed on the wire ({type(exc).__name__})."
    return StatusResult(
        outcome=Outcome.UNREACHABLE, latency_ms=latency_ms, error_code=code, message=message
    )
