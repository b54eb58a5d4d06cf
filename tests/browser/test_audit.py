"""An admin filters the audit log by each field and takes the result away as CSV."""

from datetime import UTC, datetime
from pathlib import Path

import time_machine
from playwright.sync_api import expect

from connections import audit
from connections.actors import Actor
from tests.factories import ApiTokenFactory, UserFactory

SHOTS = "var/shots"


def test_admin_filters_the_audit_log_by_each_field_and_exports_csv(
    sign_in, live_server, admin_user, connection_a, connection_b
):
    token = ApiTokenFactory(connection=connection_a, label="ERP nightly sync")
    bob = UserFactory(username="bob-admin", admin=True)
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=UTC), tick=False):
        audit.record("connection.check_requested", connection_a,
                     actor=Actor(admin_user, request_id="pb_first"))  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 5, 9, tzinfo=UTC), tick=False):
        audit.record("token.revoked", token, actor=Actor(bob, request_id="pb_second"),
                     changes={"before": {"last4": token.last4, "label": token.label}})  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 9, 9, tzinfo=UTC), tick=False):
        audit.record("connection.check_requested", connection_b,
                     actor=Actor(bob, request_id="pb_third"))  # fmt: skip
    page = sign_in(admin_user.username)
    page.goto(f"{live_server.url}/audit/")
    table = page.locator("table.audit tbody")
    expect(table.locator("tr")).to_have_count(3)
    expect(table).to_contain_text(f"token …{token.last4} of Acme SAP production")
    expect(table).to_contain_text(f"Revoked token …{token.last4} “ERP nightly sync”")
    page.screenshot(path=f"{SHOTS}/audit-log.png", full_page=True)

    def only(**fields):
        page.goto(f"{live_server.url}/audit/")
        form = page.get_by_role("form", name="Filter the audit log")
        for label, value in fields.items():
            field = form.get_by_label(label, exact=True)
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(label=value)
            else:
                field.fill(value)
        with page.expect_navigation():
            form.get_by_role("button", name="Filter").click()
        return {code.inner_text() for code in table.locator("a code").all()}

    assert only(Action="Token revoked") == {"pb_second"}
    assert only(Who="bob") == {"pb_second", "pb_third"}
    assert only(**{"Object type": "Connection"}) == {"pb_first", "pb_third"}
    assert only(**{"Request id": "pb_third"}) == {"pb_third"}
    assert only(Customer="Borealis Energy") == {"pb_third"}
    assert only(From="2026-03-02", To="2026-03-08") == {"pb_second"}
    page.screenshot(path=f"{SHOTS}/audit-log-filtered.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert content.splitlines()[0].startswith("time_utc,who,action")
    assert "pb_second" in content and "pb_third" not in content
    page.goto(f"{live_server.url}/audit/")
    expect(table.locator("tr").first).to_contain_text("Audit log exported")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS}/audit-log-390.png", full_page=True)
