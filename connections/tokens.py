"""The token lifecycle: issue, rotate with overlap, revoke, auto-revoke after the overlap.

Every step asks the upstream first and changes local state only once the upstream has agreed,
so Patchbay never stores a token the upstream never issued, nor calls "revoked" a token the
upstream still honours. The plaintext of a new token is returned to the caller once and never
stored anywhere but as ciphertext.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from connections import audit
from connections.actors import Actor
from connections.models import ApiToken, Connection, TokenStatus
from upstream import client

log = logging.getLogger(__name__)

USABLE = frozenset({TokenStatus.ACTIVE, TokenStatus.ROTATING_OUT})
# rotate_token's default expiry: the replacement lives as long as the token it replaces.
KEEP_LIFETIME = object()


class TokenActionError(Exception):
    """A token action could not be done; the message is safe to show to the admin."""


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: the row, and the plaintext to show exactly once."""

    token: ApiToken
    plaintext: str

    def __repr__(self) -> str:
        return f"<IssuedToken {self.token.pk} …{self.token.last4}>"


def describe(error: client.UpstreamCallError) -> str:
    """A failed upstream call in words an admin can act on, with the request id for support."""
    result = error.result
    words = result.message or result.error_code or str(result.outcome)
    if result.error_code and result.error_code not in words:
        words = f"{result.error_code}: {words}"
    if result.request_id:
        words += f" (request id {result.request_id})"
    return words


DEFAULT_LIFETIME = timedelta(days=90)


def default_overlap() -> timedelta:
    return timedelta(hours=settings.TOKEN_ROTATION_OVERLAP_HOURS)


@sensitive_variables("issued", "plaintext")
def _issue_upstream(connection: Connection, label: str, expires_in: timedelta | None):
    try:
        return client.issue_token(
            connection.upstream_id,
            label=label,
            expires_in_seconds=int(expires_in.total_seconds()) if expires_in else None,
        )
    except client.UpstreamCallError as error:
        raise TokenActionError(f"The upstream did not issue a token: {describe(error)}") from error


@sensitive_variables("issued")
def _store(connection, issued, *, label, actor: Actor, rotated_from=None) -> ApiToken:
    token = ApiToken(
        connection=connection,
        environment=connection.environment,
        label=label,
        upstream_token_id=issued.id,
        created_by=actor.user,
        expires_at=issued.expires_at,
        rotated_from=rotated_from,
    )
    token.set_plaintext(issued.token)
    token.save()
    return token


def _undo_upstream_issue(connection: Connection, upstream_token_id: str) -> None:
    """Revoke a token the upstream issued but Patchbay could not keep, so none is left dangling."""
    try:
        client.revoke_token(connection.upstream_id, upstream_token_id)
    except client.UpstreamCallError:
        log.exception("Could not revoke orphaned upstream token %s", upstream_token_id)


@sensitive_variables("issued")
def issue_token(
    connection: Connection,
    *,
    actor: Actor,
    label: str,
    expires_in: timedelta | None = DEFAULT_LIFETIME,
) -> IssuedToken:
    """A new token for `connection`, labelled, expiring after `expires_in` (None: never, only
    when someone chose it). The plaintext is in the result, to show once."""
    label = label.strip()
    if not label:
        raise TokenActionError("A token needs a label, so people can tell it apart.")
    issued = _issue_upstream(connection, label, expires_in)
    token = store_issued(connection, issued, actor=actor, label=label, action="token.issued")
    return IssuedToken(token=token, plaintext=issued.token)


@sensitive_variables("issued")
def store_issued(
    connection: Connection, issued, *, actor: Actor, label: str = "", action: str
) -> ApiToken:
    """Keep a token the upstream issued by another route (a reconnect's code exchange):
    encrypted and audited like `issue_token`; if it cannot be kept, revoked upstream."""
    try:
        with transaction.atomic():
            token = _store(connection, issued, label=label, actor=actor)
            audit.record(
                action,
                token,
                actor=actor,
                customer=connection.customer,
                changes={"after": token_summary(token)},
            )
    except Exception:
        _undo_upstream_issue(connection, issued.id)
        raise
    return token


@sensitive_variables("issued")
def rotate_token(
    old: ApiToken,
    *,
    actor: Actor,
    overlap: timedelta | None = None,
    expires_in: timedelta | None | object = KEEP_LIFETIME,
) -> IssuedToken:
    """Issue a successor now and keep `old` valid for `overlap`, then auto-revoke it.

    The successor lives as long as `old` was issued to (a 90-day token is replaced by a 90-day
    token) unless `expires_in` says otherwise (None: it never expires).

    Two clicks at once give one new token: the rotation is claimed first by a conditional
    update of the old row (compare-and-set, so it holds on SQLite and PostgreSQL alike), and
    only the click that won the claim asks the upstream. No transaction stays open during the
    upstream call.
    """
    overlap = default_overlap() if overlap is None else overlap
    lifetime = old.lifetime if expires_in is KEEP_LIFETIME else expires_in
    connection = old.connection
    rotate_out_at = timezone.now() + overlap
    claimed = ApiToken.objects.filter(
        pk=old.pk, revoked_at__isnull=True, rotate_out_at__isnull=True
    ).update(rotate_out_at=rotate_out_at)
    if not claimed:
        old.refresh_from_db()
        if old.revoked_at is not None:
            raise TokenActionError("This token is revoked; issue a new one instead.")
        raise TokenActionError("This token has already been rotated.")
    try:
        issued = _issue_upstream(connection, old.label, lifetime)
    except TokenActionError:
        ApiToken.objects.filter(pk=old.pk, rotate_out_at=rotate_out_at).update(rotate_out_at=None)
        raise
    try:
        with transaction.atomic():
            new = _store(connection, issued, label=old.label, actor=actor, rotated_from=old)
            old.refresh_from_db()
            audit.record(
                "token.rotated",
                new,
                actor=actor,
                customer=connection.customer,
                changes={
                    "before": token_summary(old),
                    "after": token_summary(new),
                    "overlap_hours": round(overlap.total_seconds() / 3600, 2),
                },
            )
    except Exception:
        _undo_upstream_issue(connection, issued.id)
        ApiToken.objects.filter(pk=old.pk, rotate_out_at=rotate_out_at).update(rotate_out_at=None)
        raise
    return IssuedToken(token=new, plaintext=issued.token)


def revoke_token(token: ApiToken, *, actor: Actor, action: str = "token.revoked"):
    """Revoke at the upstream, then locally; if the upstream refuses, nothing changes here."""
    if token.revoked_at is not None:
        raise TokenActionError("This token is already revoked.")
    if token.upstream_token_id:
        try:
            client.revoke_token(token.connection.upstream_id, token.upstream_token_id)
        except client.UpstreamCallError as error:
            # 404: the upstream no longer knows the token, so it honours it no more either.
            if error.result.http_status == 404:
                log.info("Upstream no longer knows token %s; recording it revoked", token.pk)
            else:
                raise TokenActionError(
                    f"The upstream did not revoke the token, so it stays active: {describe(error)}"
                ) from error
    before = token_summary(token)
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor.user
        )
        if not updated:
            raise TokenActionError("This token is already revoked.")
        token.refresh_from_db()
        audit.record(
            action,
            token,
            actor=actor,
            customer=token.connection.customer,
            changes={"before": before, "after": token_summary(token)},
        )
    return token


def revoke_rotated_out_tokens() -> tuple[int, int]:
    """Revoke every token whose overlap window has ended. Returns (revoked, failed)."""
    revoked = failed = 0
    for token in ApiToken.objects.due_for_auto_revoke().select_related("connection__customer"):
        try:
            revoke_token(token, actor=Actor.system(), action="token.auto_revoked")
            revoked += 1
        except TokenActionError:
            log.warning("Auto-revoke of token %s failed; will retry next run", token.pk)
            failed += 1
    return revoked, failed


def record_reveal(token: ApiToken, *, actor: Actor) -> None:
    audit.record(
        "token.revealed",
        token,
        actor=actor,
        customer=token.connection.customer,
        changes={"token": token_summary(token)},
    )


def token_summary(token: ApiToken) -> dict:
    """What the audit trail may keep of a token: metadata, never the secret."""
    return {
        "id": token.pk,
        "label": token.label,
        "environment": token.environment,
        "last4": token.last4,
        "fingerprint": token.short_fingerprint,
        "status": str(token.status),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "rotate_out_at": token.rotate_out_at.isoformat() if token.rotate_out_at else None,
    }
