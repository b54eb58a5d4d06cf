from django.contrib import admin

from connections.admin import AppendOnlyAdmin
from mappings.models import MappingVersion, SystemDefaultVersion


@admin.register(MappingVersion)
class MappingVersionAdmin(AppendOnlyAdmin):
    """Read-only: versions are history; changes go through the editor, which validates them."""

    list_display = ["connection", "entity", "number", "author", "created_at", "note"]
    list_filter = ["entity", "connection__system"]
    search_fields = ["connection__display_name", "connection__upstream_id", "note"]
    list_select_related = ["connection", "author"]


@admin.register(SystemDefaultVersion)
class SystemDefaultVersionAdmin(AppendOnlyAdmin):
    """Read-only: system defaults are edited on their own page, which validates and checks them."""

    list_display = ["system", "entity", "number", "author", "created_at", "note"]
    list_filter = ["system", "entity"]
    search_fields = ["note"]
    list_select_related = ["author"]
