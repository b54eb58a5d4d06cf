"""The health state machine on its own: the whole transition table, with K from settings."""

from datetime import UTC, datetime

import pytest

from connections.models import Connection
from health.state import HealthState, Outcome, next_state, observe, reason_for
from health.vocabulary import HealthStatus as H

FAILURES = [Outcome.UPSTREAM_ERROR, Outcome.UNREACHABLE, Outcome.PROTOCOL_ERROR, Outcome.PERMISSION]


@pytest.mark.parametrize(
    ("status", "failures", "outcome", "expected"),
    [
        (H.UNKNOWN, 0, Outcome.OK, (H.HEALTHY, 0)),
        (H.ERROR, 5, Outcome.OK, (H.HEALTHY, 0)),
        (H.REAUTH_REQUIRED, 2, Outcome.OK, (H.HEALTHY, 0)),
        (H.DISCONNECTED, 1, Outcome.OK, (H.HEALTHY, 0)),
        (H.HEALTHY, 0, Outcome.UPSTREAM_ERROR, (H.DEGRADED, 1)),
        (H.UNKNOWN, 0, Outcome.UNREACHABLE, (H.DEGRADED, 1)),
        (H.DEGRADED, 1, Outcome.PROTOCOL_ERROR, (H.DEGRADED, 2)),
        (H.DEGRADED, 2, Outcome.PERMISSION, (H.ERROR, 3)),
        (H.ERROR, 3, Outcome.UPSTREAM_ERROR, (H.ERROR, 4)),
        (H.ERROR, 0, Outcome.UNREACHABLE, (H.ERROR, 1)),
        (H.HEALTHY, 0, Outcome.REAUTH, (H.REAUTH_REQUIRED, 1)),
        (H.DEGRADED, 2, Outcome.REAUTH, (H.REAUTH_REQUIRED, 3)),
        (H.REAUTH_REQUIRED, 1, Outcome.UPSTREAM_ERROR, (H.REAUTH_REQUIRED, 2)),
        (H.REAUTH_REQUIRED, 9, Outcome.UNREACHABLE, (H.REAUTH_REQUIRED, 10)),
        (H.HEALTHY, 0, Outcome.DISCONNECTED, (H.DISCONNECTED, 1)),
        (H.DISCONNECTED, 1, Outcome.PROTOCOL_ERROR, (H.DISCONNECTED, 2)),
        (H.DISCONNECTED, 1, Outcome.REAUTH, (H.REAUTH_REQUIRED, 2)),
        (H.HEALTHY, 0, Outcome.NO_TOKEN, (H.ERROR, 1)),
        (H.HEALTHY, 0, Outcome.RATE_LIMITED, (H.HEALTHY, 0)),
        (H.DEGRADED, 2, Outcome.RATE_LIMITED, (H.DEGRADED, 2)),
        (H.REAUTH_REQUIRED, 1, Outcome.RATE_LIMITED, (H.REAUTH_REQUIRED, 1)),
    ],
)
def test_transition_table_with_k_3(status, failures, outcome, expected):
    assert next_state(HealthState(status, failures), outcome, error_after=3) == HealthState(
        *expected
    )


def test_k_comes_from_settings(settings):
    settings.HEALTH_ERROR_AFTER_FAILURES = 1
    assert next_state(HealthState(H.HEALTHY), Outcome.UNREACHABLE).status == H.ERROR
    settings.HEALTH_ERROR_AFTER_FAILURES = 5
    state = HealthState(H.HEALTHY)
    seen = []
    for _ in range(5):
        state = next_state(state, Outcome.UNREACHABLE)
        seen.append(state.status)
    assert seen == [H.DEGRADED] * 4 + [H.ERROR]


@pytest.mark.parametrize("outcome", FAILURES)
def test_k_consecutive_failures_of_any_kind_reach_error_and_one_success_heals(outcome):
    state = HealthState(H.HEALTHY)
    for _ in range(3):
        state = next_state(state, outcome, error_after=3)
    assert state.status == H.ERROR
    assert next_state(state, Outcome.OK, error_after=3) == HealthState(H.HEALTHY, 0)


def test_observe_updates_the_connection_in_memory_and_says_what_changed():
    at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    connection = Connection(health_status=H.HEALTHY, consecutive_failures=0)
    transition = observe(
        connection, Outcome.REAUTH, at=at, reason="token expired", request_id="req_1"
    )
    assert transition.changed
    assert (transition.before.status, transition.after.status) == (H.HEALTHY, H.REAUTH_REQUIRED)
    assert (connection.health_status, connection.status_changed_at) == (H.REAUTH_REQUIRED, at)
    assert connection.last_checked_at == at and connection.last_success_at is None
    assert transition.request_id == "req_1" and transition.reason == "token expired"

    later = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)
    again = observe(connection, Outcome.REAUTH, at=later)
    assert not again.changed
    assert connection.status_changed_at == at


def test_rate_limited_observation_is_not_a_check_of_health():
    connection = Connection(health_status=H.HEALTHY, consecutive_failures=0)
    observe(connection, Outcome.RATE_LIMITED, at=datetime(2026, 1, 1, tzinfo=UTC))
    assert connection.last_checked_at is None


def test_reason_names_outcome_code_and_message():
    assert reason_for(Outcome.REAUTH, "AUTHENTICATION_FAILED", "revoked") == (
        "Reauthorization needed: AUTHENTICATION_FAILED (revoked)"
    )
    assert reason_for(Outcome.OK) == "OK"
