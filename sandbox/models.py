"""The sandbox upstream's own state: its connections, the faults set on them, issued tokens.

This is the vendor's side of the wire, not Patchbay's: Patchbay code never reads these tables,
it talks to them over HTTP like it would to the real unified API.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from collections.abc import Callable
from datetime import timedelta

import psycopg
from django.db import connections as db_connections
from django.db import models
from django.db.models.expressions import Col
from django.utils import timezone


class Fault(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    FLAKY = "flaky", "Flaky (x% errors)"
    REQUIRES_REAUTH = "requires_reauth", "Requires reauthorization"
    RATE_LIMITED = "rate_limited", "Rate limited (429)"
    SLOW = "slow", "Slow (latency ms)"
    SERVER_ERROR = "server_error", "Server error (500)"
    MALFORMED = "malformed", "Malformed responses"
    TOKEN_REVOKED = "token_revoked", "Token revoked (401)"
    DISCONNECTED = "disconnected", "Disconnected"
    PERMISSION_DENIED = "permission_denied", "Permission denied (403)"


# The permission the sandbox names when it plays permission_denied.
MISSING_PERMISSION = "work_orders:read"


class UpstreamStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SYNCING = "syncing", "Syncing"
    REQUIRES_REAUTH = "requires_reauth", "Requires reauth"
    ERROR = "error", "Error"
    DISCONNECTED = "disconnected", "Disconnected"


def hash_token(plaintext: str) -> str:
    """Tokens are 32 random bytes, so a plain SHA-256 is enough to store them unreadably."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


class SandboxConnectionQuerySet(models.QuerySet):
    def opened_by(self, token_hash: str) -> SandboxConnection | None:
        """The connection a usable token (not revoked, not expired) opens.

        Every status call asks this, so it is one query through a plan built once per database
        (`_opened_by_plan`): building the equivalent ORM query, or a RawQuerySet's column map
        and converters, on every call was most of the sandbox's CPU in the polling benchmark.
        """
        sql, names, converters = _opened_by_plan(self.db)
        database = db_connections[self.db]
        params = [token_hash, database.ops.adapt_datetimefield_value(timezone.now())]
        if database.vendor == "postgresql":
            # A prepared statement, once per database connection: planning this join on every
            # call was two thirds of PostgreSQL's CPU per status call. Django binds client-side
            # (its cursors never prepare) and sets prepare_threshold to None for PgBouncer's sake,
            # which also disables `prepare=True`; the sandbox is not behind PgBouncer.
            database.ensure_connection()
            database.connection.prepare_threshold = 5  # psycopg's default
            with psycopg.Cursor(database.connection) as cursor:
                cursor.execute(sql, params, prepare=True)
                row = cursor.fetchone()
        else:
            with database.cursor() as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for index, convert, expression in converters:
            values[index] = convert(values[index], expression, database)
        return self.model.from_db(self.db, names, values)


@functools.cache
def _opened_by_plan(alias: str) -> tuple[str, list[str], list[tuple[int, Callable, Col]]]:
    """The SQL, field names and value converters (the backend's and the fields' own, as the
    ORM applies them) for `opened_by`, made once per database alias."""
    database = db_connections[alias]
    fields = SandboxConnection._meta.concrete_fields
    columns = [field.get_col("c") for field in fields]
    quote = database.ops.quote_name
    sql = (
        f"SELECT {', '.join(f'c.{quote(field.column)}' for field in fields)}"  # noqa: S608
        f" FROM {quote(SandboxConnection._meta.db_table)} c"
        f" JOIN {quote(SandboxToken._meta.db_table)} t ON t.connection_id = c.id"
        " WHERE t.token_hash = %s AND t.revoked_at IS NULL"
        " AND (t.expires_at IS NULL OR t.expires_at > %s)"
    )
    converters = [
        (index, convert, column)
        for index, column in enumerate(columns)
        for convert in database.ops.get_db_converters(column) + column.get_db_converters(database)
    ]
    return sql, [field.attname for field in fields], converters


class SandboxConnection(models.Model):
    """One upstream connection, with the fault the sandbox plays on it."""

    upstream_id = models.CharField(max_length=100, unique=True)
    system = models.CharField(max_length=32, default="sandbox")
    fault = models.CharField(max_length=20, choices=Fault.choices, default=Fault.HEALTHY)
    flaky_percent = models.PositiveSmallIntegerField(
        default=50, help_text="With the flaky fault: share of status calls that answer 503."
    )
    latency_ms = models.PositiveIntegerField(
        default=0, help_text="Added to every answer (the slow fault uses it)."
    )
    retry_after_seconds = models.PositiveIntegerField(
        default=30, help_text="With the rate_limited fault: the Retry-After sent."
    )
    last_sync_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SandboxConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["upstream_id"]

    def __str__(self) -> str:
        return f"{self.upstream_id} ({self.fault})"

    @property
    def status(self) -> str:
        """The connection status the upstream reports under the current fault."""
        return {
            Fault.REQUIRES_REAUTH: UpstreamStatus.REQUIRES_REAUTH,
            Fault.TOKEN_REVOKED: UpstreamStatus.REQUIRES_REAUTH,
            Fault.DISCONNECTED: UpstreamStatus.DISCONNECTED,
            Fault.SERVER_ERROR: UpstreamStatus.ERROR,
        }.get(self.fault, UpstreamStatus.ACTIVE)

    def issue_token(self, label: str = "", expires_in_seconds: int | None = None):
        """A new token: the plaintext is returned once, only its hash is stored."""
        plaintext = f"sbx_{secrets.token_urlsafe(32)}"
        token = SandboxToken.objects.create(
            connection=self,
            token_id=f"tok_{secrets.token_hex(12)}",
            label=label[:100],
            token_hash=hash_token(plaintext),
            expires_at=(
                timezone.now() + timedelta(seconds=expires_in_seconds)
                if expires_in_seconds
                else None
            ),
        )
        return token, plaintext


class SandboxTokenQuerySet(models.QuerySet):
    def usable(self) -> SandboxTokenQuerySet:
        return self.filter(revoked_at__isnull=True).exclude(expires_at__lte=timezone.now())


class SandboxToken(models.Model):
    """A token the sandbox issued; it keeps the SHA-256 of the value, never the value."""

    connection = models.ForeignKey(
        SandboxConnection, on_delete=models.CASCADE, related_name="tokens"
    )
    token_id = models.CharField(max_length=40, unique=True)
    label = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = SandboxTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.token_id


class SandboxSettings(models.Model):
    """Knobs for the whole sandbox (one row): the global latency serves the benchmark."""

    global_latency_ms = models.PositiveIntegerField(
        default=0, help_text="Added to every status answer, on top of a connection's own latency."
    )

    class Meta:
        verbose_name = verbose_name_plural = "sandbox settings"

    def __str__(self) -> str:
        return f"global latency {self.global_latency_ms} ms"

    @classmethod
    def current(cls) -> SandboxSettings:
        return cls.objects.get_or_create(pk=1)[0]


_latency_cache: tuple[float, int] = (0.0, 0)


def global_latency_ms() -> int:
    """The global latency, re-read at most once a second so the knob costs no query per call."""
    global _latency_cache
    read_at, value = _latency_cache
    if time.monotonic() - read_at > 1.0:
        row = SandboxSettings.objects.filter(pk=1).values_list("global_latency_ms", flat=True)
        value = next(iter(row), 0)
        _latency_cache = (time.monotonic(), value)
    return value


def forget_global_latency() -> None:
    global _latency_cache
    _latency_cache = (0.0, 0)


class SandboxAuthorizationQuerySet(models.QuerySet):
    def redeemable(self) -> SandboxAuthorizationQuerySet:
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class SandboxAuthorization(models.Model):
    """A one-time authorization code, as an OAuth-style vendor gives after the customer signs in.

    Patchbay trades it (with its platform key, server to server) for a new token, so the token
    itself never travels through the browser. Only the code's hash is kept.
    """

    connection = models.ForeignKey(
        SandboxConnection, on_delete=models.CASCADE, related_name="authorizations"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    redirect_uri = models.URLField(max_length=500)
    username = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = SandboxAuthorizationQuerySet.as_manager()

    def __str__(self) -> str:
        return f"authorization of {self.connection_id} by {self.username}"

    @classmethod
    def grant(cls, connection: SandboxConnection, redirect_uri: str, username: str) -> str:
        """A new code, valid for five minutes; returned once, only its hash is stored."""
        code = f"code_{secrets.token_urlsafe(24)}"
        cls.objects.create(
            connection=connection,
            code_hash=hash_token(code),
            redirect_uri=redirect_uri,
            username=username[:150],
            expires_at=timezone.now() + timedelta(minutes=5),
        )
        return code
