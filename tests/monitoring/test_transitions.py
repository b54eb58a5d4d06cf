"""The one writer of health: observations in, everything they imply written together."""

from datetime import UTC, datetime, timedelta

import pytest

from health.vocabulary import HealthStatus, Outcome
from monitoring import transitions
from monitoring.models import ConnectionEvent, ErrorLog, HealthCheck, Issue, Source
from monitoring.transitions import Observation
from tests.factories import ConnectionFactory
from upstream.protocol import StatusResult

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_observations_of_one_connection_apply_in_order(settings):
    settings.HEALTH_ERROR_AFTER_FAILURES = 2
    connection = ConnectionFactory(health_status=HealthStatus.HEALTHY, status_changed_at=T0)
    failures = [
        Observation(connection.pk, Outcome.UPSTREAM_ERROR, at=T0 + timedelta(minutes=i))
        for i in (1, 2)
    ]
    recorded = transitions.record(failures, source=Source.POLL)

    connection.refresh_from_db()
    assert (connection.health_status, connection.consecutive_failures) == (HealthStatus.ERROR, 2)
    assert [(e.from_status, e.to_status) for e in recorded.events] == [
        (HealthStatus.HEALTHY, HealthStatus.DEGRADED),
        (HealthStatus.DEGRADED, HealthStatus.ERROR),
    ]
    issue = Issue.objects.get(connection=connection)
    assert (issue.status, issue.opened_at) == (HealthStatus.ERROR, T0 + timedelta(minutes=1))


def test_a_status_call_is_kept_as_a_check_and_its_failure_in_the_error_log():
    connection = ConnectionFactory(health_status=HealthStatus.HEALTHY)
    result = StatusResult(
        outcome=Outcome.PERMISSION, http_status=403, error_code="PERMISSION_DENIED", request_id="r1"
    )
    transitions.record([Observation.of_status_call(connection.pk, result)], source=Source.POLL)

    check = HealthCheck.objects.get(connection=connection)
    assert (check.outcome, check.status_after, check.request_id) == (
        Outcome.PERMISSION,
        HealthStatus.DEGRADED,
        "r1",
    )
    assert ErrorLog.objects.get(connection=connection).error_code == "PERMISSION_DENIED"


def test_an_observation_older_than_the_last_change_is_left_out():
    connection = ConnectionFactory(health_status=HealthStatus.ERROR, status_changed_at=T0)
    late = Observation(connection.pk, Outcome.OK, at=T0 - timedelta(seconds=1), unless_older=True)
    recorded = transitions.record([late], source=Source.WEBHOOK)

    connection.refresh_from_db()
    assert recorded.stale == {connection.pk}
    assert connection.health_status == HealthStatus.ERROR
    assert not ConnectionEvent.objects.filter(connection=connection).exists()


def test_nothing_observed_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert transitions.record([], source=Source.POLL).checks == 0
