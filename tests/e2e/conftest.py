"""Real-browser fixtures: a freshly started `streamlit run app.py` on localhost, and Debian's
chromium driven by Playwright. Without chromium the tests skip with the reason, unless
REQUIRE_SYSTEM_PACKAGES=1 (as in CI), where a missing browser fails them (harness.system)."""

from __future__ import annotations

import pytest

from harness.browser import CHROMIUM, CHROMIUM_ARGS, Tab, missing_browser
from harness.server import Server
from harness.system import need


@pytest.fixture(scope="session")
def browser():
    need(missing_browser())
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
