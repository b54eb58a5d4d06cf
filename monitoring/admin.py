from django.contrib import admin

from monitoring.models import (
    ConnectionEvent,
    ErrorLog,
    HealthCheck,
    Notification,
    PollSchedule,
    ReconnectLink,
    Sweep,
    SweepBatch,
    WebhookEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by the poller and the receiver; the admin only reads it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HealthCheck)
class HealthCheckAdmin(ReadOnlyAdmin):
    list_display = ["connection", "checked_at", "outcome", "status_after", "http_status",
                    "error_code", "latency_ms", "request_id"]  # fmt: skip
    list_filter = ["outcome", "status_after", "source"]
    search_fields = ["request_id", "connection__upstream_id"]
    list_select_related = ["connection"]
    # No date hierarchy: its year and month links group every kept check by date, and checked_at
    # has no index of its own (partitions by day stand in for one).
    show_full_result_count = False


@admin.register(ConnectionEvent)
class ConnectionEventAdmin(ReadOnlyAdmin):
    list_display = ["connection", "created_at", "from_status", "to_status", "reason", "source"]
    list_filter = ["to_status", "source"]
    search_fields = ["request_id", "connection__upstream_id", "connection__display_name"]
    list_select_related = ["connection"]


@admin.register(ErrorLog)
class ErrorLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "connection", "source", "http_status",
                    "error_code", "request_id"]  # fmt: skip
    list_filter = ["source", "error_code"]
    search_fields = ["=request_id"]
    list_select_related = ["customer", "connection"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["webhook_id", "event_type", "connection", "received_at", "state", "attempts",
                    "note"]  # fmt: skip
    list_filter = ["state", "event_type"]
    search_fields = ["=webhook_id"]
    list_select_related = ["connection"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "connection", "kind", "channel", "delivery",
                    "attempts", "last_error"]  # fmt: skip
    list_filter = ["kind", "channel", "delivery"]
    list_select_related = ["customer", "connection"]


@admin.register(Sweep)
class SweepAdmin(ReadOnlyAdmin):
    list_display = ["id", "planned_at", "connection_count", "batch_count", "batches_done",
                    "finished_at"]  # fmt: skip


@admin.register(SweepBatch)
class SweepBatchAdmin(ReadOnlyAdmin):
    """Which worker holds which batch, until when, and how often it was sent (lost workers)."""

    list_display = ["id", "sweep", "claimed_by", "lease_expires_at", "dispatches", "finished_at",
                    "lost"]  # fmt: skip
    list_filter = ["lost"]


@admin.register(PollSchedule)
class PollScheduleAdmin(ReadOnlyAdmin):
    list_display = ["connection", "due_at", "backoff_until"]
    list_select_related = ["connection"]


@admin.register(ReconnectLink)
class ReconnectLinkAdmin(ReadOnlyAdmin):
    """Made and revoked on the connection's reconnect-links page, so that both are audited."""

    list_display = ["__str__", "connection", "created_by", "created_at", "expires_at", "status"]
    list_select_related = ["connection", "created_by"]
    search_fields = ["connection__display_name", "connection__upstream_id"]
    exclude = ["state_nonce"]

    def has_delete_permission(self, request, obj=None):
        return False
