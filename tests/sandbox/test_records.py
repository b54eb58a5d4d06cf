"""The sandbox's read-only sample records, over real HTTP, with the connection's own token."""

import httpx
import pytest

from mappings import catalogs
from sandbox.models import SandboxConnection


@pytest.fixture
def upstream(sandbox_server):
    return SandboxConnection.objects.create(upstream_id="conn_sbx_rec", system="sap_s4hana")


def records(sandbox_server, upstream_id, entity, token):
    return httpx.get(
        f"{sandbox_server.base_url}/connections/{upstream_id}/records/{entity}",
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )


def assert_error(response, status_code, code):
    assert response.status_code == status_code
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["request_id"] == response.headers["X-Request-ID"]


def test_records_are_the_systems_samples_spelled_natively(sandbox_server, upstream):
    _, plaintext = upstream.issue_token("primary")
    response = records(sandbox_server, "conn_sbx_rec", "purchase_order", plaintext)
    assert response.status_code == 200
    body = response.json()
    assert (body["system"], body["entity"], body["has_more"]) == (
        "sap_s4hana",
        "purchase_order",
        False,
    )
    assert body["data"] == catalogs.catalog("sap_s4hana", "purchase_order").samples
    assert body["data"][0]["PurchaseOrderDate"] == "20261102"


def test_records_need_the_connections_own_token(sandbox_server, upstream):
    other = SandboxConnection.objects.create(upstream_id="conn_sbx_other")
    _, other_token = other.issue_token("primary")
    assert_error(
        records(sandbox_server, "conn_sbx_rec", "asset", None), 401, "AUTHENTICATION_FAILED"
    )
    assert_error(
        records(sandbox_server, "conn_sbx_rec", "asset", "pbt_wrong"), 401, "AUTHENTICATION_FAILED"
    )
    assert_error(
        records(sandbox_server, "conn_sbx_rec", "asset", other_token), 403, "PERMISSION_DENIED"
    )
    assert_error(
        records(sandbox_server, "conn_nowhere", "asset", other_token), 404, "CONNECTION_NOT_FOUND"
    )


def test_an_unknown_entity_is_an_invalid_request(sandbox_server, upstream):
    _, plaintext = upstream.issue_token("primary")
    response = records(sandbox_server, "conn_sbx_rec", "invoice", plaintext)
    assert_error(response, 400, "INVALID_REQUEST")
    assert "purchase_order" in response.json()["error"]["message"]


def test_records_are_read_only(sandbox_server, upstream):
    _, plaintext = upstream.issue_token("primary")
    response = httpx.post(
        f"{sandbox_server.base_url}/connections/conn_sbx_rec/records/asset",
        headers={"Authorization": f"Bearer {plaintext}"},
        json={"tag": "X"},
    )
    assert_error(response, 405, "INVALID_REQUEST")
