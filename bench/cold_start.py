"""Cold start: from `streamlit run app.py` to the home page rendered in a real browser (title
drawn, script finished). The browser is started beforehand; each run starts a new server.
Then how long until each lesson's course view comes back from the server as a cached rerun
(under 150 ms over the wire protocol), counted from the server reporting healthy, when students
simply open the lessons (`python -m classroom` warms its processes before it serves instead).

Run: python -m bench.cold_start [--runs 3]
Targets: home under 5 s; each lesson's course view ready under 1 s after healthy."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from harness.browser import CHROMIUM, CHROMIUM_ARGS, IDLE, Tab
from harness.protocol import Session, run_sync
from harness.server import Server
from lessons import LESSONS

RENDERED = f"{IDLE} [data-testid='stMain'] h1"
READY_MS = 150  # a cached view's rerun over the protocol takes 45-90 ms here


async def ready_after(server: Server, pages: list[str], give_up: float = 60) -> dict[str, float]:
    """Seconds from healthy until each page's default view reruns within READY_MS."""
    ready: dict[str, float] = {}
    deadline = time.monotonic() + give_up
    while len(ready) < len(pages) and time.monotonic() < deadline:
        for page in pages:
            if page in ready:
                continue
            async with Session(server.url) as session:
                run = await session.open(page)
            if run.ms < READY_MS:
                ready[page] = time.monotonic() - server.healthy
        await asyncio.sleep(0.2)
    return ready


def main(argv: list[str] | None = None) -> list[float]:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    healthy, rendered, lessons_ready = [], [], []
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
                ready = run_sync(ready_after(server, list(LESSONS)))  # beside Playwright's loop
                lessons_ready.append(ready)
            finally:
                server.stop()
        browser.close()
    print(f"cold start over {args.runs} runs (median, max): server healthy "
          f"{statistics.median(healthy):.2f} s, {max(healthy):.2f} s; home rendered in chromium "
          f"{statistics.median(rendered):.2f} s, {max(rendered):.2f} s")
    for name in LESSONS:
        times = [ready.get(name, float("inf")) for ready in lessons_ready]
        print(f"  {name:10} course view ready {statistics.median(times):.2f} s after healthy "
              f"(max {max(times):.2f} s)")
    return rendered


if __name__ == "__main__":
    main()
