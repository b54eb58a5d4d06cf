"""The words of connection health, in one place: what a check saw (`Outcome`), the state a
connection is in (`HealthStatus`), and how bad each state is (`SEVERITY`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Case, IntegerField, Value, When


class HealthStatus(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    DEGRADED = "degraded", "Degraded"
    REAUTH_REQUIRED = "reauth_required", "Reauth required"
    ERROR = "error", "Error"
    DISCONNECTED = "disconnected", "Disconnected"
    UNKNOWN = "unknown", "Unknown"


class Outcome(models.TextChoices):
    """What one observation (a status call, a webhook) said about a connection."""

    OK = "ok", "OK"
    REAUTH = "reauth", "Reauthorization needed"
    PERMISSION = "permission", "Permission denied"
    RATE_LIMITED = "rate_limited", "Rate limited"
    UPSTREAM_ERROR = "upstream_error", "Upstream error"
    UNREACHABLE = "unreachable", "Unreachable"
    PROTOCOL_ERROR = "protocol_error", "Protocol error"
    DISCONNECTED = "disconnected", "Disconnected upstream"
    NO_TOKEN = "no_token", "No usable token"


# Worst first: what the issues queue sorts by and the uptime strip colours by.
SEVERITY = {
    HealthStatus.HEALTHY: 0,
    HealthStatus.UNKNOWN: 0,
    HealthStatus.DEGRADED: 1,
    HealthStatus.REAUTH_REQUIRED: 2,
    HealthStatus.DISCONNECTED: 3,
    HealthStatus.ERROR: 4,
}
UNHEALTHY = frozenset(status for status, rank in SEVERITY.items() if rank > 0)


def severity_rank(field: str) -> Case:
    """SEVERITY as a database expression over a status column, to sort or take the worst."""
    return Case(
        *[When(**{field: status}, then=Value(rank)) for status, rank in SEVERITY.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
