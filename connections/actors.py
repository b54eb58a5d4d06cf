"""Who does something, and from where: the `Actor` every domain function takes.

Views build it from the request, Celery tasks and management commands as the system; domain
code never sees Django's `HttpRequest`, so a view, a task, a command and the API call it alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from connections.middleware import current_request_id


@dataclass(frozen=True)
class Actor:
    """A user (None for Patchbay itself), the request id that traces the action, the client IP."""

    user: object | None = None
    request_id: str = ""
    ip_address: str | None = None

    @classmethod
    def from_request(cls, request) -> Actor:
        user = getattr(request, "user", None)
        return cls(
            user=user if user is not None and user.is_authenticated else None,
            request_id=getattr(request, "request_id", "") or "",
            ip_address=client_ip(request),
        )

    @classmethod
    def system(cls) -> Actor:
        """Patchbay itself (a task, a command), with the request id it runs under, if any."""
        request_id = current_request_id()
        return cls(request_id="" if request_id == "-" else request_id)

    @property
    def name(self) -> str:
        return self.user.get_username() if self.user is not None else "system"


def client_ip(request) -> str | None:
    """The address the request came from."""
    return request.META.get("REMOTE_ADDR") or None
