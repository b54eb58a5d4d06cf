"""Rollups of health checks, and history partitioned by time on PostgreSQL (issue 17).

After the schema changes, on PostgreSQL `partition_history` makes raw checks, the error log and the
new rollup tables partitioned without copying a row: an existing table becomes the partition of
everything up to the end of today (`<table>_legacy`, dropped whole once past retention) and daily
or monthly partitions follow it. Then `backfill_rollups` counts the checks already kept into
rollups (one INSERT ... SELECT per table, on any database), so strips drawn from rollups show the
history drawn before from raw checks.
"""

# ruff: noqa: S608 - the SQL names tables and columns from the models; values are parameters.
from datetime import UTC

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import Case, Count, F, Max, Min, Q, Sum, Value, When
from django.db.models.functions import Trunc, TruncDate
from django.utils import timezone

from monitoring import partitions

PARTITIONED = [
    partitions.HEALTH_CHECKS,
    partitions.ERROR_LOG,
    partitions.HOURLY_ROLLUPS,
    partitions.DAILY_ROLLUPS,
    partitions.CUSTOMER_ROLLUPS,
    partitions.SYSTEM_ROLLUPS,
]
OUTCOMES = ["ok", "reauth", "permission", "rate_limited", "upstream_error", "unreachable",
            "protocol_error", "disconnected", "no_token"]  # fmt: skip
WORST_ORDER = ["healthy", "unknown", "degraded", "reauth_required", "disconnected", "error"]


def partition_history(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    now = timezone.now()
    for table in PARTITIONED:
        partitions.convert(table, now)


def unpartition_history(apps, schema_editor):
    """Back to plain tables: rows copied aside, the table made again as Django makes it, rows
    copied back. (The rollup tables are dropped by the reversed CreateModel after this.)"""
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for model_name in ("HealthCheck", "ErrorLog"):
        model = apps.get_model("monitoring", model_name)
        table = model._meta.db_table
        columns = ", ".join(quote(field.column) for field in model._meta.local_concrete_fields)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {quote(table + '_rows')} AS SELECT * FROM {quote(table)}")
            cursor.execute(f"DROP TABLE {quote(table)} CASCADE")
            schema_editor.create_model(model)
            cursor.execute(
                f"INSERT INTO {quote(table)} ({columns}) "
                f"SELECT {columns} FROM {quote(table + '_rows')}"
            )
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"coalesce((SELECT max(id) FROM {quote(table)}), 0) + 1, false)",
                [table],
            )
            cursor.execute(f"DROP TABLE {quote(table + '_rows')}")


def insert_select(schema_editor, model, grouped) -> None:
    """INSERT INTO the model's table the rows of a grouped queryset, named as its columns."""
    quote = schema_editor.quote_name
    sql, params = grouped.query.sql_with_params()
    columns = [*grouped.query.values_select, *grouped.query.annotation_select]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) {sql}",
            params,
        )


def backfill_rollups(apps, schema_editor):
    HealthCheck = apps.get_model("monitoring", "HealthCheck")
    checks = HealthCheck.objects.order_by()
    oldest = checks.aggregate(oldest=Min("checked_at"))["oldest"]
    if oldest is None:
        return
    if schema_editor.connection.vendor == "postgresql":
        for table in PARTITIONED[2:]:
            partitions.ensure(table, oldest, timezone.now())
    worst = Case(
        *[When(status_after=status, then=Value(rank)) for rank, status in enumerate(WORST_ORDER)],
        default=Value(0),
    )
    for model_name, unit in (("HourlyRollup", "hour"), ("DailyRollup", "day")):
        grouped = (
            checks.values("connection_id", bucket=Trunc("checked_at", unit, tzinfo=UTC))
            .annotate(
                checks=Count("id"),
                **{outcome: Count("id", filter=Q(outcome=outcome)) for outcome in OUTCOMES},
                worst=Max(worst),
                latency_total_ms=Sum("latency_ms"),
                latency_max_ms=Max("latency_ms"),
            )
            .order_by()
        )
        insert_select(schema_editor, apps.get_model("monitoring", model_name), grouped)
    day = TruncDate("checked_at", tzinfo=UTC)
    for model_name, owner in (
        ("CustomerDailyRollup", {"customer_id": F("connection__customer_id")}),
        ("SystemDailyRollup", {}),
    ):
        tallies = (
            checks.values("outcome", "error_code", day=day, system=F("connection__system"), **owner)
            .annotate(checks=Count("id"))
            .order_by()
        )
        insert_select(schema_editor, apps.get_model("monitoring", model_name), tallies)


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0001_initial"),
        ("monitoring", "0003_rename_problem_to_issue"),
    ]

    operations = [
        migrations.CreateModel(
            name="SystemDailyRollup",
            fields=[
                ("day", models.DateField()),
                (
                    "system",
                    models.CharField(
                        choices=[
                            ("sap_s4hana", "SAP S/4HANA"),
                            ("sap_ecc", "SAP ECC"),
                            ("ibm_maximo", "IBM Maximo"),
                            ("fiix", "Fiix"),
                            ("netsuite", "NetSuite"),
                            ("dynamics_365", "Microsoft Dynamics 365"),
                            ("upkeep", "UpKeep"),
                            ("limble", "Limble"),
                            ("emaint", "eMaint"),
                            ("infor_eam", "Infor EAM"),
                            ("sandbox", "Sandbox"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("ok", "OK"),
                            ("reauth", "Reauthorization needed"),
                            ("permission", "Permission denied"),
                            ("rate_limited", "Rate limited"),
                            ("upstream_error", "Upstream error"),
                            ("unreachable", "Unreachable"),
                            ("protocol_error", "Protocol error"),
                            ("disconnected", "Disconnected upstream"),
                            ("no_token", "No usable token"),
                        ],
                        max_length=20,
                    ),
                ),
                ("error_code", models.CharField(blank=True, max_length=64)),
                ("checks", models.PositiveIntegerField(default=0)),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "day",
                        "system",
                        "outcome",
                        "error_code",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
            ],
            options={
                "ordering": ["day"],
            },
        ),
        migrations.AlterField(
            model_name="errorlog",
            name="connection",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="error_logs",
                to="connections.connection",
            ),
        ),
        migrations.AlterField(
            model_name="errorlog",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="errorlog",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="error_logs",
                to="connections.customer",
            ),
        ),
        migrations.AlterField(
            model_name="healthcheck",
            name="checked_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="healthcheck",
            name="connection",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="health_checks",
                to="connections.connection",
            ),
        ),
        migrations.CreateModel(
            name="DailyRollup",
            fields=[
                ("bucket", models.DateTimeField(help_text="Start of the hour or day, UTC.")),
                ("checks", models.PositiveIntegerField(default=0)),
                ("ok", models.PositiveIntegerField(default=0)),
                ("reauth", models.PositiveIntegerField(default=0)),
                ("permission", models.PositiveIntegerField(default=0)),
                ("rate_limited", models.PositiveIntegerField(default=0)),
                ("upstream_error", models.PositiveIntegerField(default=0)),
                ("unreachable", models.PositiveIntegerField(default=0)),
                ("protocol_error", models.PositiveIntegerField(default=0)),
                ("disconnected", models.PositiveIntegerField(default=0)),
                ("no_token", models.PositiveIntegerField(default=0)),
                (
                    "worst",
                    models.PositiveSmallIntegerField(default=0, help_text="Index in WORST_ORDER."),
                ),
                ("latency_total_ms", models.PositiveBigIntegerField(default=0)),
                ("latency_max_ms", models.PositiveIntegerField(default=0)),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "connection",
                        "bucket",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "connection",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="connections.connection",
                    ),
                ),
            ],
            options={
                "ordering": ["connection", "bucket"],
            },
        ),
        migrations.CreateModel(
            name="HourlyRollup",
            fields=[
                ("bucket", models.DateTimeField(help_text="Start of the hour or day, UTC.")),
                ("checks", models.PositiveIntegerField(default=0)),
                ("ok", models.PositiveIntegerField(default=0)),
                ("reauth", models.PositiveIntegerField(default=0)),
                ("permission", models.PositiveIntegerField(default=0)),
                ("rate_limited", models.PositiveIntegerField(default=0)),
                ("upstream_error", models.PositiveIntegerField(default=0)),
                ("unreachable", models.PositiveIntegerField(default=0)),
                ("protocol_error", models.PositiveIntegerField(default=0)),
                ("disconnected", models.PositiveIntegerField(default=0)),
                ("no_token", models.PositiveIntegerField(default=0)),
                (
                    "worst",
                    models.PositiveSmallIntegerField(default=0, help_text="Index in WORST_ORDER."),
                ),
                ("latency_total_ms", models.PositiveBigIntegerField(default=0)),
                ("latency_max_ms", models.PositiveIntegerField(default=0)),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "connection",
                        "bucket",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "connection",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="connections.connection",
                    ),
                ),
            ],
            options={
                "ordering": ["connection", "bucket"],
            },
        ),
        migrations.CreateModel(
            name="CustomerDailyRollup",
            fields=[
                ("day", models.DateField()),
                (
                    "system",
                    models.CharField(
                        choices=[
                            ("sap_s4hana", "SAP S/4HANA"),
                            ("sap_ecc", "SAP ECC"),
                            ("ibm_maximo", "IBM Maximo"),
                            ("fiix", "Fiix"),
                            ("netsuite", "NetSuite"),
                            ("dynamics_365", "Microsoft Dynamics 365"),
                            ("upkeep", "UpKeep"),
                            ("limble", "Limble"),
                            ("emaint", "eMaint"),
                            ("infor_eam", "Infor EAM"),
                            ("sandbox", "Sandbox"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("ok", "OK"),
                            ("reauth", "Reauthorization needed"),
                            ("permission", "Permission denied"),
                            ("rate_limited", "Rate limited"),
                            ("upstream_error", "Upstream error"),
                            ("unreachable", "Unreachable"),
                            ("protocol_error", "Protocol error"),
                            ("disconnected", "Disconnected upstream"),
                            ("no_token", "No usable token"),
                        ],
                        max_length=20,
                    ),
                ),
                ("error_code", models.CharField(blank=True, max_length=64)),
                ("checks", models.PositiveIntegerField(default=0)),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "day",
                        "customer",
                        "system",
                        "outcome",
                        "error_code",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="connections.customer",
                    ),
                ),
            ],
            options={
                "ordering": ["day"],
                "indexes": [
                    models.Index(fields=["customer", "day"], name="customerrollup_customer_day")
                ],
            },
        ),
        migrations.RunPython(partition_history, unpartition_history),
        migrations.RunPython(backfill_rollups, migrations.RunPython.noop),
    ]
