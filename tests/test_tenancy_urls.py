"""Every URL of the web app, walked with another customer's ids: a member always gets 404.

Patterns are found by resolving the URLconf, so a new view is covered without anyone remembering;
a URL keyword this file cannot fill makes the test fail until it is taught (Zulip's approach).
"""

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from connections.actors import Actor
from monitoring import reconnect_links
from monitoring.models import ReconnectLink
from tests.factories import ApiTokenFactory
from tests.monitoring.factories import ErrorLogFactory, IssueFactory, open_incident

# URLs anyone may reach without signing in (they authenticate by other means or not at all).
PUBLIC_URL_NAMES = {"login", "logout"}
# The upstream's webhooks: authenticated by their Standard Webhooks signature instead of a session
# (tests/monitoring/test_webhooks.py covers forged, tampered, stale and replayed deliveries).
PUBLIC_URL_NAMES |= {"unified_webhook"}
# Reconnect links: authenticated by the signed link in the URL (or the signed state the upstream
# sends back), not a session. test_a_reconnect_link_works_only_for_its_own_connection below
# walks them with another connection's id and a changed byte; tests/monitoring/views/
# test_reconnect_links.py covers reuse, expiry, revoking and a member of another customer.
PUBLIC_URL_NAMES |= {"reconnect_link", "reconnect_link_callback"}
# Namespaces with their own permission system: Django's admin (platform admins only).
SKIPPED_NAMESPACES = {"admin"}
# The mapping API authenticates with a connection's Bearer token, not a session: its own walk in
# tests/mappings/test_api.py sends every route customer A's token with customer B's ids (404)
# and no token (401).
SKIPPED_NAMESPACES |= {"mappings-api"}


@dataclass
class World:
    customer_b: object
    connection_b: object
    token_b: object
    issue_b: object
    error_b: object
    link_b: object
    incident_b: object


# How to fill each URL keyword with an object that belongs to customer B.
FOREIGN_VALUES = {
    "connection_id": lambda w: w.connection_b.pk,
    "customer_slug": lambda w: w.customer_b.slug,
    "customer_id": lambda w: w.customer_b.pk,
    "token_id": lambda w: w.token_b.pk,
    "issue_id": lambda w: w.issue_b.pk,
    "error_id": lambda w: w.error_b.pk,
    # Incidents span customers: staff only, so a member gets 404 even for one of their own.
    "incident_id": lambda w: w.incident_b.pk,
    # A real entity on customer B's connection: the 404 must come from tenancy, not the name.
    "entity": lambda w: "purchase_order",
    "version_id": lambda w: foreign_mapping_version(w.connection_b).pk,
    "link_id": lambda w: w.link_b.pk,
    # System defaults are platform-wide, for platform admins only: a member gets 404 whatever
    # the system, so the walk fills them with real ones.
    "system": lambda w: "sandbox",
    "default_version_id": lambda w: system_default_version().pk,
}


def system_default_version():
    from mappings import system_defaults
    from mappings.governance import Governance

    return system_defaults.save(
        "sandbox", "purchase_order", {}, Governance(), base_number=None, actor=Actor.system()
    )


def foreign_mapping_version(connection):
    from mappings import versions
    from mappings.spec import EMPTY_SPEC

    return versions.save(
        connection, "purchase_order", EMPTY_SPEC, base_number=None, actor=Actor.system()
    )


def walk(resolver: URLResolver, prefix: str = "", namespace: str | None = None):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from walk(entry, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def every_url_pattern():
    return [(route, pattern) for route, pattern in walk(get_resolver()) if pattern.name]


def fill(route_pattern: URLPattern, world: World) -> dict:
    keywords = route_pattern.pattern.regex.groupindex.keys()
    missing = [name for name in keywords if name not in FOREIGN_VALUES]
    assert not missing, (
        f"URL {route_pattern.name!r} takes {missing}: teach FOREIGN_VALUES in {__name__} how to "
        "fill them with another customer's object"
    )
    return {name: FOREIGN_VALUES[name](world) for name in keywords}


def url_for(route: str, kwargs: dict) -> str:
    from django.urls import reverse

    return reverse(route.name, kwargs=kwargs) if isinstance(route, URLPattern) else route


@pytest.fixture
def world(customer_b, connection_b):
    return World(
        customer_b=customer_b,
        connection_b=connection_b,
        token_b=ApiTokenFactory(connection=connection_b),
        issue_b=IssueFactory(connection=connection_b),
        error_b=ErrorLogFactory(connection=connection_b, request_id="req_borealis_secret"),
        link_b=reconnect_links.create(connection_b, actor=Actor.system()),
        incident_b=open_incident(connection_b),
    )


def test_the_walk_finds_the_apps_urls():
    names = {pattern.name for _, pattern in every_url_pattern()}
    assert {"home", "connection_list", "connection_detail"} <= names


@pytest.mark.django_db
def test_member_gets_404_for_every_url_with_a_foreign_id(client, member_a, world):
    client.force_login(member_a)
    checked = []
    for _, pattern in every_url_pattern():
        if pattern.name in PUBLIC_URL_NAMES or not pattern.pattern.regex.groupindex:
            continue
        url = url_for(pattern, fill(pattern, world))
        responses = [client.get(url), client.post(url)]
        statuses = {response.status_code for response in responses}
        assert 404 in statuses and statuses <= {404, 405}, (url, statuses)
        for response in responses:
            body = response.content.decode(errors="replace")
            assert world.connection_b.display_name not in body, url
            assert world.customer_b.name not in body, url
        checked.append(url)
    assert checked, "no URL with an object id was walked"


@pytest.mark.django_db
def test_member_pages_without_ids_show_nothing_of_another_customer(client, member_a, world):
    client.force_login(member_a)
    for _, pattern in every_url_pattern():
        if pattern.name in PUBLIC_URL_NAMES or pattern.pattern.regex.groupindex:
            continue
        response = client.get(url_for(pattern, {}))
        assert response.status_code in {200, 404, 405}, (pattern.name, response.status_code)
        body = response.content.decode()
        assert world.connection_b.display_name not in body, pattern.name
        assert world.customer_b.name not in body, pattern.name


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_everywhere(client, world):
    for _, pattern in every_url_pattern():
        if pattern.name in PUBLIC_URL_NAMES:
            continue
        kwargs = fill(pattern, world) if pattern.pattern.regex.groupindex else {}
        response = client.get(url_for(pattern, kwargs))
        assert response.status_code in {302, 401, 403, 405}, (pattern.name, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/login/"), pattern.name


@pytest.mark.django_db
def test_a_reconnect_link_works_only_for_its_own_connection(client, member_a, world, connection_a):
    """The public link pages, walked like the others: customer B's link with customer A's
    connection id, or with one byte changed, opens nothing and changes nothing, signed in as a
    member of A or not signed in at all."""
    link = world.link_b
    token = reconnect_links.token_for(link)
    genuine = reconnect_links.path_for(link)
    changed = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    attempts = [
        genuine.replace(f"/reconnect/{world.connection_b.pk}/", f"/reconnect/{connection_a.pk}/"),
        genuine.replace(token, changed),
        genuine.replace(token, token.replace(":", ".", 1)),
    ]
    for signed_in in (False, True):
        if signed_in:
            client.force_login(member_a)
        for url in attempts:
            assert url != genuine
            for response in (client.get(url), client.post(url)):
                assert response.status_code == 404, (url, response.status_code)
                body = response.content.decode()
                assert "This reconnect link is not valid" in body
                assert world.connection_b.display_name not in body
                assert world.customer_b.name not in body
    link.refresh_from_db()
    assert (link.opened_at, link.used_at, link.state_nonce) == (None, None, "")
    assert not ReconnectLink.objects.exclude(pk=link.pk).exists()
    answer = client.get(reverse("reconnect_link_callback"), {"state": "forged", "code": "x"})
    assert answer.status_code == 404 and "not valid" in answer.content.decode()
