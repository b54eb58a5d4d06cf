from django.urls import path

from mappings.api import api
from mappings.views import editor, history, system_defaults, transfer

entity = "connections/<int:connection_id>/mappings/<str:entity>/"
system = "mappings/systems/<str:system>/<str:entity>/"

urlpatterns = [
    path("api/mappings/v1/", api.urls),
    path("connections/<int:connection_id>/mappings/", editor.mapping_index, name="mapping_index"),
    path(entity, editor.editor, name="mapping_editor"),
    path(f"{entity}preview/", editor.preview, name="mapping_preview"),
    path(f"{entity}save/", editor.save, name="mapping_save"),
    path(f"{entity}custom-field/", editor.custom_field_row, name="mapping_custom_field"),
    path(f"{entity}field-row/", editor.field_row, name="mapping_field_row"),
    path(f"{entity}catalog/", editor.catalog_search, name="mapping_catalog"),
    path(f"{entity}history/", history.history, name="mapping_history"),
    path(f"{entity}restore-defaults/", history.restore_defaults, name="mapping_restore_defaults"),
    path("mapping-versions/<int:version_id>/rollback/", history.rollback, name="mapping_rollback"),
    path(f"{entity}export/", transfer.export, name="mapping_export"),
    path(f"{entity}import/", transfer.import_mapping, name="mapping_import"),
    path(f"{entity}copy/", transfer.copy_mapping, name="mapping_copy"),
    path("mappings/systems/", system_defaults.system_index, name="system_default_index"),
    path(system, system_defaults.system_editor, name="system_default_editor"),
    path(f"{system}preview/", system_defaults.system_preview_view, name="system_default_preview"),
    path(f"{system}save/", system_defaults.system_save, name="system_default_save"),
    path(f"{system}history/", system_defaults.system_history, name="system_default_history"),
    path(
        f"{system}restore-catalog/", system_defaults.system_restore, name="system_default_restore"
    ),
    path(
        "system-default-versions/<int:default_version_id>/rollback/",
        system_defaults.system_rollback,
        name="system_default_rollback",
    ),
]
