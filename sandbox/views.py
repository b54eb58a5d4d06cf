"""The sandbox's side of the upstream protocol: status, token issue/revoke, standard errors.

Every answer carries an `X-Request-ID` (the request's own, made here as a vendor would) and every
error has the body `{"error": {"code", "type", "message", "request_id"}}`.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import random
import uuid
from urllib.parse import urlencode, urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from sandbox.models import (
    MISSING_PERMISSION,
    Fault,
    SandboxAuthorization,
    SandboxConnection,
    SandboxToken,
    global_latency_ms,
    hash_token,
)

# The customer's "system password" the sandbox's sign-in page accepts (any user name).
SANDBOX_PASSWORD = "sandbox"  # noqa: S105 - a documented stand-in, not a secret
# Signing in again is what cures these faults, as with a real vendor.
CURED_BY_REAUTHORIZING = {Fault.REQUIRES_REAUTH, Fault.TOKEN_REVOKED}

ERROR_TYPES = {
    "AUTHENTICATION_FAILED": "authentication_error",
    "REAUTHORIZATION_REQUIRED": "authentication_error",
    "PERMISSION_DENIED": "permission_error",
    "RATE_LIMIT_EXCEEDED": "rate_limit_error",
    "CONNECTION_NOT_FOUND": "not_found_error",
    "TOKEN_NOT_FOUND": "not_found_error",
    "INVALID_REQUEST": "invalid_request_error",
    "SYSTEM_UNAVAILABLE": "api_error",
    "INTERNAL_ERROR": "api_error",
}


def error(request, status: int, code: str, message: str, **headers) -> JsonResponse:
    body = {
        "error": {
            "code": code,
            "type": ERROR_TYPES.get(code, "api_error"),
            "message": message,
            "request_id": request.request_id,
        }
    }
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex[:24]}"


def protocol(*methods: str):
    """Give the request a vendor-style id, answer a wrong method and any crash with the standard
    error body, never a Django page. Sync and async views alike."""

    def refuse(request) -> HttpResponse | None:
        request.request_id = new_request_id()
        if methods and request.method not in methods:
            response = error(request, 405, "INVALID_REQUEST", "Method not allowed.")
            response["Allow"] = ", ".join(methods)
            return response
        return None

    def crashed(request) -> HttpResponse:
        return error(request, 500, "INTERNAL_ERROR", "The sandbox failed unexpectedly.")

    def decorate(view):
        if asyncio.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(request, *args, **kwargs):
                response = refuse(request)
                if response is None:
                    try:
                        response = await view(request, *args, **kwargs)
                    except Exception:
                        response = crashed(request)
                response["X-Request-ID"] = request.request_id
                return response

            return csrf_exempt(async_wrapper)

        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            response = refuse(request)
            if response is None:
                try:
                    response = view(request, *args, **kwargs)
                except Exception:
                    response = crashed(request)
            response["X-Request-ID"] = request.request_id
            return response

        return csrf_exempt(wrapper)

    return decorate


def bearer(request) -> str:
    # META, not request.headers: building the headers view walks the whole WSGI environ, a
    # tenth of a status call's CPU.
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def platform_key_ok(request) -> bool:
    presented = bearer(request)
    return bool(presented) and hmac.compare_digest(
        presented.encode(), settings.UNIFIED_API_KEY.encode()
    )


def connection_for_token(request, upstream_id: str) -> SandboxConnection | HttpResponse:
    """The connection the request's own token opens, or the protocol's 401/403/404 answer."""
    presented = bearer(request)
    connection = SandboxConnection.objects.opened_by(hash_token(presented)) if presented else None
    if connection is None:
        return error(request, 401, "AUTHENTICATION_FAILED", "The token is missing or invalid.")
    if connection.upstream_id != upstream_id:
        if not SandboxConnection.objects.filter(upstream_id=upstream_id).exists():
            return error(request, 404, "CONNECTION_NOT_FOUND", "No such connection.")
        return error(request, 403, "PERMISSION_DENIED", "This token is for another connection.")
    return connection


@protocol()
def health(request):
    return JsonResponse({"status": "ok", "service": "patchbay-sandbox-upstream"})


@protocol("GET")
async def connection_status(request, upstream_id: str):
    """GET /v1/connections/{id}/status with the connection's own token.

    Async, so the simulated latency is a timer on the event loop, not a thread asleep: the
    sandbox holds a thousand calls in flight as a real vendor's API would. Only the token lookup
    runs in a thread, for the milliseconds it takes. run_sandbox answers this path with the same
    functions without Django's request cycle (sandbox/asgi.py).
    """
    arrived = asyncio.get_running_loop().time()
    found, latency_ms = await sync_to_async(status_lookup, thread_sensitive=False)(
        request, upstream_id
    )
    if isinstance(found, HttpResponse):
        return found
    await wait_out_latency(arrived, latency_ms)
    return status_answer(request, found)


async def wait_out_latency(arrived: float, latency_ms: int) -> None:
    """Answer `latency_ms` after the call arrived: the latency is the upstream's whole response
    time, the sandbox's own lookup included (as a vendor's 300 ms is)."""
    remaining = arrived + latency_ms / 1000 - asyncio.get_running_loop().time()
    if remaining > 0:
        await asyncio.sleep(remaining)


def status_lookup(request, upstream_id: str) -> tuple[SandboxConnection | HttpResponse, int]:
    """The connection the token opens (or the error answer) and the latency to play."""
    try:
        connection = connection_for_token(request, upstream_id)
        if isinstance(connection, HttpResponse):
            return connection, 0
        slow = connection.latency_ms if connection.fault == Fault.SLOW else 0
        return connection, global_latency_ms() + slow
    finally:
        # This thread is not the request's: close its connection as a request's end would.
        close_old_connections()


def status_answer(request, connection: SandboxConnection) -> HttpResponse:
    fault = connection.fault
    if fault == Fault.TOKEN_REVOKED:
        return error(request, 401, "AUTHENTICATION_FAILED", "The token has been revoked.")
    if fault == Fault.RATE_LIMITED:
        return error(
            request,
            429,
            "RATE_LIMIT_EXCEEDED",
            "Too many requests.",
            Retry_After=str(connection.retry_after_seconds),
        )
    if fault == Fault.SERVER_ERROR:
        return error(request, 500, "INTERNAL_ERROR", "The upstream system failed.")
    if fault == Fault.PERMISSION_DENIED:
        response = error(
            request,
            403,
            "PERMISSION_DENIED",
            f"The account lacks the permission '{MISSING_PERMISSION}' this call needs.",
        )
        body = json.loads(response.content)
        body["error"]["details"] = {"permission": MISSING_PERMISSION}
        response.content = json.dumps(body)
        return response
    if fault == Fault.FLAKY and random.randrange(100) < connection.flaky_percent:
        return error(request, 503, "SYSTEM_UNAVAILABLE", "The system is temporarily unavailable.")
    if fault == Fault.MALFORMED:
        return HttpResponse("<html><body>502 Bad Gateway</body></html>", content_type="text/html")
    last_error = None
    if fault == Fault.REQUIRES_REAUTH:
        last_error = {
            "code": "REAUTHORIZATION_REQUIRED",
            "type": "authentication_error",
            "message": "The customer must reauthorize this connection.",
            "request_id": request.request_id,
        }
    return JsonResponse(
        {
            "id": connection.upstream_id,
            "status": connection.status,
            "reauth_required": fault == Fault.REQUIRES_REAUTH,
            "last_sync_at": connection.last_sync_at.isoformat()
            if connection.last_sync_at
            else None,
            "last_error": last_error,
        }
    )


@protocol("POST")
def issue_token(request, upstream_id: str):
    """POST /v1/connections/{id}/tokens with the platform key: a new token, shown once."""
    if not platform_key_ok(request):
        return error(request, 401, "AUTHENTICATION_FAILED", "A valid platform key is required.")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return error(request, 400, "INVALID_REQUEST", "The body must be JSON.")
    if not isinstance(body, dict):
        return error(request, 400, "INVALID_REQUEST", "The body must be a JSON object.")
    label = body.get("label", "")
    expires_in = body.get("expires_in_seconds")
    if not isinstance(label, str) or len(label) > 100:
        return error(request, 400, "INVALID_REQUEST", "label must be a string of 100 or fewer.")
    if expires_in is not None and (
        not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in <= 0
    ):
        return error(request, 400, "INVALID_REQUEST", "expires_in_seconds must be positive.")
    connection = SandboxConnection.objects.filter(upstream_id=upstream_id).first()
    if connection is None:
        return error(request, 404, "CONNECTION_NOT_FOUND", "No such connection.")
    token, plaintext = connection.issue_token(label, expires_in)
    return JsonResponse(
        {
            "id": token.token_id,
            "token": plaintext,
            "created_at": token.created_at.isoformat(),
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
        status=201,
    )


@protocol("DELETE")
def revoke_token(request, upstream_id: str, token_id: str):
    """DELETE /v1/connections/{id}/tokens/{token_id}: revoked at once; revoking twice is fine."""
    if not platform_key_ok(request):
        return error(request, 401, "AUTHENTICATION_FAILED", "A valid platform key is required.")
    if not SandboxConnection.objects.filter(upstream_id=upstream_id).exists():
        return error(request, 404, "CONNECTION_NOT_FOUND", "No such connection.")
    token = SandboxToken.objects.filter(
        connection__upstream_id=upstream_id, token_id=token_id
    ).first()
    if token is None:
        return error(request, 404, "TOKEN_NOT_FOUND", "No such token on this connection.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return HttpResponse(status=204)


def _with_query(url: str, **params) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


@csrf_exempt  # the vendor's own sign-in page, on its own origin; `state` ties it to Patchbay
def authorize(request):
    """GET/POST /v1/oauth/authorize: the customer signs in to their system and is sent back
    to Patchbay's `redirect_uri` with a one-time code (or `error=access_denied`)."""
    params = request.POST if request.method == "POST" else request.GET
    upstream_id = params.get("connection", "")
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state", "")
    connection = SandboxConnection.objects.filter(upstream_id=upstream_id).first()
    if connection is None or urlsplit(redirect_uri).scheme not in ("http", "https"):
        return render(
            request,
            "sandbox/authorize.html",
            {"problem": "This sign-in link is not valid: unknown connection or return address."},
            status=400,
        )
    context = {"connection": connection, "redirect_uri": redirect_uri, "state": state}
    if request.method != "POST":
        return render(request, "sandbox/authorize.html", context)
    if "cancel" in request.POST:
        return HttpResponseRedirect(
            _with_query(
                redirect_uri,
                error="access_denied",
                error_description="The customer cancelled the sign-in.",
                state=state,
            )
        )
    username = request.POST.get("username", "").strip()
    if not username or not hmac.compare_digest(
        request.POST.get("password", "").encode(), SANDBOX_PASSWORD.encode()
    ):
        context["problem"] = "Invalid user name or password."
        context["username"] = username
        return render(request, "sandbox/authorize.html", context, status=200)
    code = SandboxAuthorization.grant(connection, redirect_uri, username)
    return HttpResponseRedirect(_with_query(redirect_uri, code=code, state=state))


@protocol("POST")
def exchange_code(request):
    """POST /v1/oauth/token with the platform key: a one-time code for a new connection token."""
    if not platform_key_ok(request):
        return error(request, 401, "AUTHENTICATION_FAILED", "A valid platform key is required.")
    try:
        body = json.loads(request.body or b"{}")
        code, redirect_uri = str(body["code"]), str(body["redirect_uri"])
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return error(request, 400, "INVALID_REQUEST", "Send JSON with code and redirect_uri.")
    with transaction.atomic():
        grant = (
            SandboxAuthorization.objects.redeemable()
            .select_related("connection")
            .filter(code_hash=hash_token(code), redirect_uri=redirect_uri)
            .first()
        )
        used = SandboxAuthorization.objects.filter(
            pk=getattr(grant, "pk", None), used_at__isnull=True
        ).update(used_at=timezone.now())
        if grant is None or not used:
            return error(
                request,
                400,
                "INVALID_REQUEST",
                "The authorization code is invalid, used or expired.",
            )
        connection = grant.connection
        if connection.fault in CURED_BY_REAUTHORIZING:
            connection.fault = Fault.HEALTHY
            connection.save(update_fields=["fault", "updated_at"])
        token, plaintext = connection.issue_token("reconnected")
    return JsonResponse(
        {
            "id": token.token_id,
            "token": plaintext,
            "connection_id": connection.upstream_id,
            "created_at": token.created_at.isoformat(),
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
        status=201,
    )


@protocol()
def not_found(request, exception=None):
    return error(request, 404, "INVALID_REQUEST", "No such endpoint.")


@protocol()
def server_error(request):
    return error(request, 500, "INTERNAL_ERROR", "The sandbox failed unexpectedly.")


@protocol("GET")
def connection_records(request, upstream_id: str, entity: str):
    """GET /v1/connections/{id}/records/{entity} with the connection's own token: sample records
    of the connection's system, spelled natively (from the mapping catalogs), read-only."""
    from mappings import catalogs, unified

    connection = connection_for_token(request, upstream_id)
    if isinstance(connection, HttpResponse):
        return connection
    if entity not in unified.ENTITIES:
        return error(
            request,
            400,
            "INVALID_REQUEST",
            f"Unknown entity {entity!r}; one of {', '.join(unified.ENTITIES)}.",
        )
    if not catalogs.is_supported(connection.system):
        return error(
            request, 400, "INVALID_REQUEST", f"No sample records for {connection.system!r}."
        )
    records = catalogs.catalog(connection.system, entity).samples
    return JsonResponse(
        {
            "connection": connection.upstream_id,
            "system": connection.system,
            "entity": entity,
            "data": records,
            "has_more": False,
        }
    )
