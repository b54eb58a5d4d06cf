"""Request ids: every request gets one, in the response header, every log line and the audit trail.

The id is set when Django starts handling a request (`request_started`) and cleared when the
response is closed (`request_finished`), not inside the middleware: Django logs its own
`django.request` lines about 4xx and 5xx answers after the middleware has returned. Celery tasks
a request sends carry the id in their headers into the worker's lines (config/celery.py).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.signals import request_finished, request_started

from upstream import client

NO_REQUEST = "-"
_current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default=NO_REQUEST
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
access_log = logging.getLogger("patchbay.access")


def current_request_id() -> str:
    return _current_request_id.get()


def use_request_id(request_id: str) -> None:
    """Log under this id from now on in this thread (a task adopting the id that sent it)."""
    _current_request_id.set(request_id or NO_REQUEST)


def request_id_from(headers) -> str:
    """A well-formed incoming X-Request-ID (from a proxy), or a new id."""
    incoming = headers.get("HTTP_X_REQUEST_ID", "")
    return incoming if _SAFE_ID.match(incoming) else f"pb_{uuid.uuid4().hex}"


def _request_started(sender, environ=None, **kwargs) -> None:
    use_request_id(request_id_from(environ) if environ is not None else NO_REQUEST)


def _request_finished(sender, **kwargs) -> None:
    use_request_id(NO_REQUEST)


request_started.connect(_request_started, dispatch_uid="patchbay-request-id")
request_finished.connect(_request_finished, dispatch_uid="patchbay-request-id")


class RequestIdMiddleware:
    """Give the request its id, echo it back, and log one access line under it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = current_request_id()
        if request_id == NO_REQUEST:  # a request no server started (RequestFactory)
            request_id = request_id_from(request.META)
            use_request_id(request_id)
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        access_log.info(
            "%s %s %s %.0fms",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy from settings, with the upstream's origin added to form-action.

    "Reconnect" posts here and is redirected to the upstream's sign-in page; browsers hold the
    redirect of a form post to the form-action of the page the form was on.
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        scheme, _, rest = client.base_url().partition("://")
        upstream_origin = f"{scheme}://{rest.split('/', 1)[0]}"
        parts.update = {**(parts.update or {}), "form-action": [upstream_origin]}
        return parts


class UserTimeZoneMiddleware:
    """Show every time in the signed-in user's own zone (UTC until they choose one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from django.utils import timezone

        user = getattr(request, "user", None)
        name = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        try:
            timezone.activate(ZoneInfo(name or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            timezone.activate(ZoneInfo("UTC"))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
