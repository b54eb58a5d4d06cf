"""Expiry warnings: tokens about to expire are listed for admins and told, once, to the customer.

As GitHub warns about an expiring personal token: each token that stops working within
TOKEN_EXPIRY_WARNING_DAYS (and that no rotation has already replaced) is announced once by
email to its customer's contact, one message per customer per run. A failed send leaves the
tokens unannounced, so the next run tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from connections import audit
from connections.actors import Actor
from connections.models import ApiToken, Customer

log = logging.getLogger(__name__)


def warning_window() -> timedelta:
    return timedelta(days=settings.TOKEN_EXPIRY_WARNING_DAYS)


def announce_expiring_tokens(now: datetime | None = None) -> int:
    """Email each customer whose tokens expire within the warning window; returns how many
    tokens were announced. Safe to run on every beat: a token is announced once."""
    now = now or timezone.now()
    due = (
        ApiToken.objects.expiring_unreplaced(now + warning_window())
        .filter(expiry_announced_at__isnull=True)
        .order_by("connection__customer_id", "expires_at")
        .values_list("connection__customer_id", "pk")
    )
    announced = 0
    for customer_id, rows in groupby(due, key=lambda row: row[0]):
        announced += _announce(customer_id, [pk for _, pk in rows], now)
    return announced


def _announce(customer_id: int, token_ids: list[int], now: datetime) -> int:
    with transaction.atomic():
        # Locked and re-checked: two beats at once never tell a customer twice.
        tokens = list(
            ApiToken.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=token_ids, expiry_announced_at__isnull=True)
            .select_related("connection__customer")
            .order_by("expires_at")
        )
        if not tokens:
            return 0
        customer = tokens[0].connection.customer
        try:
            expiry_email(customer, tokens).send()
        except Exception:
            log.exception("Could not announce expiring tokens to customer %s", customer_id)
            return 0
        ApiToken.objects.filter(pk__in=[token.pk for token in tokens]).update(
            expiry_announced_at=now
        )
        actor = Actor.system()
        for token in tokens:
            audit.record(
                "token.expiry_announced",
                token,
                actor=actor,
                customer=customer,
                changes={
                    "to": customer.contact_email,
                    "expires_at": token.expires_at.isoformat(),
                },
            )
    return len(tokens)


def expiry_email(customer: Customer, tokens: list[ApiToken]) -> EmailMultiAlternatives:
    """The multipart (text and HTML) message about `customer`'s expiring tokens."""
    context = {
        "customer": customer,
        "tokens": tokens,
        "warning_days": settings.TOKEN_EXPIRY_WARNING_DAYS,
    }
    count = len(tokens)
    subject = (
        f"{count} Patchbay API token{'s' if count != 1 else ''} of {customer.name} "
        f"expire{'' if count != 1 else 's'} soon"
    )
    message = EmailMultiAlternatives(
        subject,
        render_to_string("connections/email/tokens_expiring.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [customer.contact_email],
    )
    message.attach_alternative(
        render_to_string("connections/email/tokens_expiring.html", context), "text/html"
    )
    return message
