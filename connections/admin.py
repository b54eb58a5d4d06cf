from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from connections import audit, audit_display
from connections.actors import Actor
from connections.models import ApiToken, AuditEvent, Connection, Customer, User


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "contact_email"]
    search_fields = ["name", "slug", "contact_email"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "role", "customer", "is_active"]
    list_filter = ["role", "customer", "is_active"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Patchbay role", {"fields": ["role", "customer"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("Patchbay role", {"fields": ["role", "customer"]}),
    ]

    def save_model(self, request, obj, form, change):
        before = User.objects.filter(pk=obj.pk).values("role", "customer_id").first() or {}
        super().save_model(request, obj, form, change)
        after = {"role": obj.role, "customer_id": obj.customer_id}
        if before != after:
            audit.record(
                "user.role_changed" if change else "user.created",
                obj,
                actor=Actor.from_request(request),
                customer=obj.customer,
                changes={"before": before, "after": after},
            )


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["display_name", "customer", "system", "environment", "health_status"]
    list_filter = ["health_status", "system", "environment", "customer"]
    search_fields = ["display_name", "upstream_id", "customer__name"]
    list_select_related = ["customer"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Metadata only: tokens are issued, rotated and revoked in Patchbay, never typed in."""

    list_display = ["__str__", "label", "customer", "environment", "status", "created_at",
                    "expires_at", "revoked_at"]  # fmt: skip
    list_filter = ["environment"]
    list_select_related = ["connection__customer"]
    search_fields = ["label", "last4", "connection__display_name", "connection__customer__name"]
    fields = [
        "connection",
        "environment",
        "label",
        "last4",
        "fingerprint",
        "created_by",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_by",
        "revoked_at",
        "rotated_from",
        "rotate_out_at",
    ]
    readonly_fields = fields

    @admin.display(description="customer", ordering="connection__customer__name")
    def customer(self, token: ApiToken) -> str:
        return token.connection.customer.name

    @admin.display(description="status")
    def status(self, token: ApiToken) -> str:
        return token.status.label

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AppendOnlyAdmin(admin.ModelAdmin):
    """For records that are history: the admin lists and shows them, never adds, edits or
    deletes (the audit log, mapping versions)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(AppendOnlyAdmin):
    """Read-only: the audit log is append-only for everyone, admins included."""

    list_display = ["created_at", "actor_repr", "what", "object_repr", "customer", "details"]
    list_filter = ["action", "object_type"]
    search_fields = ["request_id", "object_id", "actor_repr", "object_repr"]
    list_select_related = ["customer"]
    exclude = ["changes"]
    readonly_fields = ["details"]

    @admin.display(description="what", ordering="action")
    def what(self, event: AuditEvent) -> str:
        return audit_display.action_label(event.action)

    @admin.display(description="details")
    def details(self, event: AuditEvent) -> str:
        return audit_display.summary(event)
