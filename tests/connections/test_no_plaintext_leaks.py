"""Proof that a token's plaintext leaks nowhere: database dump, logs, pages, admin, error reports,
audit log. The only place it may appear is the show-once page right after it is issued.
"""

import logging
import re
import shutil
import subprocess
import sys

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter

from connections import audit, tokens
from connections.actors import Actor
from connections.models import ApiToken, AuditEvent
from tests.factories import ApiTokenFactory, linked_connection, new_token_plaintext


def database_dump() -> str:
    """Everything in the test database, as text: pg_dump on PostgreSQL, iterdump on SQLite."""
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        pg_dump = shutil.which("pg_dump")
        assert pg_dump, "pg_dump is needed to dump the PostgreSQL test database"
        result = subprocess.run(
            [
                pg_dump, "--data-only", "--no-owner",
                "-h", settings_dict.get("HOST") or "127.0.0.1",
                "-p", str(settings_dict.get("PORT") or 5432),
                "-U", settings_dict.get("USER") or "postgres",
                settings_dict["NAME"],
            ],
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        return result.stdout
    connection.ensure_connection()
    return "\n".join(connection.connection.iterdump())


def shown(response) -> str:
    return re.search(r'<code id="new-token">([^<]+)</code>', response.content.decode()).group(1)


def nonce(response) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_anywhere_after_the_show_once_page(
    client_for, admin_user, customer_a, caplog, sandbox_server
):
    caplog.set_level(logging.DEBUG)
    linked = linked_connection(customer=customer_a)
    factory_plaintext = new_token_plaintext()
    ApiTokenFactory(connection=linked, plaintext=factory_plaintext)
    client = client_for(admin_user)

    page = client.get(reverse("connection_tokens", args=[linked.pk]))
    issued_plaintext = shown(
        client.post(reverse("issue_token", args=[linked.pk]), {"nonce": nonce(page), "label": "x"})
    )
    issued = ApiToken.objects.with_fingerprint(issued_plaintext).get()
    form = client.get(reverse("rotate_token", args=[issued.pk]))
    rotated_plaintext = shown(
        client.post(
            reverse("rotate_token", args=[issued.pk]), {"nonce": nonce(form), "overlap_hours": 1}
        )
    )
    client.post(reverse("revoke_token", args=[issued.pk]))
    plaintexts = [factory_plaintext, issued_plaintext, rotated_plaintext]
    all_tokens = list(ApiToken.objects.all())
    assert len(all_tokens) == 4

    pages = [
        reverse("token_list"),
        reverse("connection_tokens", args=[linked.pk]),
        reverse("connection_detail", args=[linked.pk]),
        reverse("audit_log"),
        reverse("admin:connections_apitoken_changelist"),
        reverse("admin:connections_auditevent_changelist"),
        reverse("admin:connections_connection_change", args=[linked.pk]),
        *[reverse("admin:connections_apitoken_change", args=[token.pk]) for token in all_tokens],
        *[
            reverse("admin:connections_auditevent_change", args=[event.pk])
            for event in AuditEvent.objects.all()
        ],
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        for plaintext in plaintexts:
            assert plaintext not in response.content.decode(), url

    audit_text = repr(list(AuditEvent.objects.values()))
    dump = database_dump()
    assert "token.rotated" in dump  # the dump really holds the data
    for plaintext in plaintexts:
        assert plaintext not in audit_text
        assert plaintext not in dump
        assert plaintext not in caplog.text
        assert plaintext[-12:] not in dump  # no partial leak beyond the last 4 shown


def error_report_of_a_failed_issue(linked, admin_user) -> str:
    """The text and HTML error reports Django would render (500 page, mail to admins)."""
    request = RequestFactory().post("/connections/tokens/issue/", {"label": "x"})
    request.user = admin_user
    try:
        tokens.issue_token(linked, actor=Actor.from_request(request), label="x")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        return reporter.get_traceback_text() + reporter.get_traceback_html()
    pytest.fail("the issue should have failed")


@pytest.mark.django_db(transaction=True)
def test_an_error_report_while_issuing_holds_no_plaintext(
    admin_user, customer_a, monkeypatch, sandbox_server
):
    """Django's error reports (500 page, mail to admins) show local variables: not this one."""
    linked = linked_connection(customer=customer_a)
    issued_plaintexts = []
    real_store = tokens._store

    def store_and_remember(connection, issued, **kwargs):
        issued_plaintexts.append(issued.token)
        return real_store(connection, issued, **kwargs)

    def failing_record(*args, **kwargs):
        raise RuntimeError("audit storage is down")

    monkeypatch.setattr(tokens, "_store", store_and_remember)
    monkeypatch.setattr(audit, "record", failing_record)
    report = error_report_of_a_failed_issue(linked, admin_user)
    assert issued_plaintexts, "the upstream issued a token before the failure"
    assert "audit storage is down" in report
    assert issued_plaintexts[0] not in report
    # Nothing half-done: no stored token, and the upstream's token was revoked again.
    assert not ApiToken.objects.with_fingerprint(issued_plaintexts[0]).exists()
