from django.urls import path

from mappings import views
from mappings.api import api

entity = "connections/<int:connection_id>/mappings/<str:entity>/"

urlpatterns = [
    path("api/mappings/v1/", api.urls),
    path("connections/<int:connection_id>/mappings/", views.mapping_index, name="mapping_index"),
    path(entity, views.editor, name="mapping_editor"),
    path(f"{entity}preview/", views.preview, name="mapping_preview"),
    path(f"{entity}save/", views.save, name="mapping_save"),
    path(f"{entity}custom-field/", views.custom_field_row, name="mapping_custom_field"),
    path(f"{entity}catalog/", views.catalog_search, name="mapping_catalog"),
    path(f"{entity}history/", views.history, name="mapping_history"),
    path(f"{entity}export/", views.export, name="mapping_export"),
    path(f"{entity}restore-defaults/", views.restore_defaults, name="mapping_restore_defaults"),
    path(f"{entity}import/", views.import_mapping, name="mapping_import"),
    path(f"{entity}copy/", views.copy_mapping, name="mapping_copy"),
    path("mapping-versions/<int:version_id>/rollback/", views.rollback, name="mapping_rollback"),
]
