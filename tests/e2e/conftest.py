"""Real-browser fixtures: a freshly started `streamlit run app.py` on localhost, and Debian's
chromium driven by Playwright. Without chromium the tests skip with the reason, unless
REQUIRE_BROWSER=1 (as in CI), where a missing browser fails them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def _missing_browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing_browser()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here, but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`streamlit run app.py` on a free localhost port, stopped when the test ends. options are
    extra command-line flags (the benchmarks use this class too: bench/protocol.py)."""

    def __init__(self, *options: str) -> None:
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}"
        self.started = time.monotonic()
        # stderr is not piped: nobody reads it, and a full pipe would stall a busy server
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false", *options],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("streamlit did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


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


class Tab:
    """A page in the browser that records every request, to prove none leaves localhost."""

    def __init__(self, browser, width: int = 1280, height: int = 800) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))

    def open(self, url: str) -> Tab:
        self.page.goto(url)
        self.wait()
        return self

    def wait(self) -> None:
        """Until the script run triggered by the last action has finished and charts are drawn."""
        self.page.wait_for_timeout(150)
        self.page.wait_for_selector(IDLE, timeout=30_000)
        self.page.wait_for_timeout(300)

    def open_tab(self, label: str) -> None:
        """Click one of the page's tabs; opening a tab reruns the page where only the open tab's
        code runs (ui.common.sections)."""
        self.page.get_by_role("tab", name=label).click()
        self.wait()

    def main_text(self) -> str:
        return self.page.inner_text("[data-testid='stMain']")

    def expect_text(self, expected: str) -> str:
        """Wait (up to 30 s: a rerun after an edit may start late) until the main area shows
        expected, failing the test if it never does; return the main area's text."""
        self.page.wait_for_function(
            "text => document.querySelector(\"[data-testid='stMain']\").innerText.includes(text)",
            arg=expected, timeout=30_000)
        return self.main_text()

    def external_requests(self) -> list[str]:
        return [url for url in self.requests
                if urlparse(url).scheme not in ("data", "blob")
                and urlparse(url).hostname not in LOCAL_HOSTS]

    def rendered_charts(self, expected: int = 0) -> int:
        """How many Altair charts have drawn their SVG, after waiting (up to 15 s) for expected."""
        charts = "[data-testid='stVegaLiteChart'] svg"
        if expected:
            self.page.wait_for_function(
                f"document.querySelectorAll(\"{charts}\").length >= {expected}", timeout=15_000)
        return self.page.locator(charts).count()

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def tab(browser):
    tab = Tab(browser)
    yield tab
    tab.page.close()
