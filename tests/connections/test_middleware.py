"""Request ids on every log line of a request (Django's own included), the access line, and
the Content-Security-Policy of every page."""

import logging

from django.urls import reverse


def test_djangos_own_lines_about_a_4xx_carry_the_request_id(client, member_a, caplog):
    client.force_login(member_a)
    caplog.set_level(logging.INFO)
    response = client.get("/connections/999999/")
    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    django_lines = [r for r in caplog.records if r.name == "django.request"]
    assert django_lines and {r.request_id for r in django_lines} == {request_id}
    access = [r for r in caplog.records if r.name == "patchbay.access"]
    assert [r.getMessage().rsplit(" ", 1)[0] for r in access] == ["GET /connections/999999/ 404"]
    assert access[0].request_id == request_id


def test_a_well_formed_incoming_request_id_is_kept_and_a_bad_one_replaced(client, db):
    assert client.get("/login/", HTTP_X_REQUEST_ID="req_proxy-1")["X-Request-ID"] == "req_proxy-1"
    replaced = client.get("/login/", HTTP_X_REQUEST_ID="no spaces allowed")["X-Request-ID"]
    assert replaced.startswith("pb_")


def test_lines_after_the_request_are_not_logged_under_its_id(client, db):
    from connections.middleware import current_request_id

    client.get("/login/")
    assert current_request_id() == "-"


def test_every_page_has_the_strict_policy_with_the_upstream_for_reconnects(client, db, settings):
    settings.UNIFIED_API_BASE_URL = "https://api.unified.example:8443/v1"
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self' https://api.unified.example:8443"
