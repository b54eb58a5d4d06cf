"""Who does something, and from where: the `Actor` every domain function takes.

Views build it from the request, Celery tasks and management commands as the system; domain
code never sees Django's `HttpRequest`, so a view, a task, a command and the API call it alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from connections.middleware import current_request_id


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
        return cls(request_id="" if request_id == "-" else request_id)

    @property
    def name(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        return self.via or "system"


def client_ip(request) -> str | None:
    """The address the request came from."""
    return request.META.get("REMOTE_ADDR") or None
