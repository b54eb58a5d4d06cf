"""Rollups: health checks counted per connection per hour and per day, and per day, system,
outcome and error code for each customer and for the whole fleet, so the pages that draw history
never read raw checks.

`monitoring.rollups.add()` keeps them up to date in the same write as the checks; the pages read
them through `monitoring.rollups`.
"""

from __future__ import annotations

from django.db import models

from connections.models import Connection, Customer
from connections.systems import System
from connections.tenancy import TenantQuerySet
from health.vocabulary import HealthStatus, Outcome

# A rollup's `worst` is the index of the worst status its checks left the connection in. Unknown
# ranks just above healthy, so an hour seen only as unknown is not drawn as confirmed healthy;
# the other statuses keep SEVERITY's order.
WORST_ORDER: tuple[str, ...] = (
    HealthStatus.HEALTHY,
    HealthStatus.UNKNOWN,
    HealthStatus.DEGRADED,
    HealthStatus.REAUTH_REQUIRED,
    HealthStatus.DISCONNECTED,
    HealthStatus.ERROR,
)
WORST_RANK = {status: rank for rank, status in enumerate(WORST_ORDER)}
# One count column per outcome, named as the outcome's value.
OUTCOME_COLUMNS: tuple[str, ...] = tuple(Outcome.values)


class ConnectionRollupQuerySet(TenantQuerySet):
    customer_path = "connection__customer"


class ConnectionRollup(models.Model):
    """What one connection's checks in one bucket came to.

    A column per `Outcome` (`ok`, `rate_limited`, `no_token`, each failure), so a page can tell
    rate-limited and no-token apart from success and from failure.
    """

    # The primary key (connection, bucket) serves the foreign key too; no database constraint,
    # as on every partitioned history table (see `HealthCheck.connection`).
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    bucket = models.DateTimeField(help_text="Start of the hour or day, UTC.")
    checks = models.PositiveIntegerField(default=0)
    ok = models.PositiveIntegerField(default=0)
    reauth = models.PositiveIntegerField(default=0)
    permission = models.PositiveIntegerField(default=0)
    rate_limited = models.PositiveIntegerField(default=0)
    upstream_error = models.PositiveIntegerField(default=0)
    unreachable = models.PositiveIntegerField(default=0)
    protocol_error = models.PositiveIntegerField(default=0)
    disconnected = models.PositiveIntegerField(default=0)
    no_token = models.PositiveIntegerField(default=0)
    worst = models.PositiveSmallIntegerField(default=0, help_text="Index in WORST_ORDER.")
    latency_total_ms = models.PositiveBigIntegerField(default=0)
    latency_max_ms = models.PositiveIntegerField(default=0)

    objects = ConnectionRollupQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.connection_id} {self.bucket:%Y-%m-%d %H:%M}: {self.checks} checks"

    @property
    def worst_status(self) -> str:
        return WORST_ORDER[self.worst]

    @property
    def outcomes(self) -> dict[str, int]:
        return {column: getattr(self, column) for column in OUTCOME_COLUMNS}


class HourlyRollup(ConnectionRollup):
    pk = models.CompositePrimaryKey("connection", "bucket")

    class Meta:
        ordering = ["connection", "bucket"]


class DailyRollup(ConnectionRollup):
    pk = models.CompositePrimaryKey("connection", "bucket")

    class Meta:
        ordering = ["connection", "bucket"]


class CustomerDailyRollupQuerySet(TenantQuerySet):
    customer_path = "customer"


class DailyTally(models.Model):
    """Checks of a day with one outcome and error code (OK checks have none)."""

    day = models.DateField()
    system = models.CharField(max_length=32, choices=System.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    error_code = models.CharField(max_length=64, blank=True)
    checks = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class CustomerDailyRollup(DailyTally):
    """A customer's checks per day, system, outcome and error code: its health page and charts,
    a few rows a day per system it uses."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )

    pk = models.CompositePrimaryKey("day", "customer", "system", "outcome", "error_code")

    objects = CustomerDailyRollupQuerySet.as_manager()

    class Meta:
        ordering = ["day"]
        # A customer's days; the primary key leads with the day for retention's sake.
        indexes = [models.Index(fields=["customer", "day"], name="customerrollup_customer_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.customer_id} {self.system} {self.outcome}: {self.checks}"


class SystemDailyRollup(DailyTally):
    """The whole fleet's checks per day, system, outcome and error code: staff's charts read a
    few dozen rows a day whatever the number of customers and connections. Platform staff only
    (not tenant-scoped: it mixes every customer)."""

    pk = models.CompositePrimaryKey("day", "system", "outcome", "error_code")

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.system} {self.outcome}: {self.checks}"
