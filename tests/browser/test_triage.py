"""Triage that tells the truth (issue 14), in Chromium: honest states, playbooks, incidents, a
queue support can work, filters that help, live refresh, time zones, narrow screens."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from connections.systems import System
from health.vocabulary import HealthStatus
from monitoring import poller
from monitoring.models import Incident, Issue, IssueState
from sandbox.models import Fault, SandboxConnection
from tests.factories import ConnectionFactory, linked_connection
from tests.monitoring.factories import ErrorLogFactory

SHOTS = "/tmp/patchbay-triage"


@pytest.fixture
def console_errors(page):
    """Every console error a journey meets (a missing favicon aside) fails it."""
    seen = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if message.type == "error" and "favicon" not in (message.location or {}).get("url", "")
            else None
        ),
    )
    yield seen
    assert not seen, seen


def shoot(page, name):
    """A full-page screenshot at 1400 px and at 390 px (the phone width the issue names)."""
    page.screenshot(path=f"{SHOTS}-{name}-1400.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS}-{name}-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    page.set_viewport_size({"width": 1400, "height": 900})


def set_fault(connection, fault):
    SandboxConnection.objects.filter(upstream_id=connection.upstream_id).update(fault=fault)


def test_a_rate_limited_only_connection_is_not_drawn_as_100_percent_ok(
    sign_in, live_server, sandbox_server, support_user, member_a, customer_a, console_errors
):
    connection = linked_connection(customer=customer_a, fault=Fault.RATE_LIMITED)
    type(connection).objects.filter(pk=connection.pk).update(health_status=HealthStatus.UNKNOWN)
    poller.poll_one(connection.pk)
    poller.poll_one(connection.pk)  # within Retry-After: answered without calling the upstream
    page = sign_in(support_user.username)
    page.goto(f"{live_server.url}/connections/{connection.pk}/")
    strips = page.locator(".strips")
    expect(strips).to_contain_text("no conclusive check: 1 rate limited, health unknown")
    expect(strips).not_to_contain_text("100")
    expect(page.locator(".strips rect.bar-healthy")).to_have_count(0)
    expect(page.locator(".strips rect.bar-rate_limited")).to_have_count(2)  # its hour, its day
    expect(page.locator("#playbook")).to_contain_text("every check so far was rate limited")
    expect(page.locator("#connection-status")).to_contain_text("rate limited: next check after")
    expect(page.locator("#connection-status")).to_contain_text("UTC")
    shoot(page, "rate-limited")


def test_faults_on_six_connections_of_one_system_within_a_minute_yield_one_incident(
    sign_in, live_server, sandbox_server, support_user, customer_a, customer_b, console_errors
):
    fleet = [
        linked_connection(customer=[customer_a, customer_b][n % 2], fault=Fault.SERVER_ERROR)
        for n in range(6)
    ]
    healthy = linked_connection(customer=customer_a)
    poller.poll_batch(None, [c.pk for c in [*fleet, healthy]])
    assert Incident.objects.count() == 1
    page = sign_in(support_user.username)
    banner = page.locator("#incident-banner .incident")
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text(
        re.compile(r"SAP S/4HANA: 6 connections failing with INTERNAL_ERROR since .* UTC")
    )
    shoot(page, "overview-incident")
    page.get_by_role("link", name="Issues", exact=True).click()
    expect(page.locator("#incident-banner .incident")).to_have_count(1)
    banner = page.locator("#incident-banner .incident")
    banner.click()
    expect(page.locator("#incident-members tbody tr")).to_have_count(6)
    page.get_by_role("button", name="Acknowledge all").click()
    expect(page.get_by_text("Incident acknowledged, with its 6 open issues.")).to_be_visible()
    page.get_by_role("button", name="Assign all to me").click()
    expect(page.locator("#incident-members")).to_contain_text(support_user.username)
    shoot(page, "incident")
    members = Issue.objects.filter(incident__isnull=False)
    assert set(members.values_list("state", "assignee")) == {
        (IssueState.ACKNOWLEDGED, support_user.pk)
    }


def test_snoozing_an_issue_hides_it_until_the_time(
    sign_in, live_server, support_user, customer_a, console_errors
):
    connection = ConnectionFactory(customer=customer_a, display_name="Acme snoozed")
    other = ConnectionFactory(customer=customer_a, display_name="Acme still listed")
    from tests.monitoring.factories import record_transition

    record_transition(connection, HealthStatus.HEALTHY, HealthStatus.ERROR)
    record_transition(other, HealthStatus.HEALTHY, HealthStatus.ERROR)
    issue = Issue.objects.get(connection=connection)
    page = sign_in(support_user.username)
    page.goto(f"{live_server.url}/issues/{issue.pk}/")
    page.get_by_label("For", exact=True).select_option("1h")
    page.get_by_role("button", name="Mute", exact=True).click()
    expect(page.locator("#issue-panel")).to_contain_text("muted until")
    expect(page.locator("#issue-panel .issue-state-muted")).to_contain_text("Muted")
    page.get_by_role("link", name="Issues", exact=True).click()
    table = page.locator("#issue-table")
    expect(table).to_contain_text("Acme still listed")
    expect(table).not_to_contain_text("Acme snoozed")
    expect(page.locator("#issue-count")).to_have_text("1")
    page.get_by_role("link", name="Muted (1)").click()
    expect(table).to_contain_text("Acme snoozed")
    shoot(page, "issues-muted")
    with time_machine.travel(timezone.now() + timedelta(minutes=61), tick=True):
        page.goto(f"{live_server.url}/issues/")
        expect(table).to_contain_text("Acme snoozed")
        expect(page.locator("#issue-count")).to_have_text("2")


def test_a_relapse_within_the_window_reopens_the_same_issue(
    sign_in, live_server, sandbox_server, support_user, customer_a, console_errors
):
    connection = linked_connection(customer=customer_a, fault=Fault.SERVER_ERROR)
    poller.poll_one(connection.pk)
    issue = Issue.objects.get(connection=connection)
    set_fault(connection, Fault.HEALTHY)
    poller.poll_one(connection.pk)
    page = sign_in(support_user.username)
    page.goto(f"{live_server.url}/issues/{issue.pk}/")
    expect(page.locator("#issue-panel")).to_contain_text("resolves itself if it stays so")
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=True):
        poller.poll_one(connection.pk)  # healthy for 11 minutes: resolved
        page.reload()
        expect(page.locator("#issue-panel")).to_contain_text("the connection stayed healthy")
        set_fault(connection, Fault.SERVER_ERROR)
        poller.poll_one(connection.pk)  # relapse within the hour
        page.reload()
    expect(page.locator("#issue-panel .issue-state-open")).to_be_visible()
    expect(page.locator("#issue-panel")).to_contain_text("reopened 1×")
    expect(page.locator("#issue-history")).to_contain_text("Reopened")
    shoot(page, "issue-reopened")
    assert Issue.objects.filter(connection=connection).count() == 1


def test_playbooks_tell_support_and_the_customer_what_to_do(
    sign_in, live_server, sandbox_server, support_user, member_a, customer_a, page, browser,
    console_errors,
):  # fmt: skip
    reauth = linked_connection(customer=customer_a, fault=Fault.REQUIRES_REAUTH)
    denied = linked_connection(customer=customer_a, fault=Fault.PERMISSION_DENIED)
    poller.poll_one(reauth.pk)
    poller.poll_one(denied.pk)
    page = sign_in(support_user.username)
    page.goto(f"{live_server.url}/connections/{reauth.pk}/")
    playbook = page.locator("#playbook")
    expect(playbook).to_contain_text("The customer must reconnect")
    expect(playbook).to_contain_text(f"to {customer_a.contact_email}")
    expect(page.locator("#notices")).to_contain_text(customer_a.contact_email)
    page.get_by_role("button", name="Send the notice again").click()
    expect(page.get_by_text(f"Notice sent again to {customer_a.contact_email}")).to_be_visible()
    expect(page.locator("#notices")).to_contain_text("sent again")
    shoot(page, "playbook-reauth-support")
    page.goto(f"{live_server.url}/connections/{denied.pk}/")
    expect(page.locator("#playbook")).to_contain_text("Permission denied: work_orders:read")
    shoot(page, "playbook-permission-support")

    customer = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    customer.goto(f"{live_server.url}/login/")
    customer.get_by_label("Username").fill(member_a.username)
    customer.get_by_label("Password").fill("correct-horse-battery")
    customer.get_by_role("button", name="Sign in").click()
    customer.goto(f"{live_server.url}/connections/{denied.pk}/")
    expect(customer.locator("#playbook")).to_contain_text("needs the permission “work_orders:read”")
    customer.goto(f"{live_server.url}/connections/{reauth.pk}/")
    expect(customer.locator("#playbook")).to_contain_text("Sign in to SAP S/4HANA again")
    expect(customer.locator("#playbook").get_by_role("button", name="Reconnect")).to_be_visible()
    expect(customer.locator("#playbook")).not_to_contain_text("Send the notice again")
    expect(customer.locator("#notices")).to_contain_text("Notices we sent you")
    shoot(customer, "playbook-reauth-customer")
    customer.context.close()


def test_filters_suggest_names_match_prefixes_and_refuse_bad_values(
    sign_in, live_server, support_user, customer_a, console_errors
):
    pump = ConnectionFactory(customer=customer_a, display_name="Acme pump house")
    press = ConnectionFactory(customer=customer_a, display_name="Acme press line")
    ErrorLogFactory(connection=pump, error_code="SYSTEM_UNAVAILABLE", request_id="req_pump")
    ErrorLogFactory(connection=press, error_code="INTERNAL_ERROR", request_id="req_press")
    page = sign_in(support_user.username)
    page.goto(f"{live_server.url}/errors/")
    page.get_by_label("Connection").fill("pump")
    expect(page.locator("#connection-suggestions option")).to_have_count(1)
    expect(page.locator("#connection-suggestions option")).to_have_attribute(
        "value", "Acme pump house"
    )
    page.get_by_label("Connection").fill("Acme pump house")
    page.get_by_role("button", name="Filter").click()
    table = page.locator("#error-table")
    expect(table).to_contain_text("req_pump")
    expect(table).not_to_contain_text("req_press")
    page.goto(f"{live_server.url}/errors/?code=internal")
    expect(table).to_contain_text("req_press")
    expect(table).not_to_contain_text("req_pump")
    page.goto(f"{live_server.url}/errors/?http_status=abc")
    expect(page.locator("#error-table .alert")).to_contain_text("Enter a whole number.")
    expect(table).to_contain_text("No errors match these filters.")
    shoot(page, "error-log-bad-filter")
    page.goto(f"{live_server.url}/?status=bogus")
    expect(page.locator("#connection-table .alert")).to_contain_text("Select a valid choice")
    expect(page.locator("#connection-table")).not_to_contain_text("Acme pump house")


def test_support_works_the_queue_with_filters_and_bulk_actions(
    sign_in, live_server, support_user, customer_a, customer_b, console_errors
):
    from tests.monitoring.factories import record_transition

    for n in range(3):
        record_transition(ConnectionFactory(customer=customer_a, system=System.FIIX,
                                            display_name=f"Acme Fiix {n}"),
                          HealthStatus.HEALTHY, HealthStatus.DEGRADED)  # fmt: skip
    record_transition(ConnectionFactory(customer=customer_b, display_name="Borealis SAP"),
                      HealthStatus.HEALTHY, HealthStatus.ERROR)  # fmt: skip
    page = sign_in(support_user.username)
    page.goto(f"{live_server.url}/issues/")
    expect(page.locator("#issue-count")).to_have_text("4")
    page.get_by_label("Customer", exact=True).select_option(customer_a.slug)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#issue-count")).to_have_text("3")
    for box in page.locator("#issue-table tbody input[type=checkbox]").all():
        box.check()
    page.get_by_label("With the ticked issues").select_option("acknowledge")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("3 issues updated.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"customer=acme"))
    page.locator("#issue-table tbody input[type=checkbox]").first.check()
    page.get_by_label("With the ticked issues").select_option("assign")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Assigned to me").click()
    expect(page.locator("#issue-count")).to_have_text("1")
    page.get_by_role("button", name="Unassign").click()
    expect(page.locator("#issue-count")).to_have_text("0")
    page.goto(f"{live_server.url}/issues/?system=sap_s4hana")
    page.get_by_role("link", name="Borealis SAP").click()
    page.get_by_label("Why").fill("Customer decommissioned this system.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#issue-panel")).to_contain_text("“Customer decommissioned this system.”")
    page.goto(f"{live_server.url}/issues/")
    expect(page.locator("#issue-count")).to_have_text("3")
    expect(page.locator(".issue-state-acknowledged").first).to_contain_text("◐ Acknowledged")
    shoot(page, "issues")


def test_live_refresh_flashes_changed_rows_and_keeps_focus_and_scroll(
    sign_in, live_server, support_user, customer_a, console_errors
):
    fleet = [
        ConnectionFactory(customer=customer_a, display_name=f"Plant {n:02d}") for n in range(40)
    ]
    target = fleet[-1]
    page = sign_in(support_user.username)
    page.clock.install()
    page.goto(f"{live_server.url}/?sort=name")
    link = page.locator(f"#connection-link-{target.pk}")
    link.focus()
    link.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 300
    from django.db.models import F  # noqa: F401 - the status change a poll would write

    type(target).objects.filter(pk=target.pk).update(
        health_status=HealthStatus.ERROR, status_changed_at=timezone.now()
    )
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.clock.run_for(10_500)
    row = page.locator(f"#connection-{target.pk}")
    expect(row).to_have_attribute("data-status", "error")
    expect(row).to_have_class(re.compile(r"\bflash\b"))
    expect(page.locator(f"#connection-{fleet[0].pk}")).not_to_have_class(re.compile("flash"))
    assert page.evaluate("document.activeElement.id") == f"connection-link-{target.pk}"
    assert abs(page.evaluate("window.scrollY") - scrolled) < 5


def test_each_user_picks_a_zone_and_every_time_names_it(
    sign_in, live_server, support_user, connection_a, console_errors
):
    ErrorLogFactory(connection=connection_a, request_id="req_zone")
    page = sign_in(support_user.username)
    expect(page.locator("#connection-table .table-meta")).to_contain_text("UTC")
    page.get_by_role("link", name="UTC", exact=True).click()
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Times are now shown in America/New_York.")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page.locator("#connection-table .table-meta")).to_contain_text(re.compile("E[SD]T"))
    page.goto(f"{live_server.url}/errors/")
    expect(page.locator("#error-table thead")).to_contain_text(re.compile(r"Time \(E[SD]T\)"))


def test_narrow_screens_a_skip_link_and_states_not_told_by_colour_alone(
    sign_in, live_server, support_user, customer_a, console_errors
):
    from tests.monitoring.factories import record_transition

    connection = ConnectionFactory(customer=customer_a)
    record_transition(connection, HealthStatus.HEALTHY, HealthStatus.ERROR)
    page = sign_in(support_user.username)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/issues/", f"/connections/{connection.pk}/", "/errors/", "/charts/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        expect(page.get_by_role("searchbox", name="Request id")).to_be_in_viewport()
        expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
    page.goto(f"{live_server.url}/issues/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    state = page.locator("#issue-table .issue-state-open").first
    expect(state).to_have_text("● Open")
    health = page.locator("#issue-table .badge.status-error").first
    colours = page.evaluate(
        "([a, b]) => [getComputedStyle(a).backgroundColor, getComputedStyle(b).backgroundColor,"
        " getComputedStyle(a).borderColor]",
        [state.element_handle(), health.element_handle()],
    )
    assert colours[0] != colours[1] and colours[2] != colours[1]
    shoot(page, "issues-narrow")


def test_charts_and_a_customers_health_page(
    sign_in, live_server, support_user, customer_a, console_errors
):
    connection = ConnectionFactory(customer=customer_a, system=System.NETSUITE)
    for days_ago in (0, 1, 1, 5):
        ErrorLogFactory(connection=connection, error_code="SYSTEM_UNAVAILABLE",
                        created_at=timezone.now() - timedelta(days=days_ago))  # fmt: skip
    page = sign_in(support_user.username)
    page.get_by_role("link", name="Charts").click()
    expect(page.locator("#chart-systems")).to_contain_text("NetSuite")
    expect(page.locator("#chart-systems svg")).to_have_count(1)
    expect(page.locator("#top-codes")).to_contain_text("SYSTEM_UNAVAILABLE")
    shoot(page, "charts")
    page.locator("#chart-customers").get_by_role("link", name=customer_a.name).click()
    expect(page.locator("#customer-facts")).to_contain_text("Failing now")
    expect(page.locator("#customer-connections")).to_contain_text(connection.display_name)
    shoot(page, "customer-health")
