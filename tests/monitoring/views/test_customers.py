"""A customer's health page for support: connections, failing now, share of checks OK."""

from django.urls import reverse

from health.vocabulary import HealthStatus, Outcome
from tests.factories import ConnectionFactory
from tests.monitoring.factories import HealthCheckFactory


def test_support_sees_a_customers_connections_failing_now_and_share_ok(
    client_for, support_user, customer_a
):
    good = ConnectionFactory(customer=customer_a, display_name="Good one")
    bad = ConnectionFactory(customer=customer_a, display_name="Bad one",
                            health_status=HealthStatus.ERROR)  # fmt: skip
    for _ in range(3):
        HealthCheckFactory(connection=good)
    HealthCheckFactory(connection=bad, outcome=Outcome.UPSTREAM_ERROR, status_after="error")
    HealthCheckFactory(connection=bad)
    HealthCheckFactory(connection=bad, outcome=Outcome.RATE_LIMITED, status_after="error")
    body = (
        client_for(support_user)
        .get(reverse("customer_health", args=[customer_a.slug]))
        .content.decode()
    )
    assert "<dt>Connections</dt><dd>2</dd>" in body
    assert "<dt>Failing now</dt><dd>1</dd>" in body
    assert "80.0%" in body  # 4 of 5 conclusive checks; the rate-limited one is not counted
    assert "50.0%" in body and "1 rate limited" in body
    assert body.index("Bad one") < body.index("Good one")  # worst first


def test_members_are_not_told_the_page_exists(client_for, member_a, customer_a):
    response = client_for(member_a).get(reverse("customer_health", args=[customer_a.slug]))
    assert response.status_code == 404
