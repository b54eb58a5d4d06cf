"""Reconnect links: made by support, an admin or a reauthorization notice; opened by whoever
holds one; used once; revoked or expired otherwise. Every step is audited.

A link's URL carries the connection's id and the link's id signed with SECRET_KEY (Django's
signing, its own salt), so a changed byte fails the signature, another connection's id in the
URL fails the comparison, and the database holds nothing that would let someone forge a link.
The sign-in that a link starts is tied to it (monitoring/reconnect.py): the link holds the
nonce of its one pending sign-in, and the browser that started it holds the same in a cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from connections import audit
from connections.actors import Actor
from connections.models import Connection
from connections.tenancy import scoped
from monitoring.models import LinkStatus, Notification, ReconnectLink

SALT = "patchbay.reconnect-link"
MAX_DAYS = 30


@dataclass(frozen=True)
class Refusal:
    """Why a link does nothing, as the holder's page says it."""

    title: str
    message: str
    status: int = 410


class LinkRefused(Exception):
    def __init__(self, refusal: Refusal, link: ReconnectLink | None = None):
        super().__init__(refusal.message)
        self.refusal = refusal
        self.link = link


NOT_VALID = Refusal(
    "This reconnect link is not valid",
    "The link is incomplete or was changed. Copy the whole link from the message you received, "
    "or ask for a new one.",
    404,
)
USED = Refusal(
    "This reconnect link was already used",
    "Each link reconnects once. If the connection needs you again, a new link will be sent.",
)
EXPIRED = Refusal(
    "This reconnect link has expired",
    "Links work for a limited time. Ask your contact for a new one, or sign in to Patchbay.",
)
REVOKED = Refusal(
    "This reconnect link was withdrawn",
    "Someone at Patchbay revoked it. Ask your contact for a new one.",
)
OTHER_CUSTOMER = Refusal(
    "This link is not for your account",
    "You are signed in to Patchbay as someone of another customer, and this link reconnects a "
    "connection that is not theirs. Sign out, or open the link in a private window.",
    403,
)


def default_lifetime() -> timedelta:
    return timedelta(days=settings.RECONNECT_LINK_DAYS)


def holder(request, link: ReconnectLink) -> Actor:
    return Actor.holder_of(request, f"reconnect link #{link.pk}")


def token_for(link: ReconnectLink) -> str:
    """The link's part of its URL: the same every time for one link (a retried notice repeats
    it), unforgeable without SECRET_KEY. Expiry and single use live in the row."""
    return signing.Signer(salt=SALT).sign_object(
        {"link": link.pk, "connection": link.connection_id}
    )


def path_for(link: ReconnectLink) -> str:
    return reverse(
        "reconnect_link", kwargs={"connection_id": link.connection_id, "token": token_for(link)}
    )


def url_for(link: ReconnectLink) -> str:
    return settings.PATCHBAY_BASE_URL.rstrip("/") + path_for(link)


def create(
    connection: Connection,
    *,
    actor: Actor,
    valid_for: timedelta | None = None,
    notification: Notification | None = None,
) -> ReconnectLink:
    valid_for = valid_for or default_lifetime()
    if not timedelta(hours=1) <= valid_for <= timedelta(days=MAX_DAYS):
        raise ValueError(f"A reconnect link lasts from an hour to {MAX_DAYS} days.")
    with transaction.atomic():
        link = ReconnectLink.objects.create(
            connection=connection,
            created_by=actor.user,
            expires_at=timezone.now() + valid_for,
            notification=notification,
        )
        audit.record(
            "reconnect_link.created",
            link,
            actor=actor,
            customer=connection.customer,
            changes={
                "link": link.pk,
                "expires_at": link.expires_at.isoformat(),
                "notification": notification.pk if notification else None,
            },
        )
    return link


def for_notification(notification: Notification) -> ReconnectLink:
    """The link a reauthorization notice carries: made with its first delivery attempt, the
    same one on a retry (a retried email must not mint a second live link)."""
    existing = ReconnectLink.objects.filter(notification=notification).first()
    if existing is not None:
        return existing
    try:
        return create(notification.connection, actor=Actor.system(), notification=notification)
    except IntegrityError:  # a concurrent attempt made it first
        return ReconnectLink.objects.get(notification=notification)


def revoke(link: ReconnectLink, *, actor: Actor) -> bool:
    """Withdraw an unused link; False if it was already used, revoked or expired."""
    with transaction.atomic():
        done = (
            ReconnectLink.objects.filter(pk=link.pk)
            .usable()
            .update(revoked_at=timezone.now(), revoked_by=actor.user, state_nonce="")
        )
        if done:
            link.refresh_from_db()
            audit.record(
                "reconnect_link.revoked",
                link,
                actor=actor,
                customer=link.connection.customer,
                changes={"link": link.pk},
            )
    return bool(done)


def find(connection_id: int, token: str, *, user=None) -> ReconnectLink:
    """The link a URL names, if it is intact, for that connection, and usable by this browser;
    raises LinkRefused (changing nothing but the audit trail)."""
    try:
        if len(token) > 300:
            raise signing.BadSignature("too long")
        payload = signing.Signer(salt=SALT).unsign_object(token)
        link_id, signed_connection = int(payload["link"]), int(payload["connection"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as bad:
        raise LinkRefused(NOT_VALID) from bad
    link = (
        ReconnectLink.objects.select_related("connection__customer")
        .filter(pk=link_id, connection_id=signed_connection)
        .first()
    )
    if link is None or connection_id != signed_connection:
        raise LinkRefused(NOT_VALID)
    return check_usable(link, user=user)


def check_usable(link: ReconnectLink, *, user=None) -> ReconnectLink:
    signed_in = user is not None and user.is_authenticated
    if signed_in and not scoped(Connection, user).filter(pk=link.connection_id).exists():
        raise LinkRefused(OTHER_CUSTOMER, link)
    status = link.status
    if status == LinkStatus.USED:
        raise LinkRefused(USED, link)
    if status == LinkStatus.REVOKED:
        raise LinkRefused(REVOKED, link)
    if status == LinkStatus.EXPIRED:
        record_expiry(link)
        raise LinkRefused(EXPIRED, link)
    return link


def record_opened(link: ReconnectLink, *, actor: Actor) -> None:
    ReconnectLink.objects.filter(pk=link.pk, opened_at=None).update(opened_at=timezone.now())
    audit.record(
        "reconnect_link.opened",
        link,
        actor=actor,
        customer=link.connection.customer,
        changes={"link": link.pk},
    )


def record_refused(link: ReconnectLink, refusal: Refusal, *, actor: Actor) -> None:
    audit.record(
        "reconnect_link.refused",
        link,
        actor=actor,
        customer=link.connection.customer,
        changes={"link": link.pk, "reason": refusal.title.lower()},
    )


def record_expiry(link: ReconnectLink) -> bool:
    """Write the link's expiry to the trail, once, whoever notices it first (a holder opening
    it late, or the hourly task)."""
    with transaction.atomic():
        claimed = (
            ReconnectLink.objects.filter(pk=link.pk)
            .expired_unrecorded(timezone.now())
            .update(expiry_recorded_at=timezone.now())
        )
        if claimed:
            audit.record(
                "reconnect_link.expired",
                link,
                actor=Actor.system(),
                customer=link.connection.customer,
                changes={"link": link.pk, "expires_at": link.expires_at.isoformat()},
            )
    return bool(claimed)


def record_expired_links(now: datetime | None = None) -> int:
    now = now or timezone.now()
    expired = ReconnectLink.objects.expired_unrecorded(now).select_related("connection__customer")
    return sum(record_expiry(link) for link in expired[:1000])


def begin_sign_in(link: ReconnectLink, nonce: str) -> bool:
    """Make `nonce` the link's one pending sign-in (a newer start replaces an older one)."""
    return bool(ReconnectLink.objects.filter(pk=link.pk).usable().update(state_nonce=nonce))


def claim(link: ReconnectLink, nonce: str) -> datetime | None:
    """Take the link for the sign-in that came back with `nonce`, before the code is traded:
    two answers at once, or a reused link, find it taken. Returns the claim's time."""
    now = timezone.now()
    claimed = (
        ReconnectLink.objects.filter(pk=link.pk, state_nonce=nonce)
        .exclude(state_nonce="")
        .usable()
        .update(used_at=now, state_nonce="")
    )
    return now if claimed else None


def release(link: ReconnectLink, claimed_at: datetime) -> None:
    """The reconnect failed: the link works again (its spent sign-in does not)."""
    ReconnectLink.objects.filter(pk=link.pk, used_at=claimed_at).update(used_at=None)


def record_used(link: ReconnectLink, *, actor: Actor, new_token_id: int) -> None:
    audit.record(
        "reconnect_link.used",
        link,
        actor=actor,
        customer=link.connection.customer,
        changes={"link": link.pk, "new_token": new_token_id},
    )
