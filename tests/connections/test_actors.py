"""The client's address behind trusted proxies: what the audit trail and django-axes record."""

import pytest

from connections.actors import Actor, client_ip


@pytest.mark.parametrize(
    ("trusted", "count", "forwarded_for", "expected"),
    [
        (False, 1, "203.0.113.7", "10.0.0.2"),  # headers not trusted: the connection's address
        (True, 1, "203.0.113.7", "203.0.113.7"),
        (True, 1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the client's own entry is not
        (True, 2, "198.51.100.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (True, 2, "203.0.113.7", "10.0.0.2"),  # fewer hops than proxies: not believed
        (True, 1, "", "10.0.0.2"),
        (True, 1, "not-an-address", "10.0.0.2"),
        (True, 1, "2001:db8::1", "2001:db8::1"),
        (True, 1, "[2001:db8::1]", "2001:db8::1"),
    ],
)
def test_client_ip_reads_x_forwarded_for_only_through_the_trusted_proxies(
    rf, settings, trusted, count, forwarded_for, expected
):
    settings.TRUST_PROXY_HEADERS, settings.TRUSTED_PROXY_COUNT = trusted, count
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_ip(request) == expected
    assert Actor.from_request(request).ip_address == expected


def test_client_ip_is_none_without_any_address(rf, settings):
    settings.TRUST_PROXY_HEADERS = True
    assert client_ip(rf.get("/", REMOTE_ADDR="")) is None
