"""Every URL of the app, walked with malformed input as a persona allowed to open it: never a 5xx.

Patterns are found by resolving the URLconf (as tests/test_tenancy_urls.py does), so a new URL is
walked without anyone remembering, and a URL keyword this file cannot fill fails until it is
taught. Each pattern gets every input it reads set to each kind of bad value: the query and form
parameters it read while answering a plain request, the fields of the forms it rendered, the
fields of the mapping API's schemas as a JSON body, the headers the app reads, and its own URL
keywords bent out of range. NUL characters, bytes that are not UTF-8 and JSON nested 1,000 deep
must be refused with a 400 that says so (connections/input_guard.py); 100,000-character strings
and out-of-range numbers must get an answer below 500.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote, quote_from_bytes

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.datastructures import MultiValueDict
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.celery import app as celery_app
from mappings import system_defaults, versions
from mappings.api import api
from mappings.governance import Governance
from mappings.spec import EMPTY_SPEC
from monitoring import reconnect_links
from tests.factories import ApiTokenFactory, ConnectionFactory, new_token_plaintext
from tests.monitoring.factories import ErrorLogFactory, IssueFactory, open_incident
from tests.url_coverage import WALK_HEADER

NUL = "a\x00b"
NOT_UTF8 = b"\xff\xfe\xc3("
LONG = "x" * 100_000
OUT_OF_RANGE = [
    "99999999999999999999999999",
    "-99999999999999999999",
    "-1",
    "1e400",
    "NaN",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
]
DEEP_JSON = b"[" * 1000 + b"]" * 1000
# Headers the app or its libraries read (django-htmx, the request id, the proxy's, the API's
# Bearer token, the webhook's signature).
HEADERS = [
    "HTTP_X_REQUEST_ID",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_HX_REQUEST",
    "HTTP_HX_TARGET",
    "HTTP_HX_TRIGGER",
    "HTTP_HX_TRIGGER_NAME",
    "HTTP_HX_CURRENT_URL",
    "HTTP_HX_BOOSTED",
    "HTTP_HX_HISTORY_RESTORE_REQUEST",
    "HTTP_HX_PROMPT",
    "HTTP_WEBHOOK_ID",
    "HTTP_WEBHOOK_TIMESTAMP",
    "HTTP_WEBHOOK_SIGNATURE",
    "HTTP_ACCEPT",
    "HTTP_REFERER",
]
# A form body stays under Django's DATA_UPLOAD_MAX_MEMORY_SIZE, so long values go a few at a time.
LONG_VALUES_PER_BODY = 20
# Django's admin site is Django's own, tested by Django, and a hundred patterns: it gets every
# kind of bad value, but fewer of the out-of-range ones.
ADMIN_OUT_OF_RANGE = ["99999999999999999999999999", "0001-01-01T00:00:00+14:00"]


# Walked signed out, as the people who use them are (signed in, they only redirect).
SIGN_IN_URL_NAMES = {"login", "admin:login"}


@dataclass
class World:
    user: object
    connection: object
    token: object
    token_plaintext: str
    issue: object
    error: object
    version: object
    link: object
    default_version: object
    totp_device: object
    incident: object


OWN_VALUES = {
    "connection_id": lambda w: w.connection.pk,
    "customer_slug": lambda w: w.connection.customer.slug,
    "customer_id": lambda w: w.connection.customer_id,
    "token_id": lambda w: w.token.pk,
    "issue_id": lambda w: w.issue.pk,
    "error_id": lambda w: w.error.pk,
    "entity": lambda w: "purchase_order",
    "version_id": lambda w: w.version.pk,
    "upstream_id": lambda w: w.connection.upstream_id,
    "link_id": lambda w: w.link.pk,
    # A reconnect link's signed part (monitoring/reconnect_links.py).
    "token": lambda w: reconnect_links.token_for(w.link),
    "system": lambda w: w.connection.system,
    "default_version_id": lambda w: w.default_version.pk,
    "pk": lambda w: w.totp_device.pk,
    "incident_id": lambda w: w.incident.pk,
    # Django's admin site.
    "app_label": lambda w: "monitoring",
    "object_id": lambda w: str(w.issue.pk),
    "content_type_id": lambda w: "1",
    "id": lambda w: str(w.user.pk),
    "url": lambda w: "connections/",
}


def walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def every_url_pattern() -> list[tuple[str, str, URLPattern]]:
    return list(walk(get_resolver()))


def path_for(route: str, pattern: URLPattern, world: World, bent: dict | None = None) -> str:
    """The route with its keywords filled with the world's own objects (or `bent` values)."""
    keywords = list(pattern.pattern.regex.groupindex)
    missing = [name for name in keywords if name not in OWN_VALUES]
    assert not missing, f"{route!r} takes {missing}: teach OWN_VALUES in {__name__} to fill them"
    values = {name: OWN_VALUES[name](world) for name in keywords} | (bent or {})
    path = "/" + route
    for name, value in values.items():
        path = re.sub(rf"<(?:\w+:)?{name}>|\(\?P<{name}>[^)]*\)", quote(str(value)), path)
    return path.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")


class ReadNames:
    """The names a view looks up in request.GET/POST (and form widgets) while it answers."""

    def __init__(self, monkeypatch):
        self.names: set[str] = set()
        for method in ("get", "getlist", "__getitem__", "__contains__"):
            original = getattr(MultiValueDict, method)
            monkeypatch.setattr(MultiValueDict, method, self._recording(original))

    def _recording(self, original):
        def recorded(data, key, *args, **kwargs):
            if isinstance(key, str):
                self.names.add(key)
            return original(data, key, *args, **kwargs)

        return recorded


FORM_FIELD = re.compile(r'\sname="([^"]+)"')
QUERY_NAME = re.compile(r'(?:href|hx-get|hx-post|action)="[^"?]*\?([^"#]*)"')


def names_in(html: str) -> set[str]:
    names = set(FORM_FIELD.findall(html))
    for query in QUERY_NAME.findall(html):
        names |= {part.split("=", 1)[0] for part in query.replace("&amp;", "&").split("&")}
    return {name for name in names if name and name != "csrfmiddlewaretoken"}


def schema_names() -> set[str]:
    """Every property name in the mapping API's request and response schemas."""
    names: set[str] = set()

    def collect(node):
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(api.get_openapi_schema())
    return names


def encoded(value: str | bytes) -> str:
    return quote_from_bytes(value) if isinstance(value, bytes) else quote(value)


def form(names, value) -> str:
    return "&".join(f"{encoded(name)}={encoded(value)}" for name in sorted(names))


@pytest.fixture
def world(admin_user, customer_a, settings):
    # Tasks a view sends run in the request (no broker left with messages); the upstream they
    # call is a closed loopback port, refused at once.
    settings.UNIFIED_API_BASE_URL = "http://127.0.0.1:8129/v1"
    celery_app.conf.task_always_eager = True
    connection = ConnectionFactory(customer=customer_a, system="sandbox")
    plaintext = new_token_plaintext()
    yield World(
        user=admin_user,
        connection=connection,
        token=ApiTokenFactory(connection=connection, plaintext=plaintext),
        token_plaintext=plaintext,
        issue=IssueFactory(connection=connection),
        error=ErrorLogFactory(connection=connection, request_id="req_walk_1"),
        version=versions.save(
            connection, "purchase_order", EMPTY_SPEC, base_number=None, actor=_system()
        ),
        link=reconnect_links.create(connection, actor=_system()),
        default_version=system_defaults.save(
            "sandbox", "purchase_order", {}, Governance(), base_number=None, actor=_system()
        ),
        totp_device=TOTPDevice.objects.create(user=admin_user, name="walk", confirmed=False),
        incident=open_incident(connection),
    )
    celery_app.conf.task_always_eager = False


def _system():
    from connections.actors import Actor

    return Actor.system()


def test_the_walk_finds_every_app_and_admin_url():
    names = {f"{namespace}{pattern.name}" for _, namespace, pattern in every_url_pattern()}
    assert {"home", "mapping_import", "unified_webhook", "admin:index"} <= names
    assert any(name.startswith("mappings-api:") for name in names)


@pytest.mark.parametrize(
    ("route", "namespace", "pattern"),
    every_url_pattern(),
    ids=[f"{space}{pattern.name or route}" for route, space, pattern in every_url_pattern()],
)
def test_no_input_makes_a_url_answer_5xx(
    client, admin_user, world, monkeypatch, route, namespace, pattern
):
    if f"{namespace}{pattern.name}" not in SIGN_IN_URL_NAMES:
        client.force_login(admin_user)
    headers = {
        WALK_HEADER: "1",
        "HTTP_AUTHORIZATION": f"Bearer {world.token_plaintext}",
    }
    path = path_for(route, pattern, world)
    seen = ReadNames(monkeypatch)
    names: set[str] = set()
    for method in (client.get, client.post):
        response = method(path, **headers)
        assert response.status_code < 500, (method.__name__, path, response.status_code)
        if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
            names |= names_in(response.content.decode())
    monkeypatch.undo()
    names |= seen.names | {"page", "q", "sort"}
    json_names = names | schema_names()

    def answer(method, url, expect_400=False, **extra):
        response = method(url, **headers, **extra)
        where = f"{method.__name__.upper()} {url[:120]} {str(extra)[:120]}"
        assert response.status_code < 500, f"{where}: {response.status_code}"
        if expect_400:
            assert response.status_code == 400, f"{where}: {response.status_code}"
            assert re.search(rb"NUL|UTF-8|nested|surrogate", response.content), where
        return response

    form_type = "application/x-www-form-urlencoded"
    for value in (NUL, NOT_UTF8):
        answer(client.get, f"{path}?{form(names, value)}", expect_400=True)
        answer(client.post, path, True, data=form(names, value), content_type=form_type)
        body = json.dumps(dict.fromkeys(json_names, "a\x00b"))
        answer(client.post, path, True, data=body, content_type="application/json")
    answer(client.post, path, True, data=NOT_UTF8, content_type="application/json")
    answer(client.post, path, True, data=DEEP_JSON, content_type="application/json")
    half_pair = b'{"records": [{"a": "\\ud800"}]}'
    answer(client.post, path, True, data=half_pair, content_type="text/plain")
    answer(client.post, path, True, data={"upload": NUL})  # multipart

    is_admin = namespace.startswith("admin:")
    for value in ADMIN_OUT_OF_RANGE if is_admin else OUT_OF_RANGE:
        answer(client.get, f"{path}?{form(names, value)}")
        answer(client.post, path, data=form(names, value), content_type=form_type)
        if not is_admin:  # the admin reads no JSON
            body = {name: value for name in json_names} | {"records": [{"x": value}, value]}
            answer(client.post, path, data=json.dumps(body), content_type="application/json")
    answer(client.get, f"{path}?{form(names, LONG)}")
    ordered = sorted(names)
    for start in range(0, len(ordered), LONG_VALUES_PER_BODY):
        chunk = ordered[start : start + LONG_VALUES_PER_BODY]
        answer(client.post, path, data=form(chunk, LONG), content_type=form_type)
    answer(client.post, path, data=json.dumps({"records": [LONG], "q": LONG}),
           content_type="application/json")  # fmt: skip

    answer(client.get, path, **dict.fromkeys(HEADERS, NUL), expect_400=True)
    header_values = [LONG, "99999999999999999999", "é\u202e<>\"'", "http://[::1"]
    for value in header_values[: 1 if is_admin else None]:
        answer(client.get, path, **dict.fromkeys(HEADERS, value))
        answer(client.post, path, **dict.fromkeys(HEADERS, value))

    for name in pattern.pattern.regex.groupindex:
        for value in ("99999999999999999999", "x" * 5000, NUL)[is_admin:]:
            bent = path_for(route, pattern, world, {name: value})
            if value == NUL:
                answer(client.get, bent, expect_400=True)
            else:
                answer(client.get, bent)
                answer(client.post, bent)
