"""The normalisation lesson in a real browser: the BatchNorm tab's chart and the cube of each
layer on a projector's first screen, a layer chosen in its menu, torch's refusal in its words, a
pinned comparison of two cubes. Screenshots at 1280 x 720."""

import pytest

from harness.browser import Tab

pytestmark = pytest.mark.e2e

CHART = "[data-testid='stVegaLiteChart']"


def on_first_screen(tab, locator, name: str) -> None:
    box = locator.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 720, (name, box)


@pytest.mark.parametrize(("tab_id", "lang", "present"), [
    ("batchnorm", "en", True), ("layers", "en", False), ("layers", "en", True),
    ("layers", "zh", False), ("layers", "zh", True)])
def test_the_main_view_is_on_the_first_screen(server, browser, tab_id, lang, present):
    projector = Tab(browser, 1280, 720)
    try:
        projector.open(f"{server.url}/normalisation?normalisation_tab={tab_id}&lang={lang}"
                       f"&present={str(present).lower()}")
        projector.rendered_charts(1)
        on_first_screen(projector, projector.page.locator(CHART).first, tab_id)
        projector.screenshot(f"normalisation_{tab_id}_{lang}"
                             f"{'_presenter' if present else ''}")
        assert projector.page.locator("[data-testid='stException']").count() == 0
        assert projector.external_requests() == []
    finally:
        projector.page.close()


def test_choose_groupnorm_and_three_groups(server, tab):
    tab.open(f"{server.url}/normalisation?normalisation_tab=layers")
    tab.rendered_charts(1)
    tab.page.get_by_label("Layer", exact=True).click()
    tab.page.get_by_role("option", name="GroupNorm").click()
    tab.wait()
    tab.expect_text("GroupNorm normalises each group of channels")
    tab.page.get_by_label("groups", exact=True).click()
    tab.page.get_by_role("option", name="3", exact=True).click()
    tab.wait()
    tab.expect_text("torch refuses: num_channels (4) must be divisible by num_groups (3)")
    assert "normalisation_layers_groups=3" in tab.page.url
    assert tab.page.locator("[data-testid='stException']").count() == 0


def test_two_cubes_compared(server, browser):
    tab = Tab(browser, 1280, 720)
    try:
        tab.open(f"{server.url}/normalisation?normalisation_tab=layers"
                 "&normalisation_layers_layer=groupnorm&normalisation_layers_groups=2")
        tab.rendered_charts(1)
        tab.page.get_by_role("button", name="Pin this view as A").click()
        tab.expect_text("Unpin A")
        tab.page.get_by_label("groups", exact=True).click()
        tab.page.get_by_role("option", name="1", exact=True).click()
        tab.wait()
        tab.expect_text("B differs from A in groups: 2 → 1.")
        assert tab.rendered_charts(2) == 2
        for index in (0, 1):  # both cubes on the first screen
            on_first_screen(tab, tab.page.locator(CHART).nth(index), f"cube {index}")
        tab.screenshot("normalisation_compare")
    finally:
        tab.page.close()
