from django.contrib import admin
from django.db import transaction

from sandbox.models import SandboxConnection, SandboxSettings, SandboxToken
from sandbox.webhooks import announce_change_in_background


@admin.register(SandboxConnection)
class SandboxConnectionAdmin(admin.ModelAdmin):
    """Faults on demand: changing one sends the signed webhooks a real upstream would."""

    list_display = ["upstream_id", "system", "fault", "flaky_percent", "latency_ms", "updated_at"]
    list_editable = ["fault", "flaky_percent", "latency_ms"]
    list_filter = ["fault", "system"]
    search_fields = ["upstream_id"]

    def save_model(self, request, obj, form, change):
        previous = SandboxConnection.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        if previous is not None:
            transaction.on_commit(lambda: announce_change_in_background(obj, previous.status))


@admin.register(SandboxToken)
class SandboxTokenAdmin(admin.ModelAdmin):
    """Issued tokens: the hash is all the sandbox has, so nothing here can reveal a token."""

    list_display = ["token_id", "connection", "label", "created_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["token_id", "connection__upstream_id"]
    readonly_fields = ["token_id", "token_hash", "created_at"]
    list_select_related = ["connection"]


@admin.register(SandboxSettings)
class SandboxSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "global_latency_ms"]
