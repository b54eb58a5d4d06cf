from django.urls import path

from monitoring.views import (
    charts,
    connection,
    customers,
    errors,
    incidents,
    issues,
    overview,
    reconnect,
    reconnect_links,
    webhook,
)

urlpatterns = [
    path("", overview.connection_overview, name="home"),
    path("connections/", overview.connection_overview, name="connection_list"),
    path(
        "connections/<int:connection_id>/", connection.connection_detail, name="connection_detail"
    ),
    path(
        "connections/<int:connection_id>/check/",
        connection.connection_check,
        name="connection_check",
    ),
    path(
        "connections/<int:connection_id>/notices/resend/",
        connection.connection_notice_resend,
        name="connection_notice_resend",
    ),
    path(
        "connections/<int:connection_id>/reconnect/",
        reconnect.connection_reconnect,
        name="connection_reconnect",
    ),
    path(
        "connections/<int:connection_id>/reconnect/callback/",
        reconnect.connection_reconnect_callback,
        name="connection_reconnect_callback",
    ),
    path(
        "connections/<int:connection_id>/reconnect-links/",
        reconnect_links.connection_reconnect_links,
        name="connection_reconnect_links",
    ),
    path(
        "reconnect-links/<int:link_id>/revoke/",
        reconnect_links.reconnect_link_revoke,
        name="reconnect_link_revoke",
    ),
    # Public: the signed link is the holder's authentication (monitoring/reconnect_links.py).
    path(
        "reconnect/callback/",
        reconnect_links.reconnect_link_callback,
        name="reconnect_link_callback",
    ),
    path(
        "reconnect/<int:connection_id>/<str:token>/",
        reconnect_links.reconnect_link,
        name="reconnect_link",
    ),
    path("issues/", issues.issue_list, name="issue_list"),
    path("issues/bulk/", issues.issue_bulk, name="issue_bulk"),
    path("issues/<int:issue_id>/", issues.issue_detail, name="issue_detail"),
    path("issues/<int:issue_id>/unassign/", issues.issue_unassign, name="issue_unassign"),
    path("issues/<int:issue_id>/mute/", issues.issue_mute, name="issue_mute"),
    path("issues/<int:issue_id>/unmute/", issues.issue_unmute, name="issue_unmute"),
    path("issues/<int:issue_id>/resolve/", issues.issue_resolve, name="issue_resolve"),
    path("incidents/<int:incident_id>/", incidents.incident_detail, name="incident_detail"),
    path(
        "incidents/<int:incident_id>/acknowledge/",
        incidents.incident_acknowledge,
        name="incident_acknowledge",
    ),
    path("incidents/<int:incident_id>/assign/", incidents.incident_assign, name="incident_assign"),
    path("charts/", charts.failure_charts, name="failure_charts"),
    path(
        "customers/<slug:customer_slug>/health/",
        customers.customer_health,
        name="customer_health",
    ),
    path("connections/suggest/", overview.connection_suggestions, name="connection_suggestions"),
    path("issues/<int:issue_id>/acknowledge/", issues.issue_acknowledge, name="issue_acknowledge"),
    path("issues/<int:issue_id>/assign/", issues.issue_assign, name="issue_assign"),
    path("issues/<int:issue_id>/notes/", issues.issue_note, name="issue_note"),
    path("errors/", errors.error_list, name="error_list"),
    path("errors/<int:error_id>/", errors.error_detail, name="error_detail"),
    path("search/", errors.request_search, name="request_search"),
    path("webhooks/unified/", webhook.unified_webhook, name="unified_webhook"),
]
