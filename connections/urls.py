from django.urls import path

from connections import audit_views, token_views, views

urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("tokens/", token_views.token_list, name="token_list"),
    path(
        "connections/<int:connection_id>/tokens/",
        token_views.connection_tokens,
        name="connection_tokens",
    ),
    path(
        "connections/<int:connection_id>/tokens/issue/",
        token_views.issue_token,
        name="issue_token",
    ),
    path("tokens/<int:token_id>/rotate/", token_views.rotate_token, name="rotate_token"),
    path("tokens/<int:token_id>/revoke/", token_views.revoke_token, name="revoke_token"),
    path("audit/", audit_views.audit_log, name="audit_log"),
]
