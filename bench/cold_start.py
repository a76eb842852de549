"""Cold start, as a class meets it: from `streamlit run app.py` (a fresh server each run) to the
home page drawn in chromium; the warm-up that first page starts (harness.warm.warm_this_process:
every lesson's course view computed in the background) and how long it takes, read from the
line it writes on the server's stderr; then each lesson opened twice, each time in a fresh
browser (a new context: no cache, no cookies), timed from navigation to the page drawn (the
script finished, every chart on view drawn): the first visit after the warm-up, then a second
one. And what a fresh browser's page load is made of, for the first lesson's first visit.

Run: python -m bench.cold_start [--runs 3]
Targets: home under 5 s; each lesson's first visit after the warm-up within 0.5 s of its
second."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from harness.browser import CHROMIUM, CHROMIUM_ARGS, IDLE
from harness.server import Server
from harness.warm import WARMED
from lessons import LESSONS

RENDERED = f"{IDLE} [data-testid='stMain'] h1"
# The page drawn: the script finished, its title shown, every chart on view drawn.
DRAWN = f"""() => document.querySelector("{RENDERED}")
  && [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
       .every(chart => chart.querySelector("svg, canvas") || !chart.checkVisibility())
  && !document.querySelector("[data-testid='stSkeleton']")"""
# What the browser fetched, from its own timings (milliseconds from navigation).
LOAD = """() => {
  const entries = performance.getEntriesByType("resource");
  const of = kind => entries.filter(e => kind.test(e.name));
  const sum = (list, key) => list.reduce((total, e) => total + e[key], 0);
  const scripts = of(/\\.js$/), fonts = of(/\\.woff2$/), ours = of(/\\/app\\/static\\//);
  return {dom_ready: performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd,
          scripts: scripts.length, script_bytes: sum(scripts, "encodedBodySize"),
          script_decoded: sum(scripts, "decodedBodySize"),
          scripts_done: Math.max(...scripts.map(e => e.responseEnd)),
          font_bytes: sum(fonts, "encodedBodySize"), our_font_bytes: sum(ours, "encodedBodySize"),
          requests: entries.length, drawn: performance.now()};
}"""


def visit(browser, url: str) -> tuple[float, dict]:
    """Seconds from navigation to the page drawn, in a fresh browser context; and its load."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    start = time.monotonic()
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=120_000, polling=50)
    seconds = time.monotonic() - start
    load = page.evaluate(LOAD)
    context.close()
    return seconds, load


def wait_for_warm_up(log: Path, give_up: float = 300) -> float:
    """Seconds the server's warm-up took, as its line on stderr says, once it is written."""
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        line = next((line for line in log.read_text().splitlines() if WARMED in line), None)
        if line is not None:
            return float(line.split(" in ")[1].split(" s")[0])
        time.sleep(0.2)
    raise TimeoutError(f"no warm-up line on the server's stderr within {give_up:g} s")


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far (Linux's /proc: user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(browser, log: Path) -> dict:
    server = Server(log=log, warm_up=True)  # returns once /_stcore/health answers
    try:
        healthy = time.monotonic() - server.started
        home, _ = visit(browser, server.url)
        home_at = time.monotonic() - server.started
        cpu_before = cpu_seconds(server.process.pid)
        warm_up = wait_for_warm_up(log)
        warmed_at = time.monotonic() - server.started
        warm_up_cpu = cpu_seconds(server.process.pid) - cpu_before
        visits = {}
        for name in LESSONS:
            first, load = visit(browser, f"{server.url}/{name}")
            second, _ = visit(browser, f"{server.url}/{name}")
            visits[name] = (first, second, load)
        return {"healthy": healthy, "home": home_at, "warm_up": warm_up, "warmed": warmed_at,
                "warm_up_cpu": warm_up_cpu, "visits": visits}
    finally:
        server.stop()


def report(runs: list[dict]) -> None:
    def median(key):
        return statistics.median(run[key] for run in runs)

    print(f"cold start over {len(runs)} runs (median): server healthy {median('healthy'):.2f} s"
          f" after the command; home drawn in chromium {median('home'):.2f} s; the warm-up it "
          f"starts took {median('warm_up'):.1f} s (done {median('warmed'):.1f} s after the "
          f"command; about {median('warm_up_cpu'):.1f} s of the server's CPU)")
    print("each lesson in a fresh browser after the warm-up, first visit / second visit "
          "(median over runs; target: within 0.5 s):")
    for name in LESSONS:
        first = statistics.median(run["visits"][name][0] for run in runs)
        second = statistics.median(run["visits"][name][1] for run in runs)
        print(f"  {name:10} {first:5.2f} s / {second:5.2f} s   difference {first - second:+.2f} s")
    load = runs[-1]["visits"][LESSONS[0]][2]
    print(f"what the first visit to {LESSONS[0]} fetched (last run): {load['requests']} requests;"
          f" {load['scripts']} scripts, {load['script_bytes'] / 2**20:.1f} MB as sent "
          f"({load['script_decoded'] / 2**20:.1f} MB unpacked), all in by "
          f"{load['scripts_done'] / 1000:.2f} s; fonts {load['font_bytes'] / 1024:.0f} KB, of "
          f"which the app's own {load['our_font_bytes'] / 1024:.0f} KB; its main scripts run "
          f"(DOMContentLoaded) at {load['dom_ready'] / 1000:.2f} s, the page drawn at "
          f"{load['drawn'] / 1000:.2f} s")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as folder:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for number in range(args.runs):
            runs.append(one_run(browser, Path(folder) / f"server-{number}.log"))
        browser.close()
    report(runs)
    return runs


if __name__ == "__main__":
    main()
