"""Playwright driving Debian's Chromium (never a downloaded browser) against a live server.

Every page a journey opens is watched: a console error (a Content-Security-Policy violation is
one), an uncaught script error or a CSP violation event fails the test at teardown. A test that
means to meet an error page says so with `console.allow("404")`.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to set
# up and check data are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make chromium` installs Debian's package"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# Reported by every document (securitypolicyviolation events do not reach the console alone).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
});
"""


# htmx reports a request it aborted itself (hx-sync="this:replace" dropping a preview that a
# newer keystroke replaced) as two console errors. A failed request adds htmx:sendError or
# htmx:responseError, which still fail the test.
HTMX_ABORTED = r": htmx:(sendAbort|afterRequest), \[object HTML\w+Element\]$"


@dataclass
class Console:
    """What the pages of one browser context said was wrong."""

    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=lambda: [HTMX_ABORTED])

    def allow(self, pattern: str) -> None:
        """Expect errors matching `pattern` (a regex), e.g. the 404 a test opens on purpose."""
        self.allowed.append(pattern)

    def watch(self, page) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: uncaught {error}"))

    def _console(self, page, message) -> None:
        if message.type == "error":
            self.errors.append(f"{page.url}: {message.text}")

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(re.search(p, e) for p in self.allowed)]


@pytest.fixture
def console():
    return Console()


@pytest.fixture
def open_context(browser, console):
    """New browser contexts whose pages are watched; closed and checked at teardown."""
    contexts = []

    def open_watched(**options):
        context = browser.new_context(viewport={"width": 1400, "height": 900}, **options)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("page", console.watch)
        contexts.append(context)
        return context

    yield open_watched
    for context in contexts:
        context.close()
    unexpected = console.unexpected()
    assert not unexpected, "the browser reported errors:\n" + "\n".join(unexpected)


@pytest.fixture
def page(open_context):
    page = open_context().new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def sign_in(page, live_server):
    """Sign in through the real login form, as a person would."""

    def sign_in_as(username: str, password: str = "correct-horse-battery"):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    return sign_in_as
