"""Fixtures shared by the connections tests."""

import pytest

from tests.factories import linked_connection


@pytest.fixture
def linked_a(customer_a):
    return linked_connection(customer=customer_a)
