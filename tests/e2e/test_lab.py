"""The training lab in a real browser: play, pause and one step; while it plays, the page
redraws in place (the fragment), and the rate is printed (measured, never asserted on time)."""

import pytest

pytestmark = pytest.mark.e2e

EPOCH = "[data-testid='stMetricValue']"  # the page's first metric is the epoch
COUNT_REDRAWS = """seconds => new Promise(resolve => {
    const epochs = [];
    const started = performance.now();
    const poll = () => {
        const shown = document.querySelector(arguments_selector)?.innerText;
        if (shown !== undefined && shown !== epochs[epochs.length - 1]) epochs.push(shown);
        if (performance.now() - started < seconds * 1000) requestAnimationFrame(poll);
        else resolve(epochs);
    };
    poll();
})""".replace("arguments_selector", repr(EPOCH))


def epoch(tab) -> int:
    return int(tab.page.locator(EPOCH).first.inner_text())


def test_play_pause_step(server, tab):
    tab.open(f"{server.url}/lab")
    tab.rendered_charts(2)
    assert epoch(tab) == 0
    play = tab.page.get_by_text("Play", exact=True)  # a switch
    tab.page.get_by_role("button", name="One epoch").click()
    tab.wait()
    assert epoch(tab) == 1
    play.click()
    tab.page.wait_for_function(f"+(document.querySelector({EPOCH!r})?.innerText ?? 0) > 3",
                               timeout=30_000)
    seconds = 5
    shown = tab.page.evaluate(COUNT_REDRAWS, seconds)
    print(f"\nlab redraws while training: {len(shown) / seconds:.1f} per second "
          f"(epochs {shown[0]} -> {shown[-1]} in {seconds} s)")
    assert len(shown) > 1  # it redraws in place while it plays
    tab.screenshot("lab_training")
    play.click()  # pause
    # The code panel is drawn only when the run stands still: once it is there, the
    # paused run has drawn its epoch (on a loaded machine the page can show the last frame of the
    # play for a second or more before the paused run's output replaces it).
    tab.expect_text("Show the PyTorch code")
    tab.wait()
    assert not tab.page.get_by_label("Play", exact=True).is_checked()
    paused = epoch(tab)
    tab.page.wait_for_timeout(1000)
    print("paused at", paused, "then", epoch(tab))
    assert epoch(tab) == paused  # paused means paused
    tab.page.get_by_role("button", name="One epoch").click()
    tab.wait()
    assert epoch(tab) == paused + 1
    tab.page.get_by_role("button", name="Reset", exact=True).click()
    tab.wait()
    assert epoch(tab) == 0
    assert tab.page.locator("[data-testid='stException']").count() == 0
    assert tab.external_requests() == []


def test_pin_change_and_reopen_the_link(server, tab, browser):
    from harness.browser import Tab

    tab.open(f"{server.url}/lab")
    tab.rendered_charts(2)
    tab.page.get_by_role("button", name="One epoch").click()
    tab.wait()
    tab.page.get_by_role("button", name="Pin this view as A").click()
    tab.wait()
    tab.page.get_by_text("BatchNorm1d after each Linear").click()
    tab.expect_text("B differs from A in batchnorm: False → True")
    link = tab.page.url
    assert "lab_pin=" in link and "lab_bn=true" in link
    play = tab.page.get_by_text("Play", exact=True)
    play.click()  # A and B train in the same frames
    tab.page.wait_for_function(f"+(document.querySelector({EPOCH!r})?.innerText ?? 0) > 5",
                               timeout=30_000)
    seconds = 5
    shown = tab.page.evaluate(COUNT_REDRAWS, seconds)
    print(f"\nlab redraws while training A and B: {len(shown) / seconds:.1f} per second")
    play.click()
    tab.wait()

    shared = Tab(browser)  # a shared link opens the comparison
    shared.open(link)
    shared.expect_text("B differs from A in batchnorm: False → True")
    text = shared.expect_text("B (now)")  # the surfaces, each named by its run
    assert "A (pinned)" in text
    assert shared.rendered_charts(3) >= 3  # the curves and the weights
    assert shared.page.locator("[data-testid='stException']").count() == 0
    shared.page.close()


def test_the_comparison_fits_a_projector(server, browser):
    """Presenter mode at 1280x720: pinned, BatchNorm on, the link reopened at the top: the line
    naming what differs, the pin buttons, A's and B's surfaces and the loss curves are all on the
    first screen (the surfaces were cut and the curves below it)."""
    from harness.browser import Tab

    projector = Tab(browser, 1280, 720)
    try:
        projector.open(f"{server.url}/lab?present=true")
        projector.rendered_charts(2)
        projector.page.get_by_role("button", name="Pin this view as A").click()
        projector.expect_text("Unpin A")
        projector.page.get_by_text("BatchNorm1d after each Linear").click()
        projector.expect_text("B differs from A in batchnorm: False → True")
        projector.open(projector.page.url)  # the link, opened at the top of the page
        projector.rendered_charts(2)
        page = projector.page
        shown = {
            "differs": page.locator("[data-testid='stMarkdown']").filter(
                has_text="B differs from A").first,
            "unpin": page.get_by_role("button", name="Unpin A"),
            "swap": page.get_by_role("button", name="Swap A and B"),
            "surface A": page.locator("[data-testid='stImage']").filter(
                has_text="A (pinned)").first,
            "surface B": page.locator("[data-testid='stImage']").filter(
                has_text="B (now)").first,
            "loss curves": page.locator("[data-testid='stVegaLiteChart']").first,
        }
        for name, element in shown.items():
            box = element.bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720, (name, box)
        # the first chart is the loss chart (its title), drawn
        assert shown["loss curves"].locator("svg").get_by_text("Loss", exact=True).count() == 1
        projector.screenshot("lab_compare_presenter")
    finally:
        projector.page.close()
