"""Customers (tenants), their users and roles, connections, API tokens and the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from connections import crypto
from connections.systems import Environment, System
from connections.tenancy import TenantQuerySet
from health.vocabulary import HealthStatus


class CustomerQuerySet(TenantQuerySet):
    customer_path = ""


class Customer(models.Model):
    """A tenant: a company of the vendor's that connects its industrial systems."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    contact_email = models.EmailField()
    notification_webhook_url = models.URLField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Platform admin"
    SUPPORT = "support", "Support staff"
    MEMBER = "member", "Customer member"


class PatchbayUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person: platform staff (admin or support) or a member of exactly one customer.

    An explicit role field rather than groups: the roles are exclusive, tenancy needs the member's
    customer on the same row, and every permission check reads one column instead of a join.
    """

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="Every time the dashboard shows is in this zone."
    )

    objects = PatchbayUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="member_has_customer_staff_has_none",
                condition=(
                    models.Q(role="member", customer__isnull=False)
                    | (models.Q(role__in=["admin", "support"]) & models.Q(customer__isnull=True))
                ),
            )
        ]

    def clean(self) -> None:
        super().clean()
        if self.role == Role.MEMBER and self.customer_id is None:
            raise ValidationError({"customer": "A customer member needs a customer."})
        if self.role != Role.MEMBER and self.customer_id is not None:
            raise ValidationError({"customer": "Platform staff belong to no customer."})

    def save(self, *args, **kwargs):
        # Only platform admins reach Django's admin site; the role is the one source of truth.
        self.is_staff = self.role == Role.ADMIN
        self.is_superuser = self.role == Role.ADMIN
        super().save(*args, **kwargs)

    @property
    def is_platform_admin(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_platform_staff(self) -> bool:
        return self.is_active and self.role in (Role.ADMIN, Role.SUPPORT)

    @property
    def is_customer_member(self) -> bool:
        return self.is_active and self.role == Role.MEMBER


class ConnectionQuerySet(TenantQuerySet):
    def with_customer(self) -> ConnectionQuerySet:
        return self.select_related("customer")

    def needing_reauth(self) -> ConnectionQuerySet:
        return self.filter(health_status=HealthStatus.REAUTH_REQUIRED)


class Connection(models.Model):
    """One customer's link to one industrial system in one environment, via the upstream API."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="connections")
    system = models.CharField(max_length=32, choices=System.choices)
    environment = models.CharField(max_length=16, choices=Environment.choices)
    upstream_id = models.CharField("upstream connection id", max_length=100, unique=True)
    display_name = models.CharField(max_length=200)
    health_status = models.CharField(
        max_length=20, choices=HealthStatus.choices, default=HealthStatus.UNKNOWN, db_index=True
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["customer__name", "display_name"]
        indexes = [models.Index(fields=["customer", "health_status"])]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_system_display()}, {self.environment})"


class TokenStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ROTATING_OUT = "rotating_out", "Rotating out"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


@dataclass(frozen=True, slots=True)
class CallToken:
    """What one upstream call needs of a token: its id (to mark it used) and its ciphertext."""

    pk: int
    ciphertext: bytes = field(repr=False)

    def plaintext(self) -> str:
        """Decrypt for immediate use (an upstream call); raises crypto.TokenDecryptionError."""
        return crypto.decrypt(self.ciphertext)


class ApiTokenQuerySet(TenantQuerySet):
    customer_path = "connection__customer"

    def active(self) -> ApiTokenQuerySet:
        """Tokens the upstream still honours: not revoked, not expired (rotating-out included)."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)

    def with_status(self, status: str) -> ApiTokenQuerySet:
        now = timezone.now()
        live = self.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)
        return {
            TokenStatus.ACTIVE: live.filter(rotate_out_at__isnull=True),
            TokenStatus.ROTATING_OUT: live.filter(rotate_out_at__isnull=False),
            TokenStatus.EXPIRED: self.filter(revoked_at__isnull=True, expires_at__lte=now),
            TokenStatus.REVOKED: self.filter(revoked_at__isnull=False),
        }[status]

    def for_listing(self) -> ApiTokenQuerySet:
        """With what a row shows: its connection and customer, who made and revoked it, and the
        tokens it replaces and is replaced by (a rotation's two halves link to each other)."""
        return self.select_related(
            "connection__customer", "created_by", "revoked_by", "rotated_from", "rotated_to"
        )

    def filtered(
        self, *, customer=None, environment="", status="", expiring=False, q="", warning_days=14
    ) -> ApiTokenQuerySet:
        """The token list's filters, applied in one place."""
        tokens = self
        if customer is not None:
            tokens = tokens.filter(connection__customer=customer)
        if environment:
            tokens = tokens.filter(environment=environment)
        if status:
            tokens = tokens.with_status(status)
        if expiring:
            tokens = tokens.expiring_before(timezone.now() + timedelta(days=warning_days))
        if q:
            tokens = tokens.filter(connection__display_name__icontains=q)
        return tokens

    def expiring_before(self, moment) -> ApiTokenQuerySet:
        return self.active().filter(expires_at__lte=moment)

    def expiring_unreplaced(self, moment) -> ApiTokenQuerySet:
        """Tokens in use that stop working by `moment` and that no rotation has replaced yet:
        what someone must act on (a rotated-out token's successor already took over)."""
        return self.expiring_before(moment).filter(rotate_out_at__isnull=True)

    def due_for_auto_revoke(self) -> ApiTokenQuerySet:
        """Rotated-out tokens past their overlap; only those whose successor really exists."""
        return self.filter(
            revoked_at__isnull=True, rotate_out_at__lte=timezone.now(), rotated_to__isnull=False
        )

    def current_for(self, connection) -> ApiToken | None:
        """The token calls for `connection` use: its newest active one, not one rotating out."""
        current = self.current_by_connection([connection.pk]).get(connection.pk)
        return None if current is None else self.get(pk=current.pk)

    def current_by_connection(self, connection_ids: Iterable[int]) -> dict[int, CallToken]:
        """`current_for` for a sweep batch's thousand connections in one query, loading only
        what a call needs: a model instance per token cost the batch more than the query."""
        ranked: dict[int, tuple[bool, datetime, CallToken]] = {}
        rows = (
            self.active()
            .filter(connection_id__any_of=list(connection_ids))
            .order_by()
            .values_list("pk", "connection_id", "ciphertext", "created_at", "rotate_out_at")
        )
        for pk, connection_id, ciphertext, created_at, rotate_out_at in rows:
            rank = (rotate_out_at is None, created_at, CallToken(pk, bytes(ciphertext)))
            best = ranked.get(connection_id)
            if best is None or rank[:2] > best[:2]:
                ranked[connection_id] = rank
        return {connection_id: rank[2] for connection_id, rank in ranked.items()}

    def with_fingerprint(self, plaintext: str) -> ApiTokenQuerySet:
        return self.filter(fingerprint=crypto.fingerprint(plaintext))

    def mark_used(self) -> int:
        """Record that these tokens are being used now (the token list's "Last used")."""
        return self.update(last_used_at=timezone.now())


class ApiToken(models.Model):
    """An upstream API token for one connection, encrypted at rest; never a plaintext column."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="tokens")
    environment = models.CharField(max_length=16, choices=Environment.choices)
    label = models.CharField(
        max_length=100, help_text="What the token is for, e.g. ERP nightly sync."
    )
    upstream_token_id = models.CharField(max_length=100, blank=True)
    ciphertext = models.BinaryField(editable=False)
    fingerprint = models.CharField(max_length=64, unique=True, editable=False)
    last4 = models.CharField("last 4 characters", max_length=4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    rotated_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rotated_to"
    )
    rotate_out_at = models.DateTimeField(
        null=True, blank=True, help_text="When a rotated-out token is revoked automatically."
    )
    expiry_announced_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the customer's contact was told this token expires soon (told once).",
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        """As every page names it: "token …5q7E of Acme SAP production"."""
        return f"token …{self.last4} of {self.connection.display_name}"

    def __repr__(self) -> str:
        return f"<ApiToken {self.pk} …{self.last4}>"

    def save(self, *args, **kwargs):
        # Environments never mix: a production connection never holds a sandbox token.
        if self.connection_id and self.environment != self.connection.environment:
            raise ValidationError(
                f"A {self.environment} token cannot belong to a "
                f"{self.connection.environment} connection."
            )
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.connection_id and self.environment != self.connection.environment:
            raise ValidationError(
                {"environment": "A token's environment must match its connection's environment."}
            )

    @property
    def status(self) -> TokenStatus:
        now = timezone.now()
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return TokenStatus.EXPIRED
        if self.rotate_out_at is not None:
            return TokenStatus.ROTATING_OUT
        return TokenStatus.ACTIVE

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:12]

    @property
    def lifetime(self) -> timedelta | None:
        """How long the token was issued to live (None: it never expires), to the nearest hour:
        the upstream stamps the expiry a moment before Patchbay stamps the creation."""
        if self.expires_at is None:
            return None
        hours = round((self.expires_at - self.created_at).total_seconds() / 3600)
        return timedelta(hours=max(hours, 1))

    @property
    def successor(self) -> ApiToken | None:
        """The token a rotation replaced this one with, if any."""
        try:
            return self.rotated_to
        except ApiToken.DoesNotExist:
            return None

    def set_plaintext(self, plaintext: str) -> None:
        """Encrypt `plaintext` into this row; the plaintext itself is not kept on the object."""
        self.ciphertext = crypto.encrypt(plaintext)
        self.fingerprint = crypto.fingerprint(plaintext)
        self.last4 = plaintext[-4:]

    def plaintext(self) -> str:
        """Decrypt for immediate use (an upstream call); raises crypto.TokenDecryptionError."""
        return crypto.decrypt(bytes(self.ciphertext))


class AuditEventQuerySet(TenantQuerySet):
    def filtered(
        self,
        *,
        action="",
        action_prefix="",
        actor="",
        customer=None,
        object_type="",
        request_id="",
        since=None,
        until=None,
    ) -> AuditEventQuerySet:
        """The audit log's filters in one place; `since`/`until` are whole UTC days, included,
        compared as a range on created_at so its index serves them."""
        events = self
        if action:
            events = events.filter(action=action)
        if action_prefix:
            events = events.filter(action__startswith=action_prefix)
        if actor:
            events = events.filter(actor_repr__icontains=actor)
        if customer is not None:
            events = events.filter(customer=customer)
        if object_type:
            events = events.filter(object_type=object_type)
        if request_id:
            events = events.filter(request_id=request_id.strip())
        if since:
            events = events.filter(created_at__gte=_start_of_day(since))
        if until:
            events = events.filter(created_at__lt=_start_of_day(until) + timedelta(days=1))
        return events

    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


def _start_of_day(day) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


class AuditEvent(models.Model):
    """Append-only record of who did what to which object, when, and from which request."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    # No database constraint and no cascade: the trail outlives the users and customers it names.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_repr = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Keyset pages of the audit log, newest first (connections/keyset.py).
            models.Index(fields=["-created_at", "-id"], name="auditevent_newest_first"),
            models.Index(fields=["request_id"], name="auditevent_request_id"),
        ]

    def __str__(self) -> str:
        what = self.object_repr or self.object_type
        return f"{self.actor_repr or 'system'}: {self.action} of {what}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")
