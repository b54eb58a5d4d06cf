from django.contrib import admin

from connections.admin import AppendOnlyAdmin
from mappings.models import MappingVersion


@admin.register(MappingVersion)
class MappingVersionAdmin(AppendOnlyAdmin):
    """Read-only: versions are history; changes go through the editor, which validates them."""

    list_display = ["connection", "entity", "number", "author", "created_at", "note"]
    list_filter = ["entity", "connection__system"]
    search_fields = ["connection__display_name", "connection__upstream_id", "note"]
    list_select_related = ["connection", "author"]
