"""The health state machine, in one place: polls, webhooks and "check now" all go through it.

healthy → degraded on a failure → error after K consecutive failures (HEALTH_ERROR_AFTER_FAILURES);
reauth needed → reauth_required at once; the upstream saying disconnected → disconnected at once;
a token Patchbay cannot use → error at once; only a success leaves error; success → healthy.
Rate limiting changes nothing but the schedule: it says nothing about the connection's health.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from health.vocabulary import HealthStatus, Outcome

# Failures that count towards K; the connection may recover by itself.
COUNTED_FAILURES = {
    Outcome.PERMISSION,
    Outcome.UPSTREAM_ERROR,
    Outcome.UNREACHABLE,
    Outcome.PROTOCOL_ERROR,
}
# States only a success (or an explicit upstream change) leaves: a flaky network while the
# customer must reauthorize does not make the connection any less in need of reauthorization.
STICKY = {HealthStatus.REAUTH_REQUIRED, HealthStatus.DISCONNECTED}


@dataclass(frozen=True)
class HealthState:
    status: str
    consecutive_failures: int = 0


@dataclass(frozen=True)
class Transition:
    """One observation applied: the state before and after, and why, for the ConnectionEvent."""

    before: HealthState
    after: HealthState
    reason: str
    at: datetime
    request_id: str = ""

    @property
    def changed(self) -> bool:
        return self.before.status != self.after.status


def next_state(
    current: HealthState, outcome: Outcome, *, error_after: int | None = None
) -> HealthState:
    """The state after one observation; pure, so the whole table is unit-tested."""
    k = max(1, error_after if error_after is not None else settings.HEALTH_ERROR_AFTER_FAILURES)
    failures = current.consecutive_failures + 1
    if outcome == Outcome.OK:
        return HealthState(HealthStatus.HEALTHY, 0)
    if outcome == Outcome.RATE_LIMITED:
        return current
    if outcome == Outcome.REAUTH:
        return HealthState(HealthStatus.REAUTH_REQUIRED, failures)
    if outcome == Outcome.DISCONNECTED:
        return HealthState(HealthStatus.DISCONNECTED, failures)
    if outcome == Outcome.NO_TOKEN:
        return HealthState(HealthStatus.ERROR, failures)
    if current.status in STICKY or current.status == HealthStatus.ERROR:
        return HealthState(current.status, failures)
    return HealthState(HealthStatus.ERROR if failures >= k else HealthStatus.DEGRADED, failures)


def reason_for(outcome: Outcome, error_code: str = "", message: str = "") -> str:
    """Why, in a line for the event log: the outcome, the upstream's code and its message."""
    parts = [Outcome(outcome).label]
    if error_code:
        parts.append(error_code)
    text = ": ".join(parts)
    return f"{text} ({message})"[:300] if message else text


def observe(
    connection, outcome: Outcome, *, at: datetime, reason: str = "", request_id: str = ""
) -> Transition:
    """Apply one observation to a Connection in memory (the caller saves, in bulk or not).

    Returns the transition; `transition.changed` tells the caller to write a ConnectionEvent.
    """
    before = HealthState(connection.health_status, connection.consecutive_failures)
    after = next_state(before, outcome)
    connection.consecutive_failures = after.consecutive_failures
    if outcome != Outcome.RATE_LIMITED:
        connection.last_checked_at = at
    if outcome == Outcome.OK:
        connection.last_success_at = at
    if after.status != before.status:
        connection.health_status = after.status
        connection.status_changed_at = at
    return Transition(before, after, reason or reason_for(outcome), at, request_id)
