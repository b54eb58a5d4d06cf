from django.urls import path

from connections.views import account, audit, customers, tokens, two_factor

urlpatterns = [
    path("customers/", customers.customer_list, name="customer_list"),
    path("tokens/", tokens.token_list, name="token_list"),
    path(
        "connections/<int:connection_id>/tokens/",
        tokens.connection_tokens,
        name="connection_tokens",
    ),
    path(
        "connections/<int:connection_id>/tokens/issue/",
        tokens.issue_token,
        name="issue_token",
    ),
    path("tokens/<int:token_id>/rotate/", tokens.rotate_token, name="rotate_token"),
    path("tokens/<int:token_id>/revoke/", tokens.revoke_token, name="revoke_token"),
    path("audit/", audit.audit_log, name="audit_log"),
    path("account/two-factor/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/qr.svg", two_factor.two_factor_qr, name="two_factor_qr"),
    path(
        "account/two-factor/recovery-codes/",
        two_factor.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("login/verify/", two_factor.two_factor_verify, name="two_factor_verify"),
    path("account/time-zone/", account.account_time_zone, name="account_time_zone"),
]
