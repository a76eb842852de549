"""Cold start: from `streamlit run app.py` to the home page rendered in a real browser (title
drawn, script finished). The browser is started beforehand; each run starts a new server.

Run: python -m bench.cold_start [--runs 3]
Target (issue 7): under 5 s."""

from __future__ import annotations

import argparse
import statistics
import time

from harness.browser import CHROMIUM, CHROMIUM_ARGS, IDLE, Tab
from harness.server import Server

RENDERED = f"{IDLE} [data-testid='stMain'] h1"


def main(argv: list[str] | None = None) -> list[float]:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    healthy, rendered = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(args.runs):
            server = Server()  # returns once /_stcore/health answers
            try:
                healthy.append(time.monotonic() - server.started)
                tab = Tab(browser)
                tab.page.goto(server.url)
                tab.page.wait_for_selector(RENDERED, timeout=60_000)
                rendered.append(time.monotonic() - server.started)
                tab.page.close()
            finally:
                server.stop()
        browser.close()
    print(f"cold start over {args.runs} runs (median, max): server healthy "
          f"{statistics.median(healthy):.2f} s, {max(healthy):.2f} s; home rendered in chromium "
          f"{statistics.median(rendered):.2f} s, {max(rendered):.2f} s")
    return rendered


if __name__ == "__main__":
    main()
