"""Interaction latency in a real browser (Debian's chromium through Playwright): on each page, step
its first control up N times (values never computed before), then back down N times (values seen
before, so cached), and time, in the page's own clock, from the click to the last change of a
chart's drawing once the rerun has finished. Prints p50/p95 per page for both kinds.

The control is the first number input of the page's main area (its "+" and "−" buttons), then its
first slider (arrow keys), whose first move redraws a chart (a seed the open view does not draw
from is passed over, its move undone); found at run time, so new pages are covered.

Run: python -m bench.latency [--moves 8] [--pages explosion loss]
Target: p95 under 200 ms on every page, for both kinds."""

from __future__ import annotations

import argparse

from bench.protocol import lesson_pages, server, summary
from harness.browser import CHROMIUM, CHROMIUM_ARGS, IDLE, Tab

# Records in the page the time of the last change inside any chart, and of the last change at all.
WATCH = """() => {
  window.__chart = 0; window.__any = 0;
  new MutationObserver((records) => {
    const now = performance.now();
    window.__any = now;
    if (records.some((r) => (r.target.closest ? r.target : r.target.parentElement)
        ?.closest("[data-testid='stVegaLiteChart']"))) window.__chart = now;
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             characterData: true});
}"""
# Done: the app is idle, a chart changed after the click, and nothing has changed for 300 ms.
SETTLED = f"""() => document.querySelector("{IDLE}") && window.__chart > window.__t0
  && performance.now() - window.__any > 300"""
NUMBER = "[data-testid='stMain'] [data-testid='stNumberInput']"
SLIDER = "[data-testid='stMain'] [data-testid='stSlider'] [role='slider']"
CONTROLS = [  # (how to find it, how to move it up, how to move it back down), first match wins
    (NUMBER, ("click", "[data-testid='stNumberInputStepUp']"),
     ("click", "[data-testid='stNumberInputStepDown']")),
    (SLIDER, ("press", "ArrowRight"), ("press", "ArrowLeft")),
]


def move(page, control, how: tuple[str, str]) -> None:
    """One interaction with control (a locator), its start stamped in the page's clock."""
    page.evaluate("() => { window.__t0 = performance.now(); }")
    kind, what = how
    if kind == "click":
        control.locator(what).click()
    else:
        control.press(what)


def timed(page, control, how: tuple[str, str], moves: int) -> tuple[list[float], int]:
    """Milliseconds from each of moves interactions to its chart redrawn; and how many moves
    redrew no chart (a control at its limit)."""
    times, missed = [], 0
    for _ in range(moves):
        move(page, control, how)
        try:
            page.wait_for_function(SETTLED, timeout=15_000, polling=50)
            times.append(page.evaluate("() => window.__chart - window.__t0"))
        except Exception:  # a move that never redrew is counted, not fatal
            missed += 1
            page.wait_for_selector(IDLE, timeout=30_000)
    return times, missed


def measure(tab: Tab, url: str, moves: int) -> tuple[str, list[float], list[float], int] | None:
    """(the control's label, times for new values, times for values seen before, moves missed)"""
    tab.open(url)
    page = tab.page
    tab.rendered_charts(1)
    page.evaluate(WATCH)
    for selector, up, down in CONTROLS:
        for index in range(page.locator(selector).count()):
            control = page.locator(selector).nth(index)
            first, _ = timed(page, control, up, 1)
            if first:
                break
            timed(page, control, down, 1)  # it redraws nothing: put it back, try the next
        else:
            continue
        break
    else:
        return None
    more, missed_up = timed(page, control, up, moves - 1)
    new = first + more
    seen, missed_down = timed(page, control, down, moves)
    label = control.evaluate(
        "(e) => e.closest(\"[data-testid='stNumberInput'],[data-testid='stSlider']\")"
        ".querySelector('label')?.innerText")
    return label, new, seen, missed_up + missed_down


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--moves", type=int, default=8, help="moves up, then as many back down")
    parser.add_argument("--pages", nargs="*", help="url paths; default: every lesson")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    pages = args.pages or lesson_pages()
    app = server()
    results = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"interaction latency in chromium, click to chart redrawn, {args.moves} moves "
                  "up (new values), then back down (values seen before):")
            for path in pages:
                tab = Tab(browser)
                try:
                    result = measure(tab, f"{app.url}/{path}", args.moves)
                except Exception as error:  # a page that never settles is a figure too
                    print(f"  {path:12} failed: {type(error).__name__}: {str(error)[:120]}")
                    continue
                finally:
                    tab.page.close()
                if result is None:
                    print(f"  {path:12} no number input or slider in the main area; skipped")
                    continue
                label, new, seen, missed = result
                results[path] = {"new": new, "seen": seen}
                print(f"  {path:12} control: {label!r}"
                      + (f", {missed} moves without a redraw" if missed else ""))
                print(f"    new values   {summary(new)}")
                print(f"    seen before  {summary(seen)}")
            browser.close()
    finally:
        app.stop()
    return results


if __name__ == "__main__":
    main()
