"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Playwright's own browser downloads are never used: the system Chromium at /usr/bin/chromium is launched with a
fresh profile per test (`apt-get install -y chromium`). Without it the tests are skipped locally and FAIL under
CI=true, so CI can never pass without having run them. Mark every test module `pytestmark = pytest.mark.browser`.

    def test_something(browser_page, live_server, collector_a):
        login(browser_page, live_server, "collector_a", PASSWORD)

Pages run under the platform's Content-Security-Policy (grassroots/csp.py): no 'unsafe-eval', so Playwright's
`page.wait_for_function(...)` (it evals its predicate in the page) is refused; wait with `wait_until(page, js)`,
locator assertions (`expect(...)`) or `wait_for_selector` instead. `page.evaluate` is not affected.
"""

import os
import shutil
import time
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OFFICE_SCREEN = {"width": 1366, "height": 768}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture
def chromium_executable() -> str:
    """The system Chromium; its absence fails the test under CI=true and skips it elsewhere."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    message = f"Chromium not found at {CHROMIUM}: apt-get update && apt-get install -y chromium"
    if _in_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def browser_page(chromium_executable, tmp_path, monkeypatch):
    """A fresh Chromium page (own profile, 1366×768, zh-CN). Playwright's sync API runs an event loop in this
    thread, so Django's async-safety check is relaxed for the duration of the test only."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    profile = tmp_path / "chromium-profile"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=OFFICE_SCREEN,
            locale="zh-CN",
        )
        context.set_default_timeout(15_000)
        page = context.pages[0] if context.pages else context.new_page()
        try:
            yield page
        finally:
            context.close()
            # The test body ran while Playwright's event loop was active, so Django's context-local connection
            # handler opened a separate connection for it; close it here, or PostgreSQL cannot drop the test DB.
            connections.close_all()
    shutil.rmtree(profile, ignore_errors=True)


def login(page, live_server, username: str, password: str) -> None:
    """Sign in through the real login form and wait for the home page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Poll the JavaScript `expression` with `page.evaluate` until it is truthy (`page.wait_for_function` evals in
    the page, which the Content-Security-Policy refuses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.1)
