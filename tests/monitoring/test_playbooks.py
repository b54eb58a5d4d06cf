"""Playbooks and the next check, as tables: pure functions of what the connection page loaded."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from health.vocabulary import HealthStatus, Outcome
from monitoring import playbooks

NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
LATER = timedelta(minutes=9)


def error(message="", raw_body="", code="PERMISSION_DENIED"):
    return SimpleNamespace(message=message, raw_body=raw_body, error_code=code)


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (error(raw_body='{"error": {"details": {"permission": "work_orders:read"}}}'),
         "work_orders:read"),
        (error(raw_body='{"error": {"required_permission": "assets.write"}}'), "assets.write"),
        (error(message="The account lacks the permission 'po:approve' this call needs."),
         "po:approve"),
        (error(message="Forbidden.", raw_body="<html>403</html>"), ""),
        (error(raw_body='["not", "an", "object"]'), ""),
        (None, ""),
    ],
)  # fmt: skip
def test_the_permission_the_upstream_named(answer, named):
    assert playbooks.permission_named(answer) == named


@pytest.mark.parametrize(
    ("schedule", "has_token", "expected"),
    [
        (None, False, (None, "no active API token", None)),
        (SimpleNamespace(due_at=NOW + timedelta(seconds=30), backoff_until=None), True,
         (NOW + timedelta(seconds=30), "", None)),
        (SimpleNamespace(due_at=NOW + LATER, backoff_until=NOW + LATER), True,
         (NOW + LATER, "", NOW + LATER)),
        (SimpleNamespace(due_at=NOW - timedelta(seconds=5), backoff_until=NOW - timedelta(hours=1)),
         True, (NOW + timedelta(seconds=60), "", None)),
        (None, True, (NOW + timedelta(seconds=60), "", None)),
    ],
)  # fmt: skip
def test_when_the_next_check_is_or_why_there_is_none(schedule, has_token, expected):
    upcoming = playbooks.next_check(schedule=schedule, has_token=has_token, now=NOW, interval=60)
    at, why, limited = expected
    assert upcoming.at == at and why in upcoming.why_not
    assert upcoming.rate_limited_until == limited


def connection(status):
    return SimpleNamespace(health_status=status, status_changed_at=NOW,
                           get_system_display=lambda: "SAP S/4HANA")  # fmt: skip


def check(outcome, code="", latency_ms=40):
    return SimpleNamespace(outcome=outcome, error_code=code, latency_ms=latency_ms)


@pytest.mark.parametrize(
    ("status", "checks", "staff", "headline"),
    [
        (HealthStatus.HEALTHY, [check(Outcome.OK)], True, None),
        (HealthStatus.UNKNOWN, [check(Outcome.RATE_LIMITED)] * 3, True,
         "Health unknown: every check so far was rate limited"),
        (HealthStatus.UNKNOWN, [], False, "Not checked yet"),
        (HealthStatus.REAUTH_REQUIRED, [check(Outcome.REAUTH)], True,
         "The customer must reconnect"),
        (HealthStatus.REAUTH_REQUIRED, [check(Outcome.REAUTH)], False,
         "Sign in to SAP S/4HANA again to reconnect"),
        (HealthStatus.DISCONNECTED, [check(Outcome.DISCONNECTED)], True, "Disconnected upstream"),
        (HealthStatus.ERROR, [check(Outcome.UNREACHABLE, "TIMEOUT")], True, "Unreachable"),
        (HealthStatus.ERROR, [check(Outcome.NO_TOKEN, "TOKEN_MISSING")], True,
         "No usable API token"),
        (HealthStatus.ERROR, [check(Outcome.NO_TOKEN, "TOKEN_MISSING")], False,
         "This connection needs to be set up again"),
        (HealthStatus.DEGRADED, [check(Outcome.UPSTREAM_ERROR, "SYSTEM_UNAVAILABLE")], True,
         "Upstream error"),
        (HealthStatus.DEGRADED, [check(Outcome.UPSTREAM_ERROR)], False,
         "SAP S/4HANA is not answering properly"),
    ],
)  # fmt: skip
def test_a_playbook_per_outcome_for_support_and_for_the_customer(status, checks, staff, headline):
    book = playbooks.playbook_for(connection(status), staff=staff, checks=checks)
    assert (book.headline if book else None) == headline or headline in book.headline
