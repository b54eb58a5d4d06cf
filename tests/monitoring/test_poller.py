"""The poller against the real sandbox on loopback: sweeps, batches, backoff, idempotent writes."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import time_machine
from cryptography.fernet import Fernet
from django import db
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connections.models import Connection
from health.vocabulary import HealthStatus, Outcome
from monitoring import poller, sweeps, transitions
from monitoring.models import (
    ConnectionEvent,
    ErrorLog,
    HealthCheck,
    HealthCheckRow,
    Notification,
    PollSchedule,
    Source,
    Sweep,
)
from monitoring.transitions import Observation
from tests.factories import ApiTokenFactory, ConnectionFactory, linked_connection
from upstream.client import StatusResult


def record_results(results):
    """Poll results through the one write path, as a batch outside any sweep writes them."""
    transitions.record(
        [Observation.of_status_call(pk, result) for pk, result in results.items()],
        source=Source.POLL,
    )


def run_sweep(batch_size=100):
    """One tick and its batches, as workers run them."""
    plan = sweeps.plan_sweep(batch_size=batch_size)
    assert plan is not None
    for batch_id in plan.batch_ids:
        assert poller.run_batch(batch_id, "test-worker", concurrency=4) is not None
    return plan


def next_tick(clock, settings):
    clock.shift(timedelta(seconds=settings.POLL_INTERVAL_SECONDS))


def status_of(connection):
    connection.refresh_from_db()
    return connection.health_status


def test_a_sweep_polls_every_connection_and_writes_what_it_saw(sandbox_server):
    healthy = linked_connection(fault="healthy")
    reauth = linked_connection(fault="requires_reauth")
    failing = linked_connection(fault="server_error")
    malformed = linked_connection(fault="malformed")
    gone = linked_connection(fault="disconnected")

    plan = run_sweep(batch_size=2)

    assert [len(batch) for batch in plan.batches] == [2, 2, 1]
    assert status_of(healthy) == HealthStatus.HEALTHY
    assert status_of(reauth) == HealthStatus.REAUTH_REQUIRED
    assert status_of(failing) == HealthStatus.DEGRADED
    assert status_of(malformed) == HealthStatus.DEGRADED
    assert status_of(gone) == HealthStatus.DISCONNECTED
    assert HealthCheck.objects.filter(sweep_id=plan.sweep_id).count() == 5
    check = HealthCheck.objects.get(connection=failing)
    assert (check.http_status, check.error_code, check.status_after) == (
        500,
        "INTERNAL_ERROR",
        HealthStatus.DEGRADED,
    )
    assert check.request_id.startswith("req_")
    event = ConnectionEvent.objects.get(connection=reauth)
    assert (event.from_status, event.to_status) == (HealthStatus.HEALTHY, "reauth_required")
    assert "REAUTHORIZATION_REQUIRED" in event.reason and event.request_id.startswith("req_")
    logged = ErrorLog.objects.with_request_id(check.request_id).get()
    assert logged.connection == failing and logged.customer == failing.customer
    assert '"INTERNAL_ERROR"' in logged.raw_body
    sweep = Sweep.objects.get(pk=plan.sweep_id)
    assert sweep.finished_at is not None and sweep.batches_done == 3


def test_k_consecutive_failed_sweeps_put_a_connection_in_error(sandbox_server, settings):
    settings.HEALTH_ERROR_AFTER_FAILURES = 3
    failing = linked_connection(fault="flaky", flaky_percent=100)
    seen = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            run_sweep()
            seen.append(status_of(failing))
            clock.shift(timedelta(seconds=settings.POLL_INTERVAL_SECONDS))
    assert seen == ["degraded", "degraded", "error"]
    assert failing.consecutive_failures == 3


def test_no_double_poll_in_an_interval_and_due_again_after_it(sandbox_server, settings):
    connection = linked_connection()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        run_sweep()
        clock.shift(timedelta(seconds=30))
        assert sweeps.plan_sweep() is None, "one tick per interval, however many beats"
        clock.shift(timedelta(seconds=settings.POLL_INTERVAL_SECONDS - 30))
        third = run_sweep()
    assert third.batches == [[connection.pk]]
    assert HealthCheck.objects.filter(connection=connection).count() == 2


def test_a_redelivered_batch_writes_nothing_twice(sandbox_server):
    failing = linked_connection(fault="server_error")
    plan = sweeps.plan_sweep()
    batch = plan.batches[0]
    assert poller.poll_batch(plan.sweep_id, batch) == 1
    assert poller.poll_batch(plan.sweep_id, batch) == 0
    failing.refresh_from_db()
    assert failing.consecutive_failures == 1
    assert HealthCheck.objects.filter(connection=failing).count() == 1
    assert ErrorLog.objects.filter(connection=failing).count() == 1


def test_rate_limited_connection_backs_off_until_retry_after(sandbox_server, settings):
    limited = linked_connection(fault="rate_limited", retry_after_seconds=600)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        run_sweep()
        schedule = PollSchedule.objects.get(connection=limited)
        assert schedule.backoff_until == timezone.now() + timedelta(seconds=600)
        assert status_of(limited) == HealthStatus.HEALTHY
        clock.shift(timedelta(seconds=settings.POLL_INTERVAL_SECONDS * 2))
        assert sweeps.plan_sweep().batches == []
        clock.shift(timedelta(seconds=600))
        assert sweeps.plan_sweep().batches == [[limited.pk]]


def test_connections_without_a_usable_token_get_a_clear_error_and_the_run_goes_on(
    sandbox_server, settings
):
    bare = ConnectionFactory()
    locked = ConnectionFactory()
    # Encrypted with a key since retired: no configured key decrypts it.
    token = ApiTokenFactory(connection=locked)
    token.ciphertext = Fernet(Fernet.generate_key()).encrypt(b"sbx_retired")
    token.save()
    healthy = linked_connection()
    run_sweep()
    assert status_of(bare) == HealthStatus.ERROR
    assert status_of(locked) == HealthStatus.ERROR
    assert status_of(healthy) == HealthStatus.HEALTHY
    assert "no active API token" in ErrorLog.objects.get(connection=bare).message
    assert ErrorLog.objects.get(connection=locked).error_code == "TOKEN_UNDECRYPTABLE"
    assert "TOKEN_MISSING" in ConnectionEvent.objects.get(connection=bare).reason


def test_an_unreachable_upstream_is_recorded_not_raised(db, settings):
    settings.UNIFIED_API_BASE_URL = "http://127.0.0.1:9/v1"
    connection = ConnectionFactory()
    ApiTokenFactory(connection=connection)
    run_sweep()
    check = HealthCheck.objects.get(connection=connection)
    assert (check.outcome, check.error_code) == ("unreachable", "CONNECT_FAILED")


def test_check_now_polls_one_connection_outside_the_sweep(sandbox_server):
    connection = linked_connection(fault="token_revoked")
    result = poller.poll_one(connection.pk)
    assert result.error_code == "AUTHENTICATION_FAILED"
    assert status_of(connection) == HealthStatus.REAUTH_REQUIRED
    check = HealthCheck.objects.get(connection=connection)
    assert (check.source, check.sweep_id) == ("check_now", None)
    assert poller.poll_one(987654) is None


def test_the_batch_writes_in_bulk(sandbox_server, django_assert_max_num_queries):
    connections = [linked_connection(fault="server_error") for _ in range(12)]
    plan = sweeps.plan_sweep()
    # 20 for health itself; the rest opens the issues, their events and webhooks, and the
    # incident twelve connections of one system failing at once make (monitoring/incidents.py).
    with django_assert_max_num_queries(32):
        poller.poll_batch(plan.sweep_id, plan.batches[0])
    assert Connection.objects.filter(health_status="degraded").count() == len(connections)


def test_a_batch_polls_even_when_the_calling_thread_runs_an_event_loop(sandbox_server, monkeypatch):
    """Playwright's sync API leaves a loop running in the thread (and allows sync ORM calls)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    connection = linked_connection(fault="healthy")

    async def inside_a_loop():
        return poller.poll_batch(None, [connection.pk])

    def in_a_thread_of_its_own():
        # Its own thread: this worker's thread may already run Playwright's loop (a browser
        # test ran earlier in the same xdist worker), where asyncio.run() itself would refuse.
        try:
            return asyncio.run(inside_a_loop())
        finally:
            db.connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(in_a_thread_of_its_own).result() == 1
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.HEALTHY


def test_a_poll_records_when_each_token_was_last_used(sandbox_server):
    connection = linked_connection(fault="healthy")
    token = connection.tokens.get()
    assert token.last_used_at is None

    with time_machine.travel("2026-11-24 12:00:00Z", tick=False):
        run_sweep()
    token.refresh_from_db()
    assert token.last_used_at == datetime(2026, 11, 24, 12, tzinfo=UTC)


def test_writing_a_batch_takes_the_same_queries_for_5_or_50_recoveries(db):
    """Every connection of a batch turning healthy must not cost a query each."""
    ok = StatusResult(outcome=Outcome.OK, http_status=200, request_id="req_1")

    def queries_for(count: int) -> int:
        connections = ConnectionFactory.create_batch(count, health_status=HealthStatus.DEGRADED)
        with CaptureQueriesContext(connection) as captured:
            record_results({c.pk: ok for c in connections})
        assert {status_of(c) for c in connections} == {HealthStatus.HEALTHY}
        return len(captured)

    assert queries_for(5) == queries_for(50)


def test_telling_and_resolving_episodes_takes_the_same_queries_for_5_or_50(
    db, django_capture_on_commit_callbacks, settings
):
    """Each connection entering reauth_required is told; each told one that recovers gets a
    "resolved" notice: both in a fixed number of queries per batch."""
    # Issues (and the incident each batch makes) resolve at once, so both sizes take one path.
    settings.ISSUE_RESOLVE_AFTER_MINUTES = 0
    reauth = StatusResult(outcome=Outcome.REAUTH, http_status=401, request_id="req_1")
    ok = StatusResult(outcome=Outcome.OK, http_status=200, request_id="req_2")

    def queries_for(count: int) -> tuple[int, int]:
        connections = ConnectionFactory.create_batch(count, health_status=HealthStatus.HEALTHY)
        counts = []
        for result in (reauth, ok):
            with (
                django_capture_on_commit_callbacks(),
                CaptureQueriesContext(connection) as captured,
            ):
                record_results({c.pk: result for c in connections})
            counts.append(len(captured))
        told = Notification.objects.filter(connection__in=connections)
        assert told.filter(kind=Notification.Kind.REAUTH_REQUIRED).count() >= count
        assert told.filter(kind=Notification.Kind.RESOLVED).count() >= count
        return tuple(counts)

    assert queries_for(5) == queries_for(50)


def test_in_a_batch_a_slow_upstream_times_out_alone(sandbox_server, settings):
    settings.UNIFIED_API_TIMEOUT_SECONDS = 0.3
    slow = linked_connection(fault="slow", latency_ms=2000)
    quick = linked_connection(fault="healthy")

    poller.poll_batch(None, [slow.pk, quick.pk])

    check = HealthCheck.objects.get(connection=slow)
    assert (check.outcome, check.error_code) == (Outcome.UNREACHABLE, "TIMEOUT")
    assert status_of(quick) == HealthStatus.HEALTHY


def test_checks_written_in_bulk_keep_every_field(db):
    """On PostgreSQL they go in through COPY, which bypasses the ORM's own INSERT."""
    first, second = ConnectionFactory.create_batch(2)
    sweep_id = uuid.uuid4()
    at = datetime(2026, 11, 24, 12, 30, 15, 123456, tzinfo=UTC)
    written = [
        HealthCheckRow(
            connection_id=first.pk,
            checked_at=at,
            sweep_id=sweep_id,
            source=Source.POLL,
            outcome=Outcome.RATE_LIMITED,
            status_after=HealthStatus.DEGRADED,
            latency_ms=1234,
            http_status=429,
            error_code="RATE_LIMIT_EXCEEDED",
            request_id="req_é-unicode",
        ),
        HealthCheckRow(
            connection_id=second.pk,
            checked_at=at,
            sweep_id=None,
            source=Source.CHECK_NOW,
            outcome=Outcome.UNREACHABLE,
            status_after=HealthStatus.ERROR,
            latency_ms=0,
            http_status=None,
            error_code="",
            request_id="",
        ),
    ]
    HealthCheck.objects.insert_rows(written)

    stored = HealthCheck.objects.order_by("connection_id").values_list(*HealthCheckRow._fields)
    assert list(stored) == [tuple(row) for row in written]
    assert HealthCheck.objects.get(connection=first).get_outcome_display() == "Rate limited"


def test_planning_creates_missing_schedules_moves_existing_ones_and_keeps_backoffs(db):
    fresh, scheduled, backed_off = ConnectionFactory.create_batch(3)
    earlier = timezone.now() - timedelta(minutes=5)
    PollSchedule.objects.create(connection=scheduled, due_at=earlier)
    PollSchedule.objects.create(connection=backed_off, due_at=earlier, backoff_until=earlier)

    plan = sweeps.plan_sweep()

    assert plan.batches == [[fresh.pk, scheduled.pk, backed_off.pk]]
    schedules = {s.connection_id: s for s in PollSchedule.objects.all()}
    assert {s.last_sweep_id for s in schedules.values()} == {plan.sweep_id}
    assert len({s.due_at for s in schedules.values()}) == 1
    assert schedules[fresh.pk].due_at > timezone.now()
    assert schedules[backed_off.pk].backoff_until == earlier
    assert schedules[fresh.pk].backoff_until is None


def test_a_large_batch_is_written_in_chunks_while_it_polls(sandbox_server, settings):
    settings.POLL_WRITE_CHUNK = 2
    failing = [linked_connection(fault="server_error") for _ in range(3)]
    healthy = [linked_connection(fault="healthy") for _ in range(2)]
    plan = sweeps.plan_sweep()

    assert poller.run_batch(plan.batch_ids[0], "test-worker", concurrency=2) == 5

    assert {status_of(c) for c in failing} == {HealthStatus.DEGRADED}
    assert {status_of(c) for c in healthy} == {HealthStatus.HEALTHY}
    assert HealthCheck.objects.filter(sweep_id=plan.sweep_id).count() == 5
    assert ErrorLog.objects.count() == 3
    assert poller.poll_batch(plan.sweep_id, plan.batches[0]) == 0, "written once per sweep"
