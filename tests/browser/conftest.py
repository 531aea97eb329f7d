"""Playwright (sync API) on the system Chromium against pytest-django's live server.

Every page is watched: a console error, an uncaught exception, a CSP violation or a failed
request for a same-origin resource fails the test that caused it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOT_DIR = Path(os.environ.get("JOURNEY_SCREENSHOT_DIR", tempfile.gettempdir()))
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Report CSP violations on the console, where the watcher below sees them.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


class PageWatcher:
    """Collects what went wrong in the browser while a test ran."""

    def __init__(self, page, origin: str):
        self.origin = origin
        self.console: list[str] = []
        self.problems: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"JS error: {exc}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _on_console(self, message):
        text = f"{message.type}: {message.text}"
        self.console.append(text)
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {text}")

    def _on_request_failed(self, request):
        if request.url.startswith(self.origin):
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _on_response(self, response):
        if not response.url.startswith(self.origin):
            self.problems.append(f"request left the site: {response.url}")
        elif "/static/" in response.url and response.status >= 400:
            self.problems.append(f"static file {response.status}: {response.url}")

    def assert_clean(self):
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.add_init_script(CSP_REPORTER)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.watcher = PageWatcher(page, live_server.url)
    yield page
    # Let requests still in flight (a redraw after the last step) finish before the database is
    # flushed: the server thread answering one would deadlock with the flush's TRUNCATE.
    from playwright.sync_api import Error as PlaywrightError

    with contextlib.suppress(PlaywrightError):
        page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()


@pytest.fixture
def login(page, live_server):
    """Sign in through the login form, as a person would."""

    def _login(email: str, password: str):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password", exact=False).first.fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/programs/**")
        return page

    return _login


def screenshot(page, name: str, *, full_page: bool = False) -> Path:
    """Save `journey-<name>.png` (in /tmp unless JOURNEY_SCREENSHOT_DIR says otherwise)."""
    path = SCREENSHOT_DIR / f"journey-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
