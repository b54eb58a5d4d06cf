"""Who does something, and from where: the `Actor` every domain function takes.

Views build it from the request, Celery tasks and management commands as the system; domain
code never sees Django's `HttpRequest`, so a view, a task, a command and the API call it alike.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model

from connections.middleware import NO_REQUEST, current_request_id


@dataclass(frozen=True)
class Actor:
    """A user (None for Patchbay itself, or for someone acting on a capability such as a
    reconnect link, named by `via`), the request id that traces the action, the client IP."""

    user: object | None = None
    request_id: str = ""
    ip_address: str | None = None
    via: str = ""

    @classmethod
    def from_request(cls, request) -> Actor:
        user = getattr(request, "user", None)
        return cls(
            user=user if user is not None and user.is_authenticated else None,
            request_id=getattr(request, "request_id", "") or "",
            ip_address=client_ip(request),
        )

    @classmethod
    def holder_of(cls, request, what: str) -> Actor:
        """Whoever holds `what` (e.g. "reconnect link #12"), acting with no user: a link grants
        no one's identity, even to a browser that is signed in."""
        return cls(
            request_id=getattr(request, "request_id", "") or "",
            ip_address=client_ip(request),
            via=f"holder of {what}",
        )

    @classmethod
    def system(cls) -> Actor:
        """Patchbay itself (a task, a command), with the request id it runs under, if any."""
        request_id = current_request_id()
        return cls(request_id="" if request_id == NO_REQUEST else request_id)

    @property
    def name(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        return self.via or "system"


def client_ip(request) -> str | None:
    """The address of the client: the audit trail's and django-axes' (AXES_CLIENT_IP_CALLABLE).

    Behind TRUSTED_PROXY_COUNT proxies (TRUST_PROXY_HEADERS), each appends the address it was
    called from to X-Forwarded-For, so the client's is that many entries from the end; entries
    further left are whatever the client sent and are never believed. Without a usable header
    (missing, too short, not an address) it is the connection's own address.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if not settings.TRUST_PROXY_HEADERS:
        return remote
    chain = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    count = settings.TRUSTED_PROXY_COUNT
    if len(chain) < count:
        return remote
    return _address(chain[-count]) or remote


def _address(text: str) -> str | None:
    """`text` as a normalised IPv4 or IPv6 address, or None when it is not one."""
    try:
        return str(ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]")))
    except ValueError:
        return None


def login_username(request, credentials: dict | None) -> str | None:
    """The user name a sign-in attempt used, as django-axes records it (AXES_USERNAME_CALLABLE):
    cut to the longest a user name can be, so a 100,000-character attempt is a failed sign-in,
    not a database error."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    longest = get_user_model()._meta.get_field("username").max_length
    return username[:longest] if isinstance(username, str) else None
