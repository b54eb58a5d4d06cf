import pytest

from tests.factories import ConnectionFactory


@pytest.fixture
def sandbox_a(customer_a):
    """A sandbox-system connection of customer A: its catalog is the one the editor tests use."""
    return ConnectionFactory(customer=customer_a, system="sandbox", display_name="Acme sandbox")
