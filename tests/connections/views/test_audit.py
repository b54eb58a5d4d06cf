"""The audit log page: admins filter the trail by each field, read it in words, page through it
by keyset and take it away as formula-safe CSV; nobody else reaches it."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from connections import audit, tokens
from connections.actors import Actor
from connections.models import AuditEvent
from tests.factories import ApiTokenFactory, UserFactory


def text(response) -> str:
    return response.content.decode()


def rows(response) -> list[str]:
    """The log's rows on the page; none on a page without the log (the input guard's 400)."""
    if "<tbody>" not in text(response):
        return []
    body = text(response).split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


@pytest.fixture
def trail(admin_user, connection_a, connection_b):
    """Entries of several kinds, people, customers, request ids and days."""
    token = ApiTokenFactory(connection=connection_a, label="ERP nightly sync")
    bob = UserFactory(username="bob-admin", admin=True)
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)):
        audit.record("connection.check_requested", connection_a,
                     actor=Actor(admin_user, request_id="pb_first"))  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 5, 9, 0, tzinfo=UTC)):
        audit.record("token.revealed", token, actor=Actor(bob, request_id="pb_second"),
                     changes={"token": tokens.token_summary(token)})  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=UTC)):
        audit.record("connection.check_requested", connection_b,
                     actor=Actor(bob, request_id="pb_third"))  # fmt: skip
    return token


def test_every_filter_has_a_label(client_for, admin_user):
    body = text(client_for(admin_user).get(reverse("audit_log")))
    for field, label in [("action", "Action"), ("actor", "Who"), ("customer", "Customer"),
                         ("object_type", "Object type"), ("request_id", "Request id"),
                         ("since", "From"), ("until", "To")]:  # fmt: skip
        assert f'<label for="id_{field}">{label}</label>' in body, field


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"pb_first", "pb_second", "pb_third"}),
        ({"action": "token.revealed"}, {"pb_second"}),
        ({"action": "connection."}, {"pb_first", "pb_third"}),
        ({"actor": "bob"}, {"pb_second", "pb_third"}),
        ({"customer": "borealis"}, {"pb_third"}),
        ({"object_type": "connections.apitoken"}, {"pb_second"}),
        ({"request_id": " pb_third "}, {"pb_third"}),
        ({"since": "2026-03-05"}, {"pb_second", "pb_third"}),
        ({"until": "2026-03-05"}, {"pb_first", "pb_second"}),
        ({"since": "2026-03-02", "until": "2026-03-08"}, {"pb_second"}),
    ],
)
def test_the_trail_filters_by_each_field(client_for, admin_user, trail, filters, expected):
    response = client_for(admin_user).get(reverse("audit_log"), filters)
    assert response.status_code == 200
    found = {re.search(r"<code>(pb_\w+)</code>", row).group(1) for row in rows(response)}
    assert found == expected


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"since": "2026-03-09", "until": "2026-03-01"}, "is after the"),
        ({"since": "yesterday"}, "Enter a valid date"),
        ({"action": "token.nope"}, "Select a valid choice"),
        ({"request_id": "two words"}, "one word"),
        # Refused before the view by the input guard (connections/input_guard.py).
        ({"actor": "a\x00b"}, "holds a NUL character"),
        ({"request_id": "x" * 100_000}, "at most 2,000"),
    ],
)
def test_a_filter_that_cannot_be_read_says_so_and_shows_nothing(
    client_for, admin_user, trail, filters, message
):
    response = client_for(admin_user).get(reverse("audit_log"), filters, HTTP_ACCEPT="text/html")
    assert response.status_code == 400
    assert message in text(response)
    assert rows(response) == [] or "No entries match" in rows(response)[0]


def test_entries_read_as_sentences_and_name_objects_as_the_pages_do(
    sandbox_server, client_for, admin_user, linked_a
):
    old = tokens.issue_token(
        linked_a, actor=Actor(admin_user), label="ERP nightly sync", expires_in=timedelta(days=90)
    ).token
    new = tokens.rotate_token(old, actor=Actor(admin_user), overlap=timedelta(hours=6)).token
    body = text(client_for(admin_user).get(reverse("audit_log")))
    assert f"token …{new.last4} of {linked_a.display_name}" in body
    assert f"token …{old.last4} for " not in body
    assert f"Replaced token …{old.last4} “ERP nightly sync” with …{new.last4}" in body
    assert "the old one stays valid for 6 hours, then is revoked." in body
    assert "Issued token" in body and "expires 20" in body
    assert "{&#x27;" not in body and "{'" not in body  # never a raw dict
    assert f'href="/connections/{linked_a.pk}/tokens/#token-{new.pk}"' in body


def test_an_old_entry_is_named_as_the_app_names_its_object_today(
    client_for, admin_user, connection_a
):
    token = ApiTokenFactory(connection=connection_a)
    audit.record("token.revoked", None, actor=Actor(admin_user),
                 object_type="connections.apitoken", object_id=str(token.pk),
                 object_repr=f"token …{token.last4} for {connection_a.pk}")  # fmt: skip
    body = text(client_for(admin_user).get(reverse("audit_log")))
    assert f"token …{token.last4} of Acme SAP production" in body


def test_pages_go_back_in_time_by_keyset(
    client_for, admin_user, connection_a, django_assert_max_num_queries
):
    for _ in range(120):
        audit.record("connection.check_requested", connection_a, actor=Actor(admin_user))
    client = client_for(admin_user)
    with django_assert_max_num_queries(10):
        first = client.get(reverse("audit_log"))
    assert len(rows(first)) == 50
    older = re.search(r'rel="next" href="\?before=([^"]+)"', text(first)).group(1)
    second = client.get(reverse("audit_log"), {"before": older})
    third = client.get(
        reverse("audit_log"),
        {"before": re.search(r'rel="next" href="\?before=([^"]+)"', text(second)).group(1)},
    )
    assert len(rows(second)) == 50 and len(rows(third)) == 20
    assert 'rel="next"' not in text(third)
    seen = [row for page in (first, second, third) for row in rows(page)]
    assert len(seen) == 120
    newer = re.search(r'rel="prev" href="\?after=([^"]+)"', text(third)).group(1)
    back = client.get(reverse("audit_log"), {"after": newer})
    assert rows(back) == rows(second)
    damaged = client.get(reverse("audit_log"), {"before": "not-a-cursor"})
    assert damaged.status_code == 400 and "This page link is damaged" in text(damaged)


def test_csv_export_is_streamed_formula_safe_and_itself_audited(
    client_for, admin_user, connection_a
):
    connection_a.display_name = '=HYPERLINK("http://evil.example")'
    connection_a.save()
    audit.record("connection.check_requested", connection_a,
                 actor=Actor(admin_user, request_id="pb_csv"))  # fmt: skip
    response = client_for(admin_user).get(
        reverse("audit_log"), {"format": "csv", "request_id": "pb_csv"}
    )
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0][:3] == ["time_utc", "who", "action"]
    assert len(lines) == 2
    assert lines[1][2] == "connection.check_requested"
    assert lines[1][6].startswith("'=HYPERLINK")
    assert lines[1][3] == "Check now requested"
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor == admin_user
    assert exported.changes["filters"] == {"request id": "pb_csv"}


def test_support_is_refused_and_members_are_not_told_it_exists(client_for, support_user, member_a):
    assert client_for(support_user).get(reverse("audit_log")).status_code == 403
    assert client_for(member_a).get(reverse("audit_log")).status_code == 404


def test_the_request_id_search_finds_audit_entries_for_admins(
    client_for, admin_user, support_user, connection_a
):
    audit.record("connection.check_requested", connection_a,
                 actor=Actor(admin_user, request_id="pb_0123456789abcdef"))  # fmt: skip
    found = client_for(admin_user).get(reverse("request_search"),
                                       {"request_id": "pb_0123456789abcdef"})  # fmt: skip
    body = text(found)
    assert found.status_code == 200
    assert "1 audit log entry carries" in body and "Check now requested" in body
    assert 'href="/audit/?request_id=pb_0123456789abcdef"' in body
    hidden = client_for(support_user).get(reverse("request_search"),
                                          {"request_id": "pb_0123456789abcdef"})  # fmt: skip
    assert "audit log entr" not in text(hidden)
