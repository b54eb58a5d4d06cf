"""seed_demo gives every demo connection a sandbox counterpart that real polling agrees with."""

import io

from django.core.management import call_command

from connections.models import ApiToken, Connection
from health.vocabulary import HealthStatus
from monitoring import poller, sweeps
from sandbox.models import SandboxConnection, SandboxToken

STABLE = {
    HealthStatus.HEALTHY,
    HealthStatus.REAUTH_REQUIRED,
    HealthStatus.ERROR,
    HealthStatus.DISCONNECTED,
    HealthStatus.UNKNOWN,
}


def test_seed_is_idempotent_and_every_connection_has_an_honoured_token(sandbox_server):
    call_command("seed_demo", stdout=io.StringIO())
    tokens_first = set(ApiToken.objects.values_list("upstream_token_id", flat=True))
    call_command("seed_demo", stdout=io.StringIO())

    connections = Connection.objects.count()
    assert SandboxConnection.objects.count() == connections
    assert ApiToken.objects.active().count() == connections
    assert set(ApiToken.objects.values_list("upstream_token_id", flat=True)) == tokens_first
    assert SandboxToken.objects.usable().count() == connections
    for token in ApiToken.objects.all():
        assert token.plaintext() not in str(list(SandboxToken.objects.values()))


def test_real_polling_keeps_the_seeded_statuses(sandbox_server):
    call_command("seed_demo", stdout=io.StringIO())
    seeded = dict(Connection.objects.values_list("upstream_id", "health_status"))
    plan = sweeps.plan_sweep()
    for batch_id in plan.batch_ids:
        poller.run_batch(batch_id, "test-worker")
    polled = dict(Connection.objects.values_list("upstream_id", "health_status"))
    stable = {uid: status for uid, status in seeded.items() if status in STABLE}
    assert {uid: polled[uid] for uid in stable} == stable
    assert set(seeded.values()) == set(HealthStatus.values)
