"""Personas, set up the same way for every test: admin, support, a member of customer A and of B."""

import logging

import pytest

from connections.models import ApiToken
from tests.factories import ConnectionFactory, CustomerFactory, UserFactory

pytest_plugins = ["tests.live_services", "tests.url_coverage"]


@pytest.fixture
def customer_a(db):
    return CustomerFactory(name="Acme Manufacturing", slug="acme")


@pytest.fixture
def customer_b(db):
    return CustomerFactory(name="Borealis Energy", slug="borealis")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="alice-admin", admin=True)


@pytest.fixture
def support_user(db):
    return UserFactory(username="sam-support", support=True)


@pytest.fixture
def member_a(customer_a):
    return UserFactory(username="mia-acme", customer=customer_a)


@pytest.fixture
def member_b(customer_b):
    return UserFactory(username="ben-borealis", customer=customer_b)


@pytest.fixture
def connection_a(customer_a):
    return ConnectionFactory(customer=customer_a, display_name="Acme SAP production")


@pytest.fixture
def connection_b(customer_b):
    return ConnectionFactory(customer=customer_b, display_name="Borealis Maximo production")


@pytest.fixture
def client_for(client):
    """A test client signed in as the given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def no_token_plaintext_in_logs(monkeypatch, caplog):
    """Every test: no token plaintext Patchbay encrypted may appear in any log line (DEBUG up)."""
    plaintexts: list[str] = []
    encrypt = ApiToken.set_plaintext

    def remembering(token, plaintext):
        plaintexts.append(plaintext)
        encrypt(token, plaintext)

    monkeypatch.setattr(ApiToken, "set_plaintext", remembering)
    caplog.set_level(logging.DEBUG)
    yield
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    leaked = [plaintext[-4:] for plaintext in plaintexts if plaintext in logged]
    assert not leaked, f"token plaintext (ending {leaked}) appeared in the logs"


@pytest.fixture(autouse=True)
def fresh_cache():
    """The failure charts cache closed days (monitoring/chart_data.py): no test sees another's."""
    from django.core.cache import cache

    cache.clear()
    yield
