"""The overview: tiles, filters in the URL, sorting, pages, the htmx refresh, the reauth banner."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connections.systems import Environment, System
from health.vocabulary import HealthStatus
from tests.factories import ConnectionFactory
from tests.monitoring.factories import (
    ErrorLogFactory,
)

HTMX_TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "connection-table"}


def rows_of(body: str) -> int:
    return body.count('<tr id="connection-')


@pytest.fixture
def fleet(customer_a, customer_b):
    """Connections of two customers in every state the tiles count."""
    return {
        "healthy": ConnectionFactory(customer=customer_a, display_name="Acme Fiix plant"),
        "error": ConnectionFactory(
            customer=customer_a,
            display_name="Acme SAP line 2",
            health_status=HealthStatus.ERROR,
            system=System.SAP_ECC,
        ),
        "reauth": ConnectionFactory(
            customer=customer_b,
            display_name="Borealis Maximo",
            health_status=HealthStatus.REAUTH_REQUIRED,
            environment=Environment.SANDBOX,
        ),
    }


def test_support_overview_counts_every_status_and_lists_every_customer(
    client_for, support_user, fleet
):
    body = client_for(support_user).get(reverse("home")).content.decode()
    assert "All connections" in body
    assert 'data-status="error"' in body and 'data-status="reauth_required"' in body
    for connection in fleet.values():
        assert connection.display_name in body
    assert '<span class="tile-count">3</span>' in body  # the "All" tile


def test_a_tile_filters_by_status_and_keeps_the_other_filters(client_for, support_user, fleet):
    client = client_for(support_user)
    body = client.get(reverse("home"), {"status": "error", "system": "sap_ecc"}).content.decode()
    assert "Acme SAP line 2" in body
    assert "Acme Fiix plant" not in body and "Borealis Maximo" not in body
    assert "status=reauth_required&amp;system=sap_ecc" in body or (
        "system=sap_ecc&amp;status=reauth_required" in body
    )


def test_free_text_customer_and_environment_filters(client_for, support_user, fleet, customer_b):
    client = client_for(support_user)
    by_customer = client.get(reverse("home"), {"customer": customer_b.slug}).content.decode()
    assert "Borealis Maximo" in by_customer and "Acme SAP line 2" not in by_customer
    by_text = client.get(reverse("home"), {"q": "fiix"}).content.decode()
    assert "Acme Fiix plant" in by_text and "Acme SAP line 2" not in by_text
    by_env = client.get(reverse("home"), {"environment": "sandbox"}).content.decode()
    assert "Borealis Maximo" in by_env and "Acme Fiix plant" not in by_env


def test_bad_filter_input_says_what_is_wrong(client_for, support_user, fleet):
    body = client_for(support_user).get(reverse("home"), {"status": "on_fire"}).content.decode()
    assert "Select a valid choice" in body
    assert "on_fire is not one of the available choices" in body


def test_sorting_by_name_both_ways(client_for, support_user, fleet):
    client = client_for(support_user)
    ascending = client.get(reverse("home"), {"sort": "name"}).content.decode()
    descending = client.get(reverse("home"), {"sort": "-name"}).content.decode()
    assert ascending.index("Acme Fiix plant") < ascending.index("Borealis Maximo")
    assert descending.index("Borealis Maximo") < descending.index("Acme Fiix plant")


def test_default_order_puts_the_worst_first(client_for, support_user, fleet):
    body = client_for(support_user).get(reverse("home")).content.decode()
    assert (
        body.index("Acme SAP line 2")
        < body.index("Borealis Maximo")
        < body.index("Acme Fiix plant")
    )


def test_pagination_keeps_filters_and_shows_the_rest(client_for, support_user, customer_a):
    ConnectionFactory.create_batch(55, customer=customer_a, system=System.FIIX)
    ConnectionFactory(customer=customer_a, system=System.NETSUITE, display_name="Other system")
    client = client_for(support_user)
    first = client.get(reverse("home"), {"system": "fiix"}).content.decode()
    assert rows_of(first) == 50 and "Page 1 of 2" in first
    assert "system=fiix&amp;page=2" in first
    second = client.get(reverse("home"), {"system": "fiix", "page": 2}).content.decode()
    assert rows_of(second) == 5 and "Other system" not in second


def test_htmx_refresh_answers_the_table_and_the_tiles_only(client_for, support_user, fleet):
    response = client_for(support_user).get(reverse("home"), {"status": "error"}, **HTMX_TABLE)
    body = response.content.decode()
    assert "<html" not in body and 'id="connection-table"' in body
    assert 'id="status-tiles" aria-label="Connections by status" hx-swap-oob="true"' in body
    assert "Acme SAP line 2" in body and "Acme Fiix plant" not in body
    # The refreshed table polls the same filtered URL again, every 10 s while the tab is visible
    # (static/js/patchbay.js sends the "refresh" event; tests/browser/test_dashboard.py).
    assert 'hx-get="/?status=error"' in body
    assert 'hx-trigger="patchbay:refresh"' in body  # patchbay.js fires it while visible
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(client_for, support_user, fleet):
    body = (
        client_for(support_user)
        .get(reverse("home"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX_TABLE)
        .content.decode()
    )
    assert "<html" in body


def test_member_sees_only_their_customer_and_no_customer_filter(
    client_for, member_a, fleet, customer_b
):
    body = client_for(member_a).get(reverse("home")).content.decode()
    assert "Your connections" in body
    assert "Acme SAP line 2" in body and "Borealis Maximo" not in body
    assert customer_b.name not in body and 'name="customer"' not in body
    tried = client_for(member_a).get(reverse("home"), {"customer": customer_b.slug})
    assert "Borealis Maximo" not in tried.content.decode()


def test_last_error_code_is_the_newest_error(client_for, support_user, fleet):
    connection = fleet["error"]
    ErrorLogFactory(connection=connection, error_code="OLD_CODE",
                    created_at=timezone.now() - timedelta(hours=2))  # fmt: skip
    ErrorLogFactory(connection=connection, error_code="SYSTEM_UNAVAILABLE")
    body = client_for(support_user).get(reverse("home")).content.decode()
    assert "<code>SYSTEM_UNAVAILABLE</code>" in body and "OLD_CODE" not in body


@pytest.mark.parametrize("size", [5, 60])
def test_overview_queries_stay_constant(
    client_for, support_user, customer_a, size, django_assert_max_num_queries
):
    for connection in ConnectionFactory.create_batch(size, customer=customer_a):
        ErrorLogFactory(connection=connection)
    client = client_for(support_user)
    # 5, and staff's open incidents at the top (refreshed with the table).
    with django_assert_max_num_queries(6):
        client.get(reverse("home"), {"q": "Plant", "sort": "-since"})
    with django_assert_max_num_queries(6):
        client.get(reverse("home"), **HTMX_TABLE)


def test_member_overview_queries_stay_constant(
    client_for, member_a, customer_a, django_assert_max_num_queries
):
    ConnectionFactory.create_batch(30, customer=customer_a, health_status="reauth_required")
    client = client_for(member_a)
    with django_assert_max_num_queries(7):
        body = client.get(reverse("home")).content.decode()
    assert body.count("needs you to sign in") == 5  # the banner names the first five


def test_the_reauth_banner_names_only_the_members_own_connections(
    client_for, member_a, member_b, customer_a, customer_b
):
    mine = ConnectionFactory(customer=customer_a, health_status=HealthStatus.REAUTH_REQUIRED,
                             display_name="Acme Limble")  # fmt: skip
    theirs = ConnectionFactory(customer=customer_b, health_status=HealthStatus.REAUTH_REQUIRED,
                               display_name="Borealis UpKeep")  # fmt: skip
    for url in [reverse("home"), reverse("error_list"), reverse("request_search")]:
        body = client_for(member_a).get(url).content.decode()
        assert "<strong>Acme Limble</strong> needs you to sign in" in body, url
        assert theirs.display_name not in body, url
        assert reverse("connection_reconnect", args=[mine.pk]) in body, url


def test_staff_get_no_banner_and_a_healthy_customer_none_either(
    client_for, support_user, member_a, customer_b
):
    ConnectionFactory(customer=customer_b, health_status=HealthStatus.REAUTH_REQUIRED)
    assert (
        'id="reauth-banner"' not in client_for(support_user).get(reverse("home")).content.decode()
    )
    assert 'id="reauth-banner"' not in client_for(member_a).get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    "params", [{"status": "bogus"}, {"system": "mainframe"}, {"sort": "nonsense"}]
)
def test_an_invalid_filter_shows_a_message_and_no_rows(client_for, support_user, customer_a,
                                                       params):  # fmt: skip
    ConnectionFactory(customer=customer_a, display_name="Listed only when valid")
    client = client_for(support_user)
    for headers in ({}, HTMX_TABLE):
        body = client.get(reverse("home"), params, **headers).content.decode()
        assert 'class="alert" role="alert"' in body
        assert "Listed only when valid" not in body


def test_suggestions_offer_only_the_readers_connections(
    client_for, member_a, connection_a, connection_b
):
    client = client_for(member_a)
    body = client.get(reverse("connection_suggestions"), {"connection": "production"}).content
    assert connection_a.display_name.encode() in body
    assert connection_b.display_name.encode() not in body
    assert client.get(reverse("connection_suggestions")).content.strip() == b""


def test_a_check_under_a_minute_ago_reads_just_now(client_for, support_user, customer_a):
    ConnectionFactory(customer=customer_a, last_checked_at=timezone.now() - timedelta(seconds=20))
    body = client_for(support_user).get(reverse("home")).content.decode()
    assert "just now" in body and "0 minutes" not in body
