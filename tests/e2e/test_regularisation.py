"""The regularisation lesson in a real browser: Play trains the course's two networks live,
redrawing in place, and pauses at the end; the trained course example and a comparison fit a
projector's first screen; the decay tab in Chinese. Screenshots at 1280 x 720."""

import pytest

from harness.browser import Tab

pytestmark = pytest.mark.e2e

ITERATION = "[data-testid='stMetricValue']"  # the page's first metric is the iteration
SEEN = """seconds => new Promise(resolve => {
    const seen = [];
    const started = performance.now();
    const poll = () => {
        const shown = document.querySelector(selector)?.innerText;
        if (shown !== undefined && shown !== seen[seen.length - 1]) seen.push(shown);
        if (performance.now() - started < seconds * 1000) requestAnimationFrame(poll);
        else resolve(seen);
    };
    poll();
})""".replace("selector", repr(ITERATION))


def iteration(tab) -> int:
    return int(tab.page.locator(ITERATION).first.inner_text())


def on_first_screen(tab, locator, name: str) -> None:
    box = locator.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 720, (name, box)


def test_play_trains_live_and_pauses_at_the_end(server, tab):
    tab.open(f"{server.url}/regularisation?regularisation_fit_iterations=400")
    tab.rendered_charts(2)
    assert iteration(tab) == 0
    tab.page.get_by_text("Play", exact=True).click()
    shown = tab.page.evaluate(SEEN, 3)
    print(f"\nregularisation redraws while training: {len(shown) / 3:.1f} per second "
          f"(iterations {shown[0]} -> {shown[-1]} in 3 s)")
    assert len(shown) > 2  # it redraws in place while it trains
    # the end: the paused page's code panel, the switch off, the course's last display step
    tab.page.wait_for_function(f"document.querySelector({ITERATION!r})?.innerText === '400'",
                               timeout=120_000)
    tab.expect_text("Show the PyTorch code")
    tab.wait()
    assert not tab.page.get_by_label("Play", exact=True).is_checked()
    assert "Epoch: 400" in tab.main_text()
    assert tab.page.locator("[data-testid='stException']").count() == 0
    assert tab.external_requests() == []


@pytest.mark.parametrize(("lang", "present"), [("en", False), ("en", True), ("zh", False),
                                               ("zh", True)])
def test_the_trained_course_example_fits_the_first_screen(server, browser, lang, present):
    projector = Tab(browser, 1280, 720)
    try:
        projector.open(f"{server.url}/regularisation?lang={lang}&present={str(present).lower()}")
        projector.rendered_charts(2)
        end = "To the end (2000)" if lang == "en" else "训练到结束（2000）"
        projector.page.get_by_role("button", name=end).click()
        projector.page.wait_for_function(
            f"document.querySelector({ITERATION!r})?.innerText === '2000'", timeout=120_000)
        projector.wait()
        projector.rendered_charts(4)
        charts = projector.page.locator("[data-testid='stVegaLiteChart']")
        for index in (0, 1):  # the two fits, the losses
            on_first_screen(projector, charts.nth(index), f"chart {index}")
        projector.screenshot(f"regularisation_{lang}{'_presenter' if present else ''}")
        assert projector.page.locator("[data-testid='stException']").count() == 0
    finally:
        projector.page.close()


def test_a_comparison_and_its_link(server, tab, browser):
    tab.open(f"{server.url}/regularisation?regularisation_fit_iterations=400")
    tab.rendered_charts(2)
    tab.page.get_by_role("button", name="Pin this view as A").click()
    tab.expect_text("Unpin A")
    field = tab.page.get_by_role("spinbutton", name="Weight decay λ (the second network)")
    field.fill("0.1")
    field.press("Enter")
    tab.expect_text("B differs from A in Weight decay λ (the second network): 0.01 → 0.1.")
    tab.page.get_by_role("button", name="To the end (400)").click()
    tab.page.wait_for_function(f"document.querySelector({ITERATION!r})?.innerText === '400'",
                               timeout=120_000)
    tab.expect_text("A (pinned): At iteration 400")
    assert "regularisation_fit_pin=" in tab.page.url
    again = Tab(browser, 1280, 720)
    try:
        again.open(tab.page.url)
        again.expect_text("B differs from A in Weight decay λ (the second network): 0.01 → 0.1.")
        assert "Link parameter" not in again.main_text()
    finally:
        again.page.close()


def test_the_decay_tab_in_chinese(server, tab):
    tab.open(f"{server.url}/regularisation?lang=zh&regularisation_tab=decay")
    tab.rendered_charts(1)  # the norm and the loss, side by side in one chart
    tab.expect_text("在第")  # "parts from ... at step n", computed from the runs
    tab.screenshot("regularisation_decay_zh")
    assert tab.page.locator("[data-testid='stException']").count() == 0
