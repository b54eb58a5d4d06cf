"""Demo counterparts: each seeded connection gets a sandbox connection, a fault that produces its
seeded status, and a token the sandbox honours (hash there, ciphertext in Patchbay)."""

from __future__ import annotations

from django.utils import timezone

from connections.crypto import TokenDecryptionError
from connections.models import ApiToken, Connection
from health.vocabulary import HealthStatus
from sandbox.models import Fault, SandboxConnection, SandboxToken, hash_token

# The fault that makes real polling show the seeded status (degraded flickers, as flaky does).
FAULTS_FOR_STATUS = {
    HealthStatus.HEALTHY: [(Fault.HEALTHY, {}), (Fault.SLOW, {"latency_ms": 400})],
    HealthStatus.DEGRADED: [(Fault.FLAKY, {"flaky_percent": 50})],
    HealthStatus.REAUTH_REQUIRED: [(Fault.REQUIRES_REAUTH, {}), (Fault.TOKEN_REVOKED, {})],
    HealthStatus.ERROR: [(Fault.SERVER_ERROR, {}), (Fault.MALFORMED, {})],
    HealthStatus.DISCONNECTED: [(Fault.DISCONNECTED, {})],
    # Rate limited for an hour: the poller backs off and the status stays unknown meanwhile.
    HealthStatus.UNKNOWN: [(Fault.RATE_LIMITED, {"retry_after_seconds": 3600})],
}


def honoured_token(connection: Connection) -> ApiToken | None:
    """The connection's active token if the sandbox still accepts it and it still decrypts."""
    for token in connection.tokens.active():
        try:
            plaintext = token.plaintext()
        except TokenDecryptionError:
            continue  # a token we cannot use is simply replaced
        if (
            SandboxToken.objects.usable()
            .filter(token_hash=hash_token(plaintext), token_id=token.upstream_token_id)
            .exists()
        ):
            return token
    return None


def seed_counterpart(connection: Connection, status: str, index: int) -> SandboxConnection:
    """The sandbox side of a demo connection meant to show `status`."""
    choices = FAULTS_FOR_STATUS[HealthStatus(status)]
    fault, parameters = choices[index % len(choices)]
    upstream, _ = SandboxConnection.objects.update_or_create(
        upstream_id=connection.upstream_id,
        defaults={"system": connection.system, "fault": fault, **parameters},
    )
    if honoured_token(connection) is None:
        connection.tokens.active().update(revoked_at=timezone.now())
        issued, plaintext = upstream.issue_token("demo")
        token = ApiToken(
            connection=connection,
            environment=connection.environment,
            label="demo",
            upstream_token_id=issued.token_id,
        )
        token.set_plaintext(plaintext)
        token.save()
    return upstream


def seed_counterparts(connections: list[tuple[Connection, str]]) -> int:
    """Each (connection, status it is meant to show) gets its counterpart."""
    for index, (connection, status) in enumerate(connections):
        seed_counterpart(connection, status, index)
    return len(connections)
