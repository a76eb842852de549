"""Real-browser fixtures: a freshly started `streamlit run app.py` on localhost, and Debian's
chromium driven by Playwright. Without chromium the tests skip with the reason, unless
REQUIRE_BROWSER=1 (as in CI), where a missing browser fails them."""

from __future__ import annotations

import os

import pytest

from harness.browser import CHROMIUM, CHROMIUM_ARGS, Tab, missing_browser
from harness.server import Server


@pytest.fixture(scope="session")
def browser():
    reason = missing_browser()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here, but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def fresh_server():
    server = Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server():
    server = Server()
    yield server
    server.stop()


@pytest.fixture
def tab(browser):
    tab = Tab(browser)
    yield tab
    tab.page.close()
