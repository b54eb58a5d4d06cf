"""Reconnect: the customer signs in again at the upstream and Patchbay swaps in the new token.

An authorization-code flow, as real vendors run it: Patchbay sends the browser to the upstream's
sign-in page with a signed, session-bound `state`; the upstream sends it back with a one-time
code; Patchbay trades the code for a token server to server with its platform key (the token
never passes through the browser), stores it encrypted through connections/tokens.py, revokes
the old tokens upstream and locally, and polls the connection at once so the banner goes.
Any failure changes nothing: the old token and the connection's state stay as they were.

Started from the dashboard, the state is bound to the signed-in user and their session's nonce;
started from a reconnect link (monitoring/reconnect_links.py), to that link: its holder has no
user, the link keeps the nonce of its one pending sign-in, and the link is claimed before the
code is traded, so it reconnects once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core import signing
from django.views.decorators.debug import sensitive_variables

from connections import audit, tokens
from connections.actors import Actor
from connections.models import ApiToken, Connection
from health.vocabulary import Outcome
from monitoring import poller, reconnect_links
from monitoring.models import ReconnectLink
from upstream import client

logger = logging.getLogger(__name__)

STATE_SALT = "patchbay.reconnect"
STATE_MAX_AGE_SECONDS = 15 * 60


class ReconnectFailed(Exception):
    """Why a reconnect did not happen, in words for the customer."""


def session_key(connection: Connection) -> str:
    """Where the view keeps a started reconnect's nonce: the state is bound to that session."""
    return f"reconnect-nonce-{connection.pk}"


@dataclass(frozen=True)
class Started:
    """Where to send the browser, and the nonce its session must hold for the answer."""

    url: str
    nonce: str


def start(
    connection: Connection, *, actor: Actor, redirect_uri: str, link: ReconnectLink | None = None
) -> Started:
    """The upstream's sign-in page for this connection, with a signed state naming the actor
    (or the reconnect link it was started from)."""
    nonce = secrets.token_urlsafe(16)
    state = signing.dumps(
        {"connection": connection.pk, "user": _user_pk(actor), "link": _link_pk(link),
         "nonce": nonce},
        salt=STATE_SALT,
    )  # fmt: skip
    if link is not None and not reconnect_links.begin_sign_in(link, nonce):
        raise ReconnectFailed("This reconnect link can no longer be used.")
    audit.record(
        "connection.reconnect_started",
        connection,
        actor=actor,
        changes={"link": link.pk} if link is not None else None,
    )
    query = urlencode(
        {"connection": connection.upstream_id, "state": state, "redirect_uri": redirect_uri}
    )
    return Started(url=f"{client.base_url()}/oauth/authorize?{query}", nonce=nonce)


def read_state(state: str) -> dict:
    """The payload of a state Patchbay signed in the last STATE_MAX_AGE_SECONDS."""
    try:
        payload = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE_SECONDS)
    except signing.BadSignature as bad:
        raise ReconnectFailed(
            "This sign-in answer is not valid or has expired. Start the reconnect again."
        ) from bad
    if not isinstance(payload, dict):
        raise ReconnectFailed("This sign-in answer is not valid. Start the reconnect again.")
    return payload


def check_state(
    connection: Connection,
    *,
    actor: Actor,
    state: str,
    expected_nonce,
    link: ReconnectLink | None = None,
) -> None:
    """The state must be ours, recent, for this connection, actor (or link) and browser
    session, unused."""
    payload = read_state(state)
    if (
        expected_nonce is None
        or payload.get("nonce") != expected_nonce
        or payload.get("connection") != connection.pk
        or payload.get("user") != _user_pk(actor)
        or payload.get("link") != _link_pk(link)
    ):
        raise ReconnectFailed(
            "This sign-in answer does not belong to this browser session or connection. "
            "Start the reconnect again."
        )


def _user_pk(actor: Actor) -> int | None:
    return actor.user.pk if actor.user is not None else None


def _link_pk(link: ReconnectLink | None) -> int | None:
    return link.pk if link is not None else None


@dataclass(frozen=True)
class Reconnected:
    token: ApiToken
    still_active: list[ApiToken]  # old tokens the upstream would not revoke (rare; said so)


@sensitive_variables("issued")
def finish(
    connection: Connection,
    *,
    actor: Actor,
    params,
    expected_nonce,
    redirect_uri: str,
    link: ReconnectLink | None = None,
) -> Reconnected:
    """Complete the flow from the upstream's answer (`params`, its query string) and the nonce
    the browser session held; raises ReconnectFailed, changing nothing."""
    if params.get("error"):
        reason = str(params.get("error_description") or params.get("error"))[:300]
        raise ReconnectFailed(f"The upstream did not authorize the reconnect: {reason}")
    check_state(
        connection,
        actor=actor,
        state=params.get("state", ""),
        expected_nonce=expected_nonce,
        link=link,
    )
    code = params.get("code", "")
    if not code:
        raise ReconnectFailed("The upstream sent no authorization code. Start again.")
    old_tokens = list(ApiToken.objects.filter(connection=connection).active())
    issued = exchange_code(code, redirect_uri)
    new = tokens.store_issued(
        connection,
        issued,
        actor=actor,
        label="reconnected",
        action="token.issued_by_reconnect",
    )
    not_revoked = []
    for old in old_tokens:
        try:
            tokens.revoke_token(old, actor=actor)
        except tokens.TokenActionError:
            logger.warning("Reconnect of %s could not revoke token %s", connection.pk, old.pk)
            not_revoked.append(old.pk)
    audit.record(
        "connection.reconnected",
        connection,
        actor=actor,
        changes={
            "new_token": new.pk,
            "revoked": [t.pk for t in old_tokens],
            "kept": not_revoked,
            **({"link": link.pk} if link is not None else {}),
        },
    )
    poller.poll_one(connection.pk)
    return Reconnected(new, [old for old in old_tokens if old.pk in not_revoked])


@sensitive_variables("done")
def finish_with_link(
    link: ReconnectLink, *, actor: Actor, params, browser_nonce, redirect_uri: str
) -> Reconnected:
    """Complete a sign-in started from `link`: the link is claimed first (so it reconnects
    once), then the flow finishes as any other; on failure the link works again."""
    if not browser_nonce:
        raise ReconnectFailed(
            "This sign-in answer does not belong to this browser. Open the link again."
        )
    claimed_at = reconnect_links.claim(link, browser_nonce)
    if claimed_at is None:
        link.refresh_from_db()
        reconnect_links.check_usable(link)  # raises LinkRefused: used, revoked or expired
        raise ReconnectFailed(
            "This sign-in answer does not belong to this browser, or a newer sign-in was "
            "started from the link. Open the link again."
        )
    try:
        done = finish(
            link.connection,
            actor=actor,
            params=params,
            expected_nonce=browser_nonce,
            redirect_uri=redirect_uri,
            link=link,
        )
    except Exception:
        reconnect_links.release(link, claimed_at)
        raise
    reconnect_links.record_used(link, actor=actor, new_token_id=done.token.pk)
    return done


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
