"""Debian's chromium driven by Playwright: how the browser tests and the benchmarks open a page,
wait for a rerun to finish and prove that no request leaves localhost."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

from harness.pages import ROOT

SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def missing_browser() -> str | None:
    """Why the browser cannot be driven here, or None."""
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


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
        code runs (ui.links.sections)."""
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

    def fonts_drawing(self, selector: str) -> dict[str, dict]:
        """The fonts Chromium itself drew the text of every element matching selector with (not
        just what the CSS asks for), by the family name inside each font file."""
        cdp = self.page.context.new_cdp_session(self.page)
        try:
            cdp.send("DOM.enable")
            cdp.send("CSS.enable")
            root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
            nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})
            return {font["familyName"]: font for node in nodes["nodeIds"] for font in
                    cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}
        finally:
            cdp.detach()

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path
