"""Malformed input is refused with a 400 that says what was wrong, before any view reads it."""

import json

import pytest

from connections.input_guard import MAX_JSON_DEPTH, MalformedInput, load_json


def test_load_json_parses_what_is_sound():
    assert load_json('{"a": ["\\u00e9", "\\ud83d\\ude00", "[{"], "b": "\\\\u0000"}') == {
        "a": ["é", "😀", "[{"],
        "b": "\\u0000",  # an escaped backslash, then the text u0000: not a NUL
    }
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json(nested.encode()) is not None


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("[" * 1000 + "]" * 1000, "nested 1000 levels deep"),
        ('{"a": "x\\u0000y"}', "NUL"),
        (b'{"a": "x\x00y"}', "NUL"),
        (b'{"a": "\xff"}', "not UTF-8"),
        ('{"a": "\\ud800"}', "surrogate"),
        ('{"a": "\\udc00\\ud800"}', "surrogate"),
        ('{"a": "\\ud800x"}', "surrogate"),
    ],
)
def test_load_json_refuses_what_no_code_or_database_can_use(raw, says):
    with pytest.raises(MalformedInput, match=says):
        load_json(raw)


@pytest.mark.parametrize(
    "query",
    ["request_id=%00", "request_id=abc%00def", "request_id=%ff%fe", "%00=1", "q=" + "x" * 2001],
)
def test_a_malformed_query_string_is_a_400_page_saying_why(client, support_user, query):
    client.force_login(support_user)
    response = client.get(f"/search/?{query}", HTTP_ACCEPT="text/html,*/*")
    assert response.status_code == 400
    page = response.content.decode()
    assert "That request could not be read" in page
    assert any(words in page for words in ("NUL character", "not UTF-8", "characters long"))


def test_a_nul_in_a_form_field_is_refused_and_nothing_is_saved(client, support_user, connection_a):
    from tests.monitoring.factories import IssueFactory

    issue = IssueFactory(connection=connection_a)
    client.force_login(support_user)
    response = client.post(
        f"/issues/{issue.pk}/notes/", {"body": "tried\x00this"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "holds a NUL character" in response.content.decode()
    assert not issue.notes.exists()


def test_json_bodies_get_the_reason_as_json(client):
    body = json.dumps({"records": [{"a": "\x00"}]})
    response = client.post("/webhooks/unified/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "code": "bad_request",
                "message": "The JSON holds a NUL character (\\u0000).",
                "field": "",
            }  # fmt: skip
        ]
    }


def test_a_deep_json_body_is_refused_whatever_its_content_type(client):
    response = client.post("/webhooks/unified/", "[" * 1000 + "]" * 1000, content_type="text/plain")
    assert response.status_code == 400
    assert "nested 1000 levels deep" in response.content.decode()


def test_a_nul_in_a_header_is_refused(client, support_user):
    client.force_login(support_user)
    response = client.get("/", HTTP_HX_CURRENT_URL="http://x/\x00")
    assert response.status_code == 400


def test_a_csrf_failure_is_a_page_of_ours(admin_user):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x"})
    assert response.status_code == 403
    assert "That form has expired" in response.content.decode()


def test_api_clients_get_json_and_browsers_a_page(client, db):
    assert client.get("/login/?next=%00", HTTP_ACCEPT="*/*").json()["errors"][0]["message"] == (
        "The field 'next' holds a NUL character."
    )
    page = client.get("/login/?next=%00", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*")
    assert page["Content-Type"].startswith("text/html")


def test_a_replacement_character_typed_as_text_is_not_mistaken_for_bad_bytes(client, db):
    response = client.get("/login/?next=%EF%BF%BD", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
