"""The training lab while it plays, in a real browser (Debian's chromium through Playwright): how
many times a second the page redraws (the Epoch metric's text changes), and the gaps between
redraws, over a few seconds of Play; alone (B) and with a pinned run A training beside it.

Run: python -m bench.playing [--seconds 5]
Target: at least 10 redraws a second."""

from __future__ import annotations

import argparse

from bench.protocol import percentile, server
from harness.browser import CHROMIUM, CHROMIUM_ARGS, Tab

# Records in the page the time of every change of the first metric's value (the epoch).
WATCH = """() => {
  window.__redraws = [];
  if (window.__watching) return;  // one observer, however many measurements
  window.__watching = true;
  const epoch = () => document.querySelector("[data-testid='stMetricValue']")?.innerText;
  let last = epoch();
  new MutationObserver(() => {
    const now = epoch();  // undefined or "" while Streamlit replaces the element
    if (now && now !== last) { last = now; window.__redraws.push(performance.now()); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def redraws(tab: Tab, seconds: float) -> list[float]:
    """Play for seconds; the times (ms) at which the epoch on screen changed."""
    page = tab.page
    page.evaluate(WATCH)
    button = page.get_by_role("button", name="Play")
    button.or_(page.get_by_text("Play", exact=True)).first.wait_for()  # the page drawn
    switch = None if button.count() else page.get_by_text("Play", exact=True)  # a toggle's label
    (switch or button).click()
    page.wait_for_timeout(seconds * 1000)
    times = page.evaluate("() => window.__redraws")
    pause = switch or page.get_by_role("button", name="Pause")
    if pause.count():  # a run that reached its end (the regularisation lesson's) paused itself
        pause.click()
    tab.wait()
    return times


def report(name: str, times: list[float], seconds: float) -> None:
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # over the redraws' own span: a run that ends before the seconds are up stops redrawing
    span = (times[-1] - times[0]) / 1000 if len(times) > 1 else seconds
    print(f"  {name:22} {(len(times) - 1) / span:5.1f} redraws/s; gaps between redraws "
          f"p50 {percentile(gaps, 50):.0f} ms, p95 {percentile(gaps, 95):.0f} ms")


def alone_then_pinned(path: str, what: str, alone: str, seconds: float) -> None:
    """On a server of its own, the lesson at path playing in chromium for seconds, then again
    with its view pinned as A (A and B training together): the redraws of each printed."""
    from playwright.sync_api import sync_playwright

    app = server()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"{what} playing in chromium, {seconds:g} s each:")
            tab = Tab(browser).open(f"{app.url}/{path}")
            report(alone, redraws(tab, seconds), seconds)
            tab.page.get_by_role("button", name="Pin this view as A").click()
            tab.wait()
            report("A and B together", redraws(tab, seconds), seconds)
            browser.close()
    finally:
        app.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.playing", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    alone_then_pinned("lab", "the training lab", "default network", args.seconds)


if __name__ == "__main__":
    main()
