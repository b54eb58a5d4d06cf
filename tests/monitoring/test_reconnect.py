"""Against the real sandbox: "Check now", and a customer reconnecting through the sign-in flow."""

import pytest

from monitoring import reconnect


def test_a_code_the_upstream_refuses_says_why_with_its_request_id(sandbox_server, settings):
    with pytest.raises(reconnect.ReconnectFailed) as refused:
        reconnect.exchange_code("not-a-code-it-issued", "http://testserver/back/")
    assert str(refused.value).startswith("The upstream refused the code:")
    assert "request id req_" in str(refused.value)
    settings.UNIFIED_API_BASE_URL = "http://127.0.0.1:9/v1"
    with pytest.raises(reconnect.ReconnectFailed, match="could not be reached"):
        reconnect.exchange_code("any", "http://testserver/back/")
