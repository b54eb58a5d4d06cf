"""Reconnect: the customer signs in again at the upstream and Patchbay swaps in the new token.

An authorization-code flow, as real vendors run it: Patchbay sends the browser to the upstream's
sign-in page with a signed, session-bound `state`; the upstream sends it back with a one-time
code; Patchbay trades the code for a token server to server with its platform key (the token
never passes through the browser), stores it encrypted through connections/tokens.py, revokes
the old tokens upstream and locally, and polls the connection at once so the banner goes.
Any failure changes nothing: the old token and the connection's state stay as they were.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core import signing
from django.views.decorators.debug import sensitive_variables

from connections import audit, tokens
from connections.models import ApiToken, Connection
from monitoring import client, poller
from monitoring.state import Outcome

logger = logging.getLogger(__name__)

STATE_SALT = "patchbay.reconnect"
STATE_MAX_AGE_SECONDS = 15 * 60


class ReconnectFailed(Exception):
    """Why a reconnect did not happen, in words for the customer."""


def session_key(connection: Connection) -> str:
    return f"reconnect-nonce-{connection.pk}"


def authorize_url(connection: Connection, request, redirect_uri: str) -> str:
    """Where to send the browser: the upstream's sign-in page for this connection."""
    nonce = secrets.token_urlsafe(16)
    request.session[session_key(connection)] = nonce
    state = signing.dumps(
        {"connection": connection.pk, "user": request.user.pk, "nonce": nonce}, salt=STATE_SALT
    )
    audit.record("connection.reconnect_started", connection, request=request)
    query = urlencode(
        {"connection": connection.upstream_id, "state": state, "redirect_uri": redirect_uri}
    )
    return f"{client.base_url()}/oauth/authorize?{query}"


def check_state(connection: Connection, request, state: str) -> None:
    """The state must be ours, recent, for this connection, user and browser session, unused."""
    expected = request.session.pop(session_key(connection), None)
    try:
        payload = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE_SECONDS)
    except signing.BadSignature as bad:
        raise ReconnectFailed(
            "This sign-in answer is not valid or has expired. Start the reconnect again."
        ) from bad
    if (
        expected is None
        or payload.get("nonce") != expected
        or payload.get("connection") != connection.pk
        or payload.get("user") != request.user.pk
    ):
        raise ReconnectFailed(
            "This sign-in answer does not belong to this browser session or connection. "
            "Start the reconnect again."
        )


@dataclass(frozen=True)
class Reconnected:
    token: ApiToken
    still_active: list[ApiToken]  # old tokens the upstream would not revoke (rare; said so)


@sensitive_variables("issued")
def finish(connection: Connection, request, params, redirect_uri: str) -> Reconnected:
    """Complete the flow from the upstream's answer; raises ReconnectFailed, changing nothing."""
    if params.get("error"):
        check_state_quietly(connection, request)
        reason = params.get("error_description") or params.get("error")
        raise ReconnectFailed(f"The upstream did not authorize the reconnect: {reason}")
    check_state(connection, request, params.get("state", ""))
    code = params.get("code", "")
    if not code:
        raise ReconnectFailed("The upstream sent no authorization code. Start again.")
    old_tokens = list(ApiToken.objects.filter(connection=connection).active())
    issued = exchange_code(code, redirect_uri)
    new = tokens.store_issued(
        connection,
        issued,
        actor=request.user,
        request=request,
        label="reconnected",
        action="token.issued_by_reconnect",
    )
    not_revoked = []
    for old in old_tokens:
        try:
            tokens.revoke_token(old, actor=request.user, request=request)
        except tokens.TokenActionError:
            logger.warning("Reconnect of %s could not revoke token %s", connection.pk, old.pk)
            not_revoked.append(old.pk)
    audit.record(
        "connection.reconnected",
        connection,
        request=request,
        changes={"new_token": new.pk, "revoked": [t.pk for t in old_tokens], "kept": not_revoked},
    )
    poller.poll_one(connection.pk)
    return Reconnected(new, [old for old in old_tokens if old.pk in not_revoked])


def check_state_quietly(connection: Connection, request) -> None:
    request.session.pop(session_key(connection), None)


def exchange_code(code: str, redirect_uri: str) -> client.IssuedToken:
    """The upstream's token for the code, or ReconnectFailed saying why (with its request id)."""
    try:
        return client.exchange_authorization_code(code, redirect_uri)
    except client.UpstreamCallError as error:
        if error.result.outcome == Outcome.UNREACHABLE:
            what = "The upstream could not be reached"
        elif error.result.error_code == "PROTOCOL_ERROR":  # a 2xx answer of the wrong shape
            what = "The upstream's answer could not be understood"
        else:
            what = "The upstream refused the code"
        raise ReconnectFailed(f"{what}: {tokens.describe(error)}") from error
