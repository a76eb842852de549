"""The initialisation page in a real browser: a click on a cell of the matrix shows that cell;
the methods tab draws its histogram when opened."""

import pytest

pytestmark = pytest.mark.e2e


def matrix_cell(tab, chart: int, activation: str, column: str):
    """The clickable mark of one cell of the chart-th matrix (Vega-Lite labels each mark)."""
    matrix = tab.page.locator("[data-testid='stVegaLiteChart']").nth(chart)
    return matrix.locator(f"path[aria-label*='row: {activation};']"
                          f"[aria-label*='column: {column};']").last


@pytest.mark.parametrize(("chart", "activation", "column", "scheme"), [
    (0, "relu", "Kaiming", "kaiming"),  # the forward matrix
    (1, "sigmoid", "Xavier+gain", "xavier_gain"),  # the backward one
])
def test_clicking_a_cell_shows_it(server, tab, chart, activation, column, scheme):
    tab.open(f"{server.url}/init")
    tab.rendered_charts(3)
    matrix_cell(tab, chart, activation, column).click()
    tab.page.wait_for_url(f"**init_act={activation}**", timeout=15_000)
    tab.wait()
    assert f"init_scheme={scheme}" in tab.page.url
    assert tab.page.locator("[data-testid='stException']").count() == 0
    controls = tab.main_text()
    assert activation in controls
    if activation == "relu":  # the course's pair: stable, as the course says
        tab.expect_text("Stable")
        tab.screenshot("init_clicked")


def test_methods_tab_draws_the_weights_when_opened(server, tab):
    tab.open(f"{server.url}/init")
    assert tab.rendered_charts(3) == 3  # the closed tabs' code did not run
    tab.open_tab("Every nn.init method")
    assert tab.rendered_charts(4) == 4
    assert "init_tab=methods" in tab.page.url  # the open tab is part of the link
    main = tab.expect_text("std by the formula")
    assert "0.0625" in main  # xavier_uniform_ on 256 x 256: sqrt(6 / 512) / sqrt(3)
    assert tab.page.locator("[data-testid='stException']").count() == 0
    tab.screenshot("init_methods")


def test_pin_a_cell_choose_another_and_reopen_the_link(server, tab, browser):
    from harness.browser import Tab

    tab.open(f"{server.url}/init?init_act=relu&init_scheme=xavier_gain")
    tab.rendered_charts(3)
    tab.page.get_by_role("button", name="Pin this view as A").click()
    tab.expect_text("Unpin A")
    matrix_cell(tab, 1, "relu", "Kaiming").click()  # compared, the cells' chart comes first
    tab.page.wait_for_url("**init_scheme=kaiming**", timeout=15_000)
    tab.wait()
    differs = "B differs from A in Init of the chosen cell: xavier_gain → kaiming."
    for shown in (differs, "A (pinned): Stable", "B (now): Stable"):
        tab.expect_text(shown)
    assert "init_pin=" in tab.page.url
    again = Tab(browser, 1280, 720)  # the link in a new tab: the same two cells
    try:
        again.open(tab.page.url)
        again.rendered_charts(3)
        for shown in (differs, "A (pinned): Stable", "B (now): Stable"):
            again.expect_text(shown)
        assert again.page.locator("[data-testid='stException']").count() == 0
        again.screenshot("init_compare")
    finally:
        again.page.close()
