"""The terrain lesson in a real browser: it plays with its sharpness tracked (the rate printed,
never asserted on time) and the edge of stability shows; at 1280 x 720 in presenter mode the
sharpness chart is on the first screen; a click on a neuron of the network drawing opens its
bias; a link opens the slice along the path's directions. The screenshots for the README are
taken here."""

import pytest

from harness.browser import SCREENSHOTS, Tab

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 1280, 720
EPOCH = "[data-testid='stMetric']:has-text('epoch') [data-testid='stMetricValue']"
COUNT_REDRAWS = """seconds => new Promise(resolve => {
    const epochs = [];
    const started = performance.now();
    const poll = () => {
        const shown = EPOCH_JS?.innerText;
        if (shown !== undefined && shown !== epochs[epochs.length - 1]) epochs.push(shown);
        if (performance.now() - started < seconds * 1000) requestAnimationFrame(poll);
        else resolve(epochs);
    };
    poll();
})"""
EPOCH_JS = "[...document.querySelectorAll(\"[data-testid='stMetric']\")]" \
    ".find(m => m.innerText.startsWith('epoch'))?.querySelector(\"[data-testid='stMetricValue']\")"
COUNT_REDRAWS = COUNT_REDRAWS.replace("EPOCH_JS", EPOCH_JS)


def epoch(tab) -> int:
    return int(tab.page.locator(EPOCH).first.inner_text())


def play_until(tab, epochs: int) -> None:
    """Play until the run passes epochs, then pause (and wait for the paused page)."""
    play = tab.page.get_by_text("Play", exact=True)
    play.click()
    tab.page.wait_for_function(f"+({EPOCH_JS}?.innerText ?? 0) >= {epochs}", timeout=120_000)
    play.click()
    tab.expect_text("Show the PyTorch code")  # drawn only when the run stands still
    tab.wait()


@pytest.fixture
def desktop(browser):
    tab = Tab(browser, WIDTH, HEIGHT)
    yield tab
    tab.page.close()


def test_the_edge_of_stability_plays_and_shows_on_a_projectors_first_screen(server, desktop):
    desktop.open(f"{server.url}/terrain")
    desktop.rendered_charts(2)
    play = desktop.page.get_by_text("Play", exact=True)
    play.click()
    desktop.page.wait_for_function(f"+({EPOCH_JS}?.innerText ?? 0) > 3", timeout=30_000)
    seconds = 5
    shown = desktop.page.evaluate(COUNT_REDRAWS, seconds)
    print(f"\nterrain redraws while training with the sharpness tracked: "
          f"{len(shown) / seconds:.1f} per second (epochs {shown[0]} -> {shown[-1]})")
    assert len(shown) > 1  # it redraws in place while it plays
    desktop.page.wait_for_function(f"+({EPOCH_JS}?.innerText ?? 0) >= 300", timeout=120_000)
    play.click()
    desktop.expect_text("the edge of stability")  # the run's own sentence, once it is there
    desktop.wait()
    desktop.screenshot("terrain_edge")
    desktop.page.get_by_text("Presenter mode", exact=True).click()  # the same run, large
    desktop.wait()
    chart = desktop.page.locator("[data-testid='stVegaLiteChart']").first
    chart.locator("svg").wait_for()
    assert chart.bounding_box()["y"] + 200 <= HEIGHT  # on a projector's first screen
    assert chart.locator("text", has_text="2/lr = 8").count() == 1
    desktop.screenshot("terrain_edge_presenter")
    assert desktop.page.locator("[data-testid='stException']").count() == 0
    assert desktop.external_requests() == []


def test_a_click_on_a_neuron_opens_its_bias(server, desktop):
    desktop.open(f"{server.url}/terrain?terrain_tab=weights")
    desktop.page.get_by_role("button", name="One epoch").click()
    desktop.wait()
    desktop.expect_text("Layer 1, weight [0, 0]")
    drawing = desktop.page.locator("[data-testid='stVegaLiteChart']").first
    # the inputs' circles, then the neurons', column by column: 8 of layer 1, 8 of layer 2, 1
    inputs, neurons = (drawing.locator("g.mark-symbol").nth(i).locator("path") for i in (0, 1))
    assert (inputs.count(), neurons.count()) == (2, 8 + 8 + 1)
    neurons.nth(8 + 3).click()  # layer 2's neuron 3
    desktop.expect_text("Layer 2, bias of neuron 3")
    desktop.wait()
    assert desktop.page.get_by_label("Neuron", exact=True).input_value() == "3"
    assert "terrain_weights_source=-1" in desktop.page.url  # the opened weight is in the link
    assert desktop.page.locator("[data-testid='stException']").count() == 0


def test_a_link_opens_the_slice_along_the_path(server, browser):
    tab = Tab(browser, WIDTH, 1400)
    try:
        tab.open(f"{server.url}/terrain?terrain_tab=surface&terrain_surface_directions=path")
        play_until(tab, 120)
        tab.expect_text("of its movement")
        tab.rendered_charts(2)
        tab.page.locator("[data-testid='stVegaLiteChart']").first.scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(exist_ok=True)
        tab.page.screenshot(path=str(SCREENSHOTS / "terrain_slice.png"),
                            clip={"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT})
        assert tab.page.locator("[data-testid='stException']").count() == 0
        assert tab.external_requests() == []
    finally:
        tab.page.close()
