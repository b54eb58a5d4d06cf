"""The upstream protocol, served only by the sandbox server (sandbox/server.py) under /v1/."""

from django.urls import path

from sandbox import views

urlpatterns = [
    path("v1/health", views.health, name="sandbox_health"),
    path("v1/oauth/authorize", views.authorize, name="sandbox_authorize"),
    path("v1/oauth/token", views.exchange_code, name="sandbox_exchange_code"),
    path(
        "v1/connections/<str:upstream_id>/status",
        views.connection_status,
        name="sandbox_connection_status",
    ),
    path("v1/connections/<str:upstream_id>/tokens", views.issue_token, name="sandbox_issue_token"),
    path(
        "v1/connections/<str:upstream_id>/records/<str:entity>",
        views.connection_records,
        name="sandbox_connection_records",
    ),
    path(
        "v1/connections/<str:upstream_id>/tokens/<str:token_id>",
        views.revoke_token,
        name="sandbox_revoke_token",
    ),
]

handler404 = views.not_found
handler500 = views.server_error
