"""A customer's contact with no account reconnects from the email's link, which then fails."""

import re

from django.core import mail
from playwright.sync_api import expect

from connections.models import ApiToken
from health.vocabulary import HealthStatus
from monitoring import notifications, poller
from monitoring.models import Notification
from sandbox.models import Fault
from tests.factories import linked_connection

SHOTS = "var/shots"


def test_a_contact_reconnects_from_the_email_link_and_the_link_then_fails(
    browser, live_server, sandbox_server, customer_a, settings, monkeypatch
):
    settings.PATCHBAY_BASE_URL = live_server.url
    monkeypatch.setattr(
        notifications,
        "enqueue",
        lambda ids: [notifications.deliver(Notification.objects.get(pk=pk)) for pk in ids],
    )
    connection = linked_connection(customer=customer_a, fault=Fault.REQUIRES_REAUTH)
    poller.poll_one(connection.pk)  # the transition sends the notice (delivered inline here)
    email = next(m for m in mail.outbox if m.to == [customer_a.contact_email])
    assert email.subject == f"Action needed: reconnect {connection.display_name}"
    html = email.alternatives[0][0]
    link = re.search(r'<a href="([^"]+)">', html).group(1)
    assert link.startswith(f"{live_server.url}/reconnect/{connection.pk}/") and link in email.body

    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone, no account
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(10_000)
    page.set_content(html)
    page.screenshot(path=f"{SHOTS}/reconnect-email.png", full_page=True)
    page.get_by_role("link", name=f"Reconnect {connection.display_name}").click()
    expect(page.get_by_role("heading", name=f"Reconnect {connection.display_name}")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}/reconnect-link-landing-390.png", full_page=True)
    page.get_by_role("button", name="Continue to sign in").click()
    expect(page.get_by_role("heading", name="Sandbox upstream")).to_be_visible()
    page.get_by_label("User name").fill("plant-it")
    page.get_by_label("Password").fill("sandbox")
    page.get_by_role("button", name="Sign in and allow").click()
    expect(
        page.get_by_role("heading", name=f"{connection.display_name} is reconnected")
    ).to_be_visible()
    expect(page.get_by_text("Healthy")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/reconnect-link-done-390.png", full_page=True)
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.HEALTHY
    assert ApiToken.objects.filter(connection=connection).active().count() == 1

    page.goto(link)
    expect(page.get_by_role("heading", name="This reconnect link was already used")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/reconnect-link-used-390.png", full_page=True)
    response = page.goto(f"{live_server.url}/")
    assert "/login/" in page.url and response.ok  # the link gave no dashboard session
    context.close()
    # A 4xx page the journey means to reach (a refused form, a used link) is not a script error.
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
