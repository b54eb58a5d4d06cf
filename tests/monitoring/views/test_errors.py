"""The error log pages, one error in its context, and request-id search."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connections import keyset
from health.vocabulary import HealthStatus
from monitoring import error_log
from tests.monitoring.factories import (
    ConnectionEventFactory,
    ErrorLogFactory,
    HealthCheckFactory,
    make_errors,
)


def test_pasting_a_request_id_opens_the_error_with_its_context(
    client_for, support_user, connection_a
):
    moment = timezone.now() - timedelta(minutes=30)
    error = ErrorLogFactory(
        connection=connection_a,
        created_at=moment,
        request_id="req_7f3a9c2e11d04b6c8a5e0f12",
        error_code="SYSTEM_UNAVAILABLE",
        error_type="api_error",
        http_status=503,
        message="The system is temporarily unavailable.",
    )
    ConnectionEventFactory(
        connection=connection_a,
        created_at=moment,
        to_status=HealthStatus.DEGRADED,
        reason="Upstream error: SYSTEM_UNAVAILABLE",
        request_id=error.request_id,
    )
    HealthCheckFactory(connection=connection_a, checked_at=moment - timedelta(minutes=1))
    client = client_for(support_user)
    response = client.get(reverse("request_search"), {"request_id": f"  {error.request_id} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("error_detail", args=[error.pk])
    body = client.get(response["Location"]).content.decode()
    for shown in [
        "req_7f3a9c2e11d04b6c8a5e0f12",
        "Acme Manufacturing",
        "Acme SAP production",
        "SYSTEM_UNAVAILABLE",
        "api_error",
        "503",
        "The system is temporarily unavailable.",
        "Upstream error: SYSTEM_UNAVAILABLE",  # the status change around it
        moment.strftime("%Y-%m-%d %H:%M:%S"),
    ]:
        assert shown in body, shown


def test_an_unknown_id_says_so_and_offers_the_nearest_by_prefix(
    client_for, support_user, connection_a
):
    ErrorLogFactory(connection=connection_a, request_id="req_abcdef0123456789aaaa")
    ErrorLogFactory(connection=connection_a, request_id="req_abcdef0123456789bbbb")
    ErrorLogFactory(connection=connection_a, request_id="req_zzzz99999999")
    response = client_for(support_user).get(
        reverse("request_search"), {"request_id": "req_abcdef0123456789cccc"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "No request with the id <code>req_abcdef0123456789cccc</code>" in body
    assert "req_abcdef0123456789aaaa" in body and "req_abcdef0123456789bbbb" in body
    assert "req_zzzz99999999" not in body


def test_garbage_in_the_search_box_gets_a_clear_error(client_for, support_user):
    response = client_for(support_user).get(
        reverse("request_search"), {"request_id": "DROP TABLE errors; --"}
    )
    assert response.status_code == 400
    assert "That does not look like a request id" in response.content.decode()


def test_an_id_that_only_changed_a_status_lists_the_change(client_for, support_user, connection_a):
    ConnectionEventFactory(connection=connection_a, request_id="req_only_an_event")
    body = (
        client_for(support_user)
        .get(reverse("request_search"), {"request_id": "req_only_an_event"})
        .content.decode()
    )
    assert "changed a connection" in body and "Acme SAP production" in body


def test_a_member_never_finds_another_customers_request(
    client_for, member_a, connection_a, connection_b
):
    theirs = ErrorLogFactory(connection=connection_b, request_id="req_borealis_0001")
    ErrorLogFactory(connection=connection_a, request_id="req_borealis_0002x")
    client = client_for(member_a)
    response = client.get(reverse("request_search"), {"request_id": theirs.request_id})
    body = response.content.decode()
    assert response.status_code == 200 and "No request with the id" in body
    assert "Borealis" not in body.replace("req_borealis", "")
    assert "req_borealis_0002x" in body  # their own near match, and only theirs
    assert client.get(reverse("error_detail", args=[theirs.pk])).status_code == 404
    listing = client.get(reverse("error_list")).content.decode()
    assert theirs.request_id not in listing and "req_borealis_0002x" in listing


def test_error_log_pages_through_the_view_and_rejects_a_damaged_cursor(
    client_for, support_user, connection_a
):
    make_errors(connection_a, 60)
    client = client_for(support_user)
    first = client.get(reverse("error_list")).content.decode()
    assert first.count('<tr id="error-') == 50 and "req_page_0000" in first
    older = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(reverse("error_list") + older).content.decode()
    assert second.count('<tr id="error-') == 10 and "req_page_0059" in second
    assert "req_page_0000" not in second and "Newer" in second
    damaged = client.get(reverse("error_list"), {"before": "not-a-cursor"}).content.decode()
    assert "This page link is damaged" in damaged and "req_page_0000" in damaged


def test_filters_narrow_the_log(client_for, support_user, connection_a, connection_b):
    ErrorLogFactory(connection=connection_a, error_code="RATE_LIMIT_EXCEEDED", http_status=429,
                    request_id="req_rate")  # fmt: skip
    ErrorLogFactory(connection=connection_b, error_code="INTERNAL_ERROR", request_id="req_500",
                    created_at=timezone.now() - timedelta(days=3))  # fmt: skip
    client = client_for(support_user)

    def shown(**params):
        body = client.get(reverse("error_list"), params).content.decode()
        return {rid for rid in ("req_rate", "req_500") if rid in body}

    assert shown(code="RATE_LIMIT_EXCEEDED") == {"req_rate"}
    assert shown(http_status=500) == {"req_500"}
    assert shown(customer=connection_b.customer.slug) == {"req_500"}
    assert shown(connection=connection_a.upstream_id) == {"req_rate"}
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert shown(since=since) == {"req_rate"}
    bad = client.get(reverse("error_list"), {"http_status": "five hundred"}).content.decode()
    assert "Enter a whole number." in bad
    assert shown(http_status="five hundred") == set()  # a message and no rows, never all rows


def test_csv_export_streams_the_filtered_rows_and_defuses_formulas(
    client_for, support_user, connection_a
):
    ErrorLogFactory(connection=connection_a, error_code="INTERNAL_ERROR", request_id="req_csv_1",
                    message="=HYPERLINK(\"http://evil\")")  # fmt: skip
    ErrorLogFactory(connection=connection_a, error_code="OTHER", request_id="req_csv_2")
    response = client_for(support_user).get(
        reverse("error_list"), {"format": "csv", "code": "INTERNAL_ERROR"}
    )
    assert response.streaming and response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == error_log.CSV_COLUMNS
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["request_id"] == "req_csv_1" and row["customer"] == "Acme Manufacturing"
    assert row["upstream_id"] == connection_a.upstream_id and row["http_status"] == "500"
    assert row["message"] == '\'=HYPERLINK("http://evil")'


def test_member_csv_holds_only_their_rows(client_for, member_a, connection_a, connection_b):
    ErrorLogFactory(connection=connection_a, request_id="req_mine")
    ErrorLogFactory(connection=connection_b, request_id="req_theirs")
    response = client_for(member_a).get(reverse("error_list"), {"format": "csv"})
    text = b"".join(response.streaming_content).decode()
    assert "req_mine" in text and "req_theirs" not in text and "Borealis" not in text


@pytest.mark.parametrize("count", [3, 70])
def test_error_pages_queries_stay_constant(
    client_for, support_user, connection_a, count, django_assert_max_num_queries
):
    rows = make_errors(connection_a, count)
    client = client_for(support_user)
    with django_assert_max_num_queries(4):
        client.get(reverse("error_list"))
    with django_assert_max_num_queries(4):
        client.get(reverse("error_list"), {"before": keyset.encode_cursor(rows[1])})
    with django_assert_max_num_queries(8):
        client.get(reverse("error_detail", args=[rows[0].pk]))
    with django_assert_max_num_queries(4):
        client.get(reverse("request_search"), {"request_id": rows[0].request_id})
    with django_assert_max_num_queries(6):
        client.get(reverse("request_search"), {"request_id": "req_page_9"})


def test_htmx_gets_the_table_alone_and_caches_are_told_apart(
    client_for, support_user, connection_a
):
    make_errors(connection_a, 3)
    client = client_for(support_user)
    partial = client.get(reverse("error_list"), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body and body.count('<tr id="error-') == 3
    assert "HX-Request" in partial["Vary"]
    assert "<html" in client.get(reverse("error_list")).content.decode()


def test_connection_by_name_and_code_by_case_insensitive_prefix(
    client_for, member_a, connection_a, connection_b
):
    ErrorLogFactory(connection=connection_a, error_code="SYSTEM_UNAVAILABLE", request_id="req_a")
    ErrorLogFactory(connection=connection_b, error_code="SYSTEM_UNAVAILABLE", request_id="req_b")
    client = client_for(member_a)

    def shown(**params):
        body = client.get(reverse("error_list"), params).content.decode()
        return {rid for rid in ("req_a", "req_b") if rid in body}, body

    assert shown(connection=connection_a.display_name)[0] == {"req_a"}
    assert shown(connection="acme sap")[0] == {"req_a"}  # part of a name, any case
    assert shown(code="system_un")[0] == {"req_a"}
    assert shown(code="UNAVAILABLE")[0] == set()  # a prefix, not anywhere in the code
    rows, body = shown(connection=connection_b.display_name)  # another customer's: not found
    assert rows == set() and "None of your connections is named like" in body
    rows, body = shown(connection="no such thing")
    assert rows == set() and 'role="alert"' in body
