"""The unified API client: one function per upstream call, each outcome a typed result.

Errors are told apart by their `error.code` (and the HTTP status when a body has none), never by
the message. Nothing the upstream sends raises out of `get_status`: every answer, including
garbage and silence, becomes a `StatusResult` the poller can record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx
from django.conf import settings

from connections.crypto import TokenDecryptionError
from monitoring.redaction import redact
from monitoring.state import Outcome
from monitoring.transport import AiohttpTransport

UPSTREAM_STATUSES = {"active", "syncing", "requires_reauth", "error", "disconnected"}
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


@dataclass(frozen=True)
class IssuedToken:
    """A token just issued upstream; `token` is the plaintext, to encrypt at once and forget."""

    id: str
    token: str = field(repr=False)
    created_at: datetime
    expires_at: datetime | None


class UpstreamCallError(Exception):
    """A token call the upstream refused or could not answer; `result` says how, by code."""

    def __init__(self, result: StatusResult):
        super().__init__(f"{result.outcome}: {result.error_code or result.message}")
        self.result = result


def base_url() -> str:
    return settings.UNIFIED_API_BASE_URL.rstrip("/")


def timeout() -> httpx.Timeout:
    seconds = settings.UNIFIED_API_TIMEOUT_SECONDS
    return httpx.Timeout(seconds, connect=min(seconds, 5.0))


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


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
        problem = body["error"]
        code = str(problem.get("code") or "")
        error_type = str(problem.get("type") or "")
        message = str(problem.get("message") or "")[:500]
        request_id = request_id or str(problem.get("request_id") or "")
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    outcome = CODE_OUTCOMES.get(code)
    if outcome is None:
        status = response.status_code
        if status == 401:
            outcome = Outcome.REAUTH
        elif status == 403:
            outcome = Outcome.PERMISSION
        elif status == 429:
            outcome = Outcome.RATE_LIMITED
        elif status >= 500:
            outcome = Outcome.UPSTREAM_ERROR
        else:
            outcome = Outcome.PROTOCOL_ERROR
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
    if status not in UPSTREAM_STATUSES:
        return protocol_error(f"Unknown connection status {str(status)[:40]!r}.")
    if not isinstance(reauth_required, bool) or not (
        last_error is None or isinstance(last_error, dict)
    ):
        return protocol_error("The status answer has fields of the wrong type.")
    last_error = last_error or {}
    if reauth_required or status == "requires_reauth":
        outcome = Outcome.REAUTH
    elif status == "disconnected":
        outcome = Outcome.DISCONNECTED
    elif status == "error":
        outcome = Outcome.UPSTREAM_ERROR
    else:
        outcome = Outcome.OK
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


def no_token(reason: str, code: str) -> StatusResult:
    return StatusResult(outcome=Outcome.NO_TOKEN, error_code=code, message=reason)


def status_url(upstream_id: str) -> str:
    """Percent-encoded here, so the sweep's transport can send it as it is: the id is one path
    segment whatever characters it holds."""
    return f"{base_url()}/connections/{quote(upstream_id, safe='')}/status"


def _decrypt(token) -> tuple[str | None, StatusResult | None]:
    if token is None:
        return None, no_token(
            "This connection has no active API token: issue one or reconnect.", "TOKEN_MISSING"
        )
    try:
        return token.plaintext(), None
    except TokenDecryptionError:
        return None, no_token(
            "The connection's token cannot be decrypted with the configured "
            "TOKEN_ENCRYPTION_KEYS (a key was retired too soon): restore the key or reissue.",
            "TOKEN_UNDECRYPTABLE",
        )


def get_status(upstream_id: str, token, *, http: httpx.Client | None = None) -> StatusResult:
    """GET the status with the connection's token (`ApiToken` or `CallToken`; None if none)."""
    plaintext, failure = _decrypt(token)
    if failure:
        return failure
    started = time.perf_counter()
    try:
        if http is None:
            with httpx.Client(timeout=timeout()) as own:
                response = own.get(status_url(upstream_id), headers=_bearer(plaintext))
        else:
            response = http.get(status_url(upstream_id), headers=_bearer(plaintext))
    except httpx.HTTPError as exc:
        return transport_failure(exc, _elapsed_ms(started))
    return interpret_status(response, _elapsed_ms(started))


async def get_status_async(transport: AiohttpTransport, upstream_id: str, token) -> StatusResult:
    """The same call for a batch: the token is decrypted just before its own request.

    A sweep sends thousands of these, so it goes straight to the transport: a client's cookies,
    auth flow, redirects and header merging were a third of the poller's CPU and none of them
    apply to this one GET.
    """
    plaintext, failure = _decrypt(token)
    if failure:
        return failure
    started = time.perf_counter()
    try:
        response = await transport.send(
            "GET",
            status_url(upstream_id),
            _bearer(plaintext),
            timeout=timeout().as_dict(),
        )
    except httpx.HTTPError as exc:
        return transport_failure(exc, _elapsed_ms(started))
    return interpret_status(response, _elapsed_ms(started))


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _platform_call(method: str, path: str, **kwargs) -> httpx.Response:
    started = time.perf_counter()
    try:
        with httpx.Client(timeout=timeout()) as http:
            response = http.request(
                method, f"{base_url()}{path}", headers=_bearer(settings.UNIFIED_API_KEY), **kwargs
            )
    except httpx.HTTPError as exc:
        raise UpstreamCallError(transport_failure(exc, _elapsed_ms(started))) from exc
    if not response.is_success:
        raise UpstreamCallError(error_result(response, _elapsed_ms(started)))
    return response


def _parse_time(value) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def issue_token(
    upstream_id: str, label: str = "", expires_in_seconds: int | None = None
) -> IssuedToken:
    """POST a new token for the connection; raises UpstreamCallError with the outcome."""
    payload: dict = {"label": label}
    if expires_in_seconds is not None:
        payload["expires_in_seconds"] = expires_in_seconds
    return _issued_token(_platform_call("POST", f"/connections/{upstream_id}/tokens", json=payload))


def exchange_authorization_code(code: str, redirect_uri: str) -> IssuedToken:
    """Trade a reconnect's one-time code for a token, server to server; raises
    UpstreamCallError with the outcome."""
    return _issued_token(
        _platform_call("POST", "/oauth/token", json={"code": code, "redirect_uri": redirect_uri})
    )


def _issued_token(response: httpx.Response) -> IssuedToken:
    try:
        body = response.json()
        return IssuedToken(
            id=str(body["id"]),
            token=str(body["token"]),
            created_at=_parse_time(body.get("created_at")) or datetime.now(UTC),
            expires_at=_parse_time(body.get("expires_at")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise UpstreamCallError(
            StatusResult(
                outcome=Outcome.PROTOCOL_ERROR,
                http_status=response.status_code,
                request_id=response.headers.get("X-Request-ID", "")[:64],
                error_code="PROTOCOL_ERROR",
                message="The token answer does not have the expected shape.",
                raw_body=redact(response.content),
            )
        ) from exc


def revoke_token(upstream_id: str, upstream_token_id: str) -> None:
    """DELETE the token upstream; raises UpstreamCallError with the outcome."""
    _platform_call("DELETE", f"/connections/{upstream_id}/tokens/{upstream_token_id}")
