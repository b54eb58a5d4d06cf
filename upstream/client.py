"""The unified API client: one function per upstream call, each outcome a typed result.

Status calls answer a `StatusResult` whatever comes back (`protocol.interpret_status`); token
calls raise `UpstreamCallError` carrying one. Callers hand in the secret to send, decrypted just
before the call and forgotten after it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
from django.conf import settings

from health.vocabulary import Outcome
from upstream.protocol import StatusResult, error_result, interpret_status, transport_failure
from upstream.redaction import redact
from upstream.transport import AiohttpTransport

__all__ = ["StatusResult", "IssuedToken", "UpstreamCallError"]


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


def status_url(upstream_id: str) -> str:
    """Percent-encoded here, so the sweep's transport can send it as it is: the id is one path
    segment whatever characters it holds."""
    return f"{base_url()}/connections/{quote(upstream_id, safe='')}/status"


def get_status(upstream_id: str, secret: str, *, http: httpx.Client | None = None) -> StatusResult:
    """GET the connection's status with its token's `secret`; never raises."""
    started = time.perf_counter()
    try:
        if http is None:
            with httpx.Client(timeout=timeout()) as own:
                response = own.get(status_url(upstream_id), headers=_bearer(secret))
        else:
            response = http.get(status_url(upstream_id), headers=_bearer(secret))
    except httpx.HTTPError as exc:
        return transport_failure(exc, _elapsed_ms(started))
    return interpret_status(response, _elapsed_ms(started))


async def get_status_async(
    transport: AiohttpTransport, upstream_id: str, secret: str
) -> StatusResult:
    """The same call for a sweep's batch.

    A sweep sends thousands of these, so it goes straight to the transport: a client's cookies,
    auth flow, redirects and header merging were a third of the poller's CPU and none of them
    apply to this one GET.
    """
    started = time.perf_counter()
    try:
        response = await transport.send(
            "GET",
            status_url(upstream_id),
            _bearer(secret),
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
        raise _wrong_shape(response, "token") from exc


def revoke_token(upstream_id: str, upstream_token_id: str) -> None:
    """DELETE the token upstream; raises UpstreamCallError with the outcome."""
    _platform_call("DELETE", f"/connections/{upstream_id}/tokens/{upstream_token_id}")


def get_records(upstream_id: str, entity: str, secret: str) -> list:
    """GET the connection's records of `entity` with its token's `secret` (a page of them, as
    the upstream answers); raises UpstreamCallError with the outcome."""
    started = time.perf_counter()
    url = f"{base_url()}/connections/{quote(upstream_id, safe='')}/records/{quote(entity, safe='')}"
    try:
        with httpx.Client(timeout=timeout()) as http:
            response = http.get(url, headers=_bearer(secret))
    except httpx.HTTPError as exc:
        raise UpstreamCallError(transport_failure(exc, _elapsed_ms(started))) from exc
    if not response.is_success:
        raise UpstreamCallError(error_result(response, _elapsed_ms(started)))
    try:
        records = response.json()["data"]
    except (ValueError, KeyError, TypeError):
        records = None
    if not isinstance(records, list):
        raise _wrong_shape(response, "records")
    return records


def _wrong_shape(response: httpx.Response, what: str) -> UpstreamCallError:
    """A 2xx answer Patchbay cannot read, as the error a refusal would be."""
    return UpstreamCallError(
        StatusResult(
            outcome=Outcome.PROTOCOL_ERROR,
            http_status=response.status_code,
            request_id=response.headers.get("X-Request-ID", "")[:64],
            error_code="PROTOCOL_ERROR",
            message=f"The {what} answer does not have the expected shape.",
            raw_body=redact(response.content),
        )
    )
