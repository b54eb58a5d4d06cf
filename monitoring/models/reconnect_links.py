"""Reconnect links: a signed, single-use, expiring link that lets whoever holds it reconnect one
connection through the upstream's sign-in, without an account in Patchbay."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from connections.models import Connection
from connections.tenancy import TenantQuerySet
from monitoring.models.notifications import Notification


class LinkStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    USED = "used", "Used"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class ReconnectLinkQuerySet(TenantQuerySet):
    customer_path = "connection__customer"

    def usable(self) -> ReconnectLinkQuerySet:
        return self.filter(used_at=None, revoked_at=None, expires_at__gt=timezone.now())

    def expired_unrecorded(self, now) -> ReconnectLinkQuerySet:
        """Links that ran out unused and whose expiry the audit trail does not hold yet."""
        return self.filter(
            used_at=None, revoked_at=None, expires_at__lte=now, expiry_recorded_at=None
        )


class ReconnectLink(models.Model):
    """One link for one connection. The URL is the row's id signed with SECRET_KEY
    (monitoring/reconnect_links.py), so the row holds no secret; using, revoking and expiring
    are the row's state, checked and changed with conditional updates."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="reconnect_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    notification = models.OneToOneField(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reconnect_link",
        help_text="The reauthorization notice that carried this link, if one did.",
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expiry_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The sign-in started from this link that may come back: its state's nonce, else empty.
    state_nonce = models.CharField(max_length=64, blank=True, editable=False)

    objects = ReconnectLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"reconnect link #{self.pk} of {self.connection.display_name}"

    @property
    def status(self) -> LinkStatus:
        if self.used_at is not None:
            return LinkStatus.USED
        if self.revoked_at is not None:
            return LinkStatus.REVOKED
        if self.expires_at <= timezone.now():
            return LinkStatus.EXPIRED
        return LinkStatus.ACTIVE
