"""Each user picks the time zone every page shows times in (UTC until they do)."""

from datetime import UTC, datetime

import time_machine
from django.urls import reverse

from connections.models import AuditEvent
from tests.monitoring.factories import ErrorLogFactory


def test_times_name_their_zone_and_follow_the_users_choice(client_for, support_user, connection_a):
    with time_machine.travel(datetime(2026, 7, 1, 10, 30, tzinfo=UTC), tick=False):
        error = ErrorLogFactory(connection=connection_a)
    client = client_for(support_user)
    page = client.get(reverse("error_detail", args=[error.pk])).content.decode()
    assert "2026-07-01 10:30:00 UTC" in page

    answer = client.post(reverse("account_time_zone"), {"time_zone": "Europe/Berlin"}, follow=True)
    assert "Times are now shown in Europe/Berlin." in answer.content.decode()
    page = client.get(reverse("error_detail", args=[error.pk])).content.decode()
    assert "2026-07-01 12:30:00 CEST" in page
    assert AuditEvent.objects.filter(action="user.time_zone_changed").exists()


def test_an_unknown_zone_is_refused_and_nothing_changes(client_for, member_a):
    client = client_for(member_a)
    assert client.get(reverse("account_time_zone")).status_code == 200
    for bad in ("Mars/Olympus", "UTC\x00", "x" * 100_000):
        response = client.post(reverse("account_time_zone"), {"time_zone": bad})
        assert response.status_code == 400
        # A NUL is refused before the view, by the input guard (connections/input_guard.py).
        assert "Select a valid choice" in response.content.decode() or "NUL character" in (
            response.content.decode()
        )
    member_a.refresh_from_db()
    assert member_a.time_zone == "UTC"
