"""The initialisation page in a real browser: the chosen cell comes first and the matrix around it;
a click on a cell of the matrix shows that cell; the methods tab draws its histogram when opened;
on a projector (1280 x 720, presenter mode) the way back to the course's example tops the controls
and the chosen cell's chart is on the first screen, in English and in Chinese."""

import pytest

from harness.browser import Tab

pytestmark = pytest.mark.e2e

SCREEN = 720


def matrix_cell(tab, activation: str, column: str):
    """The clickable mark of one cell of the matrix (the second chart: the chosen cell's layers
    come first). Vega-Lite labels each mark; the cells layer is the first with both fields."""
    matrix = tab.page.locator("[data-testid='stVegaLiteChart']").nth(1)
    return matrix.locator(f"path[aria-label*='row: {activation};']"
                          f"[aria-label*='column: {column};']").first


def on_first_screen(box: dict) -> bool:
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SCREEN


@pytest.mark.parametrize(("side", "activation", "column", "scheme"), [
    ("forward", "relu", "Kaiming", "kaiming"),
    ("backward", "sigmoid", "Xavier+gain", "xavier_gain"),
])
def test_clicking_a_cell_shows_it(server, tab, side, activation, column, scheme):
    tab.open(f"{server.url}/init?init_side={side}")
    tab.rendered_charts(2)
    matrix_cell(tab, activation, column).click()
    tab.page.wait_for_url(f"**init_activation={activation}**", timeout=15_000)
    tab.wait()
    assert f"init_scheme={scheme}" in tab.page.url
    assert tab.page.locator("[data-testid='stException']").count() == 0
    if activation == "relu":  # the course's pair: stable, healthy backward too
        tab.expect_text("Stable")
        tab.expect_text("Backward: healthy")
        tab.screenshot("init_clicked")
    else:  # sigmoid behind Xavier: the first layer's gradient underflows float32
        tab.expect_text("Backward: vanished. The first layer's weight gradient has std 0")


def test_methods_tab_draws_the_weights_when_opened(server, tab):
    tab.open(f"{server.url}/init")
    assert tab.rendered_charts(2) == 2  # the closed tabs' code did not run
    tab.open_tab("Every nn.init method")
    assert tab.rendered_charts(3) == 3
    assert "init_tab=methods" in tab.page.url  # the open tab is part of the link
    main = tab.expect_text("std by the formula")
    assert "0.0625" in main  # xavier_uniform_ on 256 x 256: sqrt(6 / 512) / sqrt(3)
    assert tab.page.locator("[data-testid='stException']").count() == 0
    tab.screenshot("init_methods")


def test_pin_a_cell_choose_another_and_reopen_the_link(server, tab, browser):
    tab.open(f"{server.url}/init?init_activation=relu&init_scheme=xavier_gain")
    tab.rendered_charts(2)
    tab.page.get_by_role("button", name="Pin this view as A").click()
    tab.expect_text("Unpin A")
    matrix_cell(tab, "relu", "Kaiming").click()
    tab.page.wait_for_url("**init_scheme=kaiming**", timeout=15_000)
    tab.wait()
    differs = "B differs from A in Init of the chosen cell: xavier_gain → kaiming."
    for shown in (differs, "A (pinned): Stable", "B (now): Stable"):
        tab.expect_text(shown)
    assert "init_pin=" in tab.page.url
    again = Tab(browser, 1280, 720)  # the link in a new tab: the same two cells
    try:
        again.open(tab.page.url)
        again.rendered_charts(2)
        for shown in (differs, "A (pinned): Stable", "B (now): Stable"):
            again.expect_text(shown)
        assert again.page.locator("[data-testid='stException']").count() == 0
        again.screenshot("init_compare")
    finally:
        again.page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_course_demo_is_on_a_projectors_first_screen(server, browser, lang):
    """Presenter mode at 1280 x 720: "Back to the course's example" at the top of the controls,
    and after a click on a course demo, that cell's chart and its verdicts on the first screen."""
    words = {"en": ("Back to the course's example", "ReLU + Kaiming", "Stable"),
             "zh": ("回到课程的例子", "ReLU + Kaiming", "稳定")}[lang]
    back, demo, stable = words
    tab = Tab(browser, 1280, SCREEN)
    try:
        tab.open(f"{server.url}/init?present=true&lang={lang}")
        tab.rendered_charts(2)
        buttons = tab.page.locator("[data-testid='stMain'] .stButton button")
        first = buttons.first.bounding_box()
        assert tab.page.get_by_role("button", name=back).bounding_box() == first
        assert on_first_screen(first)
        tab.page.get_by_role("button", name=demo).click()
        tab.wait()
        tab.expect_text(stable)
        cell = tab.page.locator("[data-testid='stVegaLiteChart']").first.bounding_box()
        assert on_first_screen(cell), cell
        verdict = tab.page.locator("[data-testid='stAlert']").filter(has_text=stable).first
        assert on_first_screen(verdict.bounding_box())
        tab.screenshot(f"init_presenter_{lang}")
        assert tab.page.locator("[data-testid='stException']").count() == 0
        assert not tab.external_requests()
    finally:
        tab.page.close()
