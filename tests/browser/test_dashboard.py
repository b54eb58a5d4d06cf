"""Triage journeys in Chromium: request-id search, the live overview, a customer reconnecting."""

from playwright.sync_api import expect

from health.vocabulary import HealthStatus
from monitoring import poller
from sandbox.models import Fault, SandboxConnection
from tests.factories import linked_connection
from tests.monitoring.factories import ConnectionEventFactory, ErrorLogFactory


def test_support_pastes_a_request_id_and_lands_on_the_error(
    sign_in, support_user, connection_a, browser
):
    error = ErrorLogFactory(
        connection=connection_a,
        request_id="req_9b1c44d2e8f0a7c3b5d6e1f2",
        error_code="SYSTEM_UNAVAILABLE",
        http_status=503,
        message="The system is temporarily unavailable.",
    )
    ConnectionEventFactory(
        connection=connection_a, to_status=HealthStatus.DEGRADED, reason="Upstream error: 503"
    )
    page = sign_in(support_user.username)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("id => navigator.clipboard.writeText(id)", error.request_id)
    search = page.get_by_role("searchbox", name="Request id")
    search.focus()
    page.keyboard.press("Control+V")  # pasting is enough: no Enter
    expect(page).to_have_url(f"{page.url.split('/', 3)[0]}//{page.url.split('/')[2]}"
                             f"/errors/{error.pk}/")  # fmt: skip
    facts = page.locator("#error-facts")
    expect(facts).to_contain_text(error.request_id)
    expect(facts).to_contain_text("Acme Manufacturing")
    expect(facts).to_contain_text("SYSTEM_UNAVAILABLE")
    expect(facts).to_contain_text("503")
    expect(page.get_by_text("Upstream error: 503")).to_be_visible()
    page.screenshot(path="/tmp/patchbay-dashboard-error.png", full_page=True)

    search = page.get_by_role("searchbox", name="Request id")
    search.fill("req_9b1c44d2e8f0a7c3b5d6e1ff")
    search.press("Enter")
    expect(page.get_by_text("No request with the id")).to_be_visible()
    expect(page.get_by_role("link", name=error.request_id)).to_be_visible()


def test_breaking_a_connection_changes_the_overview_without_a_reload(
    sign_in, live_server, sandbox_server, support_user, customer_a
):
    connection = linked_connection(customer=customer_a)
    poller.poll_one(connection.pk)
    page = sign_in(support_user.username)
    row = page.locator(f"#connection-{connection.pk}")
    expect(row).to_have_attribute("data-status", HealthStatus.HEALTHY)
    page.get_by_label("Search").fill("Plant")  # a filter that must survive the refresh
    expect(page).to_have_url(f"{live_server.url}/?q=Plant", timeout=5_000)
    page.evaluate("window.patchbayNotReloaded = true")
    page.screenshot(path="/tmp/patchbay-dashboard-overview-before.png", full_page=True)

    SandboxConnection.objects.filter(upstream_id=connection.upstream_id).update(
        fault=Fault.SERVER_ERROR
    )
    poller.poll_one(connection.pk)

    expect(row).to_have_attribute("data-status", HealthStatus.DEGRADED, timeout=15_000)
    expect(row).to_contain_text("INTERNAL_ERROR")
    expect(page.locator(".tile-degraded .tile-count")).to_have_text("1")
    assert page.evaluate("window.patchbayNotReloaded") is True
    expect(page.get_by_label("Search")).to_have_value("Plant")
    page.screenshot(path="/tmp/patchbay-dashboard-overview-after.png", full_page=True)


def test_customer_sees_the_banner_reconnects_and_the_banner_goes(
    sign_in, live_server, sandbox_server, member_a, customer_a
):
    connection = linked_connection(customer=customer_a, fault=Fault.REQUIRES_REAUTH)
    poller.poll_one(connection.pk)
    page = sign_in(member_a.username)
    banner = page.locator("#reauth-banner")
    expect(banner).to_contain_text(f"{connection.display_name} needs you to sign in")
    page.screenshot(path="/tmp/patchbay-dashboard-banner.png", full_page=True)

    banner.get_by_role("button", name=f"Reconnect {connection.display_name}").click()
    expect(page.get_by_role("heading", name="Sandbox upstream")).to_be_visible()
    page.get_by_label("User name").fill("mia")
    page.get_by_label("Password").fill("not-it")
    page.get_by_role("button", name="Sign in and allow").click()
    expect(page.get_by_text("Invalid user name or password.")).to_be_visible()
    page.get_by_label("Password").fill("sandbox")
    page.screenshot(path="/tmp/patchbay-dashboard-sandbox-signin.png", full_page=True)
    page.get_by_role("button", name="Sign in and allow").click()

    expect(page.get_by_text("is reconnected with a new token")).to_be_visible()
    expect(page.locator("#reauth-banner")).to_have_count(0)
    expect(page.locator("#connection-status")).to_contain_text("Healthy")
    page.screenshot(path="/tmp/patchbay-dashboard-reconnected.png", full_page=True)
    page.goto(f"{live_server.url}/")
    expect(page.locator("#reauth-banner")).to_have_count(0)
    connection.refresh_from_db()
    assert connection.health_status == HealthStatus.HEALTHY


def test_support_checks_now_and_the_result_swaps_in_from_a_real_worker(
    sign_in, live_server, sandbox_server, celery_worker, support_user, customer_a
):
    connection = linked_connection(customer=customer_a)
    poller.poll_one(connection.pk)
    SandboxConnection.objects.filter(upstream_id=connection.upstream_id).update(
        fault=Fault.SERVER_ERROR
    )
    page = sign_in(support_user.username)
    page.goto(f"{live_server.url}/connections/{connection.pk}/")
    expect(page.locator("#connection-status")).to_contain_text("Healthy")
    page.evaluate("window.patchbayNotReloaded = true")
    page.get_by_role("button", name="Check now").click()
    result = page.locator("#check-now")
    expect(result).to_contain_text("Checked just now: Upstream error", timeout=20_000)
    expect(result).to_contain_text("INTERNAL_ERROR")
    expect(page.locator("#connection-status")).to_contain_text("Degraded")
    assert page.evaluate("window.patchbayNotReloaded") is True
    expect(page.locator("#latest-checks")).to_contain_text("Check now")  # swapped in, no reload
    page.reload()
    expect(page.locator("#latest-checks")).to_contain_text("Check now")
    expect(page.locator("#issue-panel h2")).to_contain_text(": Degraded")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator("#issue-panel")).to_contain_text("assignee: sam-support")
    page.get_by_label("Add a note").fill("Asked Acme to check their SAP gateway.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#issue-panel")).to_contain_text("Asked Acme to check their SAP gateway.")
    page.screenshot(path="/tmp/patchbay-dashboard-detail.png", full_page=True)
    page.get_by_role("link", name="Issues").click()
    expect(page.locator("#issue-table")).to_contain_text(connection.display_name)
    page.screenshot(path="/tmp/patchbay-dashboard-issues.png", full_page=True)
    page.get_by_role("link", name="Error log").click()
    expect(page.locator("table")).to_contain_text("INTERNAL_ERROR")
    page.screenshot(path="/tmp/patchbay-dashboard-error-log.png", full_page=True)


def test_a_background_tab_does_not_poll_and_catches_up_when_shown(
    sign_in, live_server, support_user, connection_a
):
    page = sign_in(support_user.username)
    page.clock.install()  # htmx's "every 10s" runs on timers this test moves by hand
    page.goto(f"{live_server.url}/?q=Acme")
    refreshes = []
    page.on("request", lambda r: refreshes.append(r.url) if r.headers.get("hx-request") else None)
    page.clock.run_for(10_500)
    expect(page.locator("#connection-table")).to_be_visible()
    page.wait_for_timeout(300)  # let the refresh the timer fired reach the network log
    assert refreshes == [f"{live_server.url}/?q=Acme"]

    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {configurable: true,"
        " get: () => 'hidden'})"
    )
    page.clock.run_for(45_000)
    page.wait_for_timeout(300)
    assert len(refreshes) == 1, refreshes  # hidden for 45 s: not one request

    with page.expect_request(lambda r: bool(r.headers.get("hx-request"))):
        page.evaluate(
            "Object.defineProperty(document, 'visibilityState', {configurable: true,"
            " get: () => 'visible'}); document.dispatchEvent(new Event('visibilitychange'))"
        )
    assert refreshes[-1] == f"{live_server.url}/?q=Acme"


def test_filters_live_in_the_url_and_the_back_button_undoes_them(
    sign_in, live_server, support_user, customer_a, customer_b
):
    from tests.factories import ConnectionFactory

    ConnectionFactory(customer=customer_a, display_name="Acme healthy one")
    ConnectionFactory(customer=customer_b, display_name="Borealis broken one",
                      health_status=HealthStatus.ERROR)  # fmt: skip
    page = sign_in(support_user.username)
    table = page.locator("#connection-table")
    expect(table).to_contain_text("Acme healthy one")
    page.get_by_label("Status", exact=True).select_option("error")
    expect(page).to_have_url(f"{live_server.url}/?status=error")
    expect(table).not_to_contain_text("Acme healthy one")
    page.get_by_label("Customer", exact=True).select_option(customer_a.slug)
    expect(page).to_have_url(f"{live_server.url}/?customer=acme&status=error")
    expect(table).to_contain_text("No connection matches these filters.")

    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/?status=error")
    expect(table).to_contain_text("Borealis broken one")
    expect(page.get_by_label("Customer", exact=True)).to_have_value("")
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(table).to_contain_text("Acme healthy one")

    shared = page.context.new_page()  # the URL is shareable: it opens the same filtered view
    shared.goto(f"{live_server.url}/?status=error")
    expect(shared.locator("#connection-table")).not_to_contain_text("Acme healthy one")
    expect(shared.get_by_label("Status", exact=True)).to_have_value("error")
