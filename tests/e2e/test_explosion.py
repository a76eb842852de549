"""The explosion page's comparison in a real browser: pin std = 1, press std = sqrt(1/n), and the
link then opens the same comparison in a new tab; in presenter mode it fits 1280x720."""

import pytest

from harness.browser import Tab

pytestmark = pytest.mark.e2e

DIFFERS = "B differs from A in Weight std σ_w: 1 → 0.0625."


def pin_and_scale(tab) -> None:
    tab.page.get_by_role("button", name="Pin this view as A").click()
    tab.expect_text("Unpin A")
    tab.page.get_by_role("button", name="std = sqrt(1/n)").click()
    tab.wait()
    tab.expect_text(DIFFERS)
    tab.expect_text("B (now): Stable")


def test_pin_change_and_reopen_the_link(server, tab, browser):
    tab.open(f"{server.url}/explosion")
    tab.rendered_charts(2)
    pin_and_scale(tab)
    assert "explosion_pin=" in tab.page.url and "explosion_init_std=0.0625" in tab.page.url
    for shown in ("A (pinned): 30", "A (pinned): Explodes", "B (now): Stable"):
        tab.expect_text(shown)  # the rerun draws them one after the other
    assert tab.page.locator("[data-testid='stException']").count() == 0

    again = Tab(browser, 1280, 720)  # the link, opened in a new tab: the same comparison
    try:
        again.open(tab.page.url)
        again.rendered_charts(2)
        for shown in (DIFFERS, "A (pinned): 30", "B (now): Stable"):
            again.expect_text(shown)
        # explosion_pin is a parameter the page uses
        assert "Link parameter" not in again.main_text()
        assert again.page.locator("[data-testid='stException']").count() == 0
        assert not again.external_requests()
    finally:
        again.page.close()


def test_the_comparison_fits_a_projector(server, browser):
    tab = Tab(browser, 1280, 720)
    try:
        tab.open(f"{server.url}/explosion?present=true")
        tab.rendered_charts(2)
        pin_and_scale(tab)
        tab.open(tab.page.url)  # the link, opened at the top of the page
        tab.rendered_charts(2)
        for testid in ("stMarkdown", "stVegaLiteChart"):  # the line naming what differs, chart
            box = tab.page.locator(f"[data-testid='{testid}']").filter(
                has_text=DIFFERS if testid == "stMarkdown" else "").first.bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720, (testid, box)
        tab.screenshot("explosion_compare_presenter")
    finally:
        tab.page.close()


def test_every_control_fits_a_projector_with_a_slope(server, browser):
    """leaky_relu adds its slope: in presenter mode it sits beside the activation, so the
    network's width and seed stay on the first screen (a row of its own pushed them below)."""
    tab = Tab(browser, 1280, 720)
    try:
        tab.open(f"{server.url}/explosion?present=true&explosion_activation=leaky_relu")
        tab.rendered_charts(1)
        for label in ("Leaky ReLU slope a", "Width n (neurons per layer)",
                      "Seed of the network", "BatchNorm"):
            box = tab.page.get_by_label(label, exact=True).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720, (label, box)
        tab.screenshot("explosion_presenter_slope")
    finally:
        tab.page.close()


def test_batchnorm_fixes_the_explosion_on_a_projector(server, browser):
    """The course's demo pinned as A (it explodes), then BatchNorm switched on: B settles at
    ReLU-free BatchNorm's std 1, every layer, on the first screen of a projector; and the course's
    own BatchNorm demo one click away."""
    from harness.browser import SCREENSHOTS
    from harness.pages import ROOT

    tab = Tab(browser, 1280, 720)
    try:
        tab.open(f"{server.url}/explosion?present=true")
        tab.rendered_charts(2)
        tab.page.get_by_role("button", name="Pin this view as A").click()
        tab.expect_text("Unpin A")
        tab.page.get_by_text("BatchNorm", exact=True).click()
        tab.wait()
        tab.expect_text("B differs from A in BatchNorm: False → True.")
        tab.expect_text("B (now): Stable")
        tab.open(tab.page.url)  # the link, at the top of the page
        tab.rendered_charts(3)
        chart = tab.page.locator("[data-testid='stVegaLiteChart']").first.bounding_box()
        assert chart["y"] >= 0 and chart["y"] + chart["height"] <= 720, chart
        for label in ("BatchNorm", "Seed of the network"):
            box = tab.page.get_by_text(label, exact=True).first.bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720, (label, box)
        path = tab.screenshot("explosion_batchnorm_presenter")
        (ROOT / "docs" / "screenshots" / "explosion_batchnorm.png").write_bytes(path.read_bytes())
        assert SCREENSHOTS in path.parents
        tab.open(f"{server.url}/explosion?present=true")  # the course's BatchNorm demo
        tab.page.get_by_role("button", name="The course's cure: BatchNorm").click()
        tab.wait()
        tab.expect_text("layers:0, std:0.5751240849494934")
        assert tab.page.locator("[data-testid='stException']").count() == 0
        assert not tab.external_requests()
    finally:
        tab.page.close()


def test_the_course_demo_in_chinese_on_a_projector(server, browser):
    tab = Tab(browser, 1280, 720)
    try:
        tab.open(f"{server.url}/explosion?present=true&lang=zh")
        tab.rendered_charts(2)
        chart = tab.page.locator("[data-testid='stVegaLiteChart']").first.bounding_box()
        assert chart["y"] >= 0 and chart["y"] + chart["height"] <= 720, chart
        tab.expect_text("回到课程的例子")
        tab.screenshot("explosion_presenter_zh")
        tab.open(f"{server.url}/explosion")
        tab.rendered_charts(2)
        tab.screenshot("explosion_normal")
    finally:
        tab.page.close()
