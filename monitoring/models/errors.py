"""The error log: every error the upstream answered, found again by its request id."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from connections.models import Connection, Customer
from connections.tenancy import TenantQuerySet
from monitoring.models.history import Source


class ErrorLogQuerySet(TenantQuerySet):
    def with_request_id(self, request_id: str) -> ErrorLogQuerySet:
        """Support pastes a request id from a customer's report: one indexed lookup."""
        return self.filter(request_id=request_id.strip())

    def with_connection(self) -> ErrorLogQuerySet:
        return self.select_related("customer", "connection")

    def newest_first(self) -> ErrorLogQuerySet:
        """The error log's one order, which keyset pagination relies on (index below)."""
        return self.order_by("-created_at", "-id")


class ErrorLog(models.Model):
    """An error seen from the upstream (poll, webhook or API), with its raw body minus secrets.

    On PostgreSQL partitioned by week on `created_at` (`monitoring.partitions`), so retention
    drops whole weeks. The indexes below lead with the columns the foreign keys would index on
    their own; like the other history tables it has no foreign key constraints in the database
    (Django cascades; see `HealthCheck.connection`).
    """

    created_at = models.DateTimeField(default=timezone.now)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="error_logs",
        db_index=False,
        db_constraint=False,
    )
    connection = models.ForeignKey(
        Connection,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="error_logs",
        db_index=False,
        db_constraint=False,
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_type = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    raw_body = models.TextField(blank=True, help_text="As received, with secrets redacted.")

    objects = ErrorLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Keyset pagination walks (created_at, id) newest first, for everyone and per customer.
            models.Index(fields=["-created_at", "-id"], name="errorlog_newest_first"),
            models.Index(
                fields=["customer", "-created_at", "-id"], name="errorlog_customer_newest"
            ),
            # A connection's recent errors and the overview's "last error code".
            models.Index(fields=["connection", "-created_at"], name="errorlog_connection_newest"),
            # A member's request-id lookups and nearest-prefix suggestions stay in their rows.
            models.Index(fields=["customer", "request_id"], name="errorlog_customer_request"),
        ]

    def __str__(self) -> str:
        return f"{self.error_code or self.http_status} {self.request_id}"
