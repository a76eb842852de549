"""The schedules page in a real browser: it opens on the course's StepLR example, a scheduler is
switched and its view lands in the link, the other tabs draw, and nothing leaves localhost."""

import pytest

pytestmark = pytest.mark.e2e

MAIN = "[data-testid='stMain']"


def test_opens_on_step_lr_and_switches_scheduler(server, tab):
    tab.open(f"{server.url}/schedules")
    assert tab.rendered_charts(1) == 1
    main = tab.main_text()
    assert "StepLR: learning rate at the start of each epoch" in main
    tab.screenshot("schedules")
    select = tab.page.locator("[data-testid='stSelectbox']").filter(has_text="Scheduler")
    select.click()
    tab.page.get_by_role("option", name="ReduceLROnPlateau").click()
    tab.wait()
    tab.expect_text("ReduceLROnPlateau: learning rate at the start of each epoch")
    assert "schedules_scheduler=ReduceLROnPlateau" in tab.page.url
    assert tab.page.locator("[data-testid='stException']").count() == 0
    tab.screenshot("schedules_plateau")
    tab.open_tab("2 · A schedule applied")
    drawn = "[data-testid='stVegaLiteChart'] :is(svg, canvas)"  # the losses: many rows, canvas
    tab.page.wait_for_function(f"document.querySelectorAll(\"{drawn}\").length >= 3")
    tab.screenshot("schedules_applied")
    tab.open_tab("3 · Learning-rate range test")
    tab.expect_text("suggested rate (steepest fall)")
    tab.screenshot("schedules_range")
    assert tab.external_requests() == []


def test_a_link_opens_its_view_in_chinese_and_presenter_mode(server, tab):
    tab.open(f"{server.url}/schedules?lang=zh&present=true&schedules_scheduler=LambdaLR")
    assert tab.rendered_charts(1) == 1
    assert "学习率调整策略" in tab.main_text()
    assert tab.page.locator("[data-testid='stException']").count() == 0
    tab.screenshot("schedules_zh_present")
    assert tab.external_requests() == []


def test_pin_step_lr_gamma_01_then_05_and_reopen_the_link(server, browser):
    """StepLR gamma 0.1 pinned, then 0.5: both curves, the link opens both; the other tabs pin
    their own views."""
    from harness.browser import Tab

    tab = Tab(browser, 1280, 720)
    tab.open(f"{server.url}/schedules")
    tab.page.get_by_role("button", name="Pin this view as A").click()
    tab.wait()
    gamma = tab.page.get_by_label("gamma", exact=True)
    gamma.fill("0.5")
    gamma.press("Enter")
    main = tab.expect_text("B differs from A in Scheduler: StepLR(step_size=50, gamma=0.1) → "
                           "StepLR(step_size=50, gamma=0.5).")
    assert "StepLR (A, dashed) against StepLR (B): rate per epoch" in main
    assert "schedules_curves_pin=" in tab.page.url
    assert tab.page.locator("[data-testid='stException']").count() == 0
    tab.screenshot("schedules_compare")
    again = Tab(browser, 1280, 720).open(tab.page.url)  # a new session: the link alone
    again.expect_text("gamma=0.1) → StepLR(step_size=50, gamma=0.5).")
    assert again.rendered_charts(1) >= 1
    again.open(tab.page.url + "&present=true")
    again.expect_text("B differs from A")
    again.screenshot("schedules_compare_present")
    for name, pin in (("2 · A schedule applied", "schedules_applied"),
                      ("3 · Learning-rate range test", "schedules_range")):
        tab.open_tab(name)
        tab.page.get_by_role("button", name="Pin this view as A").click()
        tab.wait()
        assert f"{pin}_pin=" in tab.page.url
    tab.page.get_by_label("end_lr", exact=True).fill("1")
    tab.page.get_by_label("end_lr", exact=True).press("Enter")
    tab.expect_text("end_lr: 10 → 1")
    tab.screenshot("schedules_range_compare")
    tab.open_tab("2 · A schedule applied")
    tab.page.get_by_label("momentum", exact=True).fill("0")
    tab.page.get_by_label("momentum", exact=True).press("Enter")
    tab.expect_text("momentum: 0.9 → 0")
    assert tab.rendered_charts(2) >= 2  # the third is below the fold
    tab.screenshot("schedules_applied_compare")
    assert tab.external_requests() == [] and again.external_requests() == []
    again.page.close()
    tab.page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_presenter_mode_shows_plateau_whole(server, browser, lang):
    """At 1280 x 720 in presenter mode: the scheduler's whole name in its box ("ReduceLROnPlat…"
    was cut), the rate chart whole on the first screen, on a log axis whose cuts read."""
    from harness.browser import Tab

    tab = Tab(browser, 1280, 720)
    tab.open(f"{server.url}/schedules?present=true&lang={lang}"
             "&schedules_scheduler=ReduceLROnPlateau")
    tab.rendered_charts(1)
    chosen = tab.page.get_by_role("combobox", name={"en": "Scheduler", "zh": "调度器"}[lang])
    assert chosen.input_value() == "ReduceLROnPlateau"
    assert chosen.evaluate("box => box.scrollWidth <= box.clientWidth + 1")  # not cut
    chart = tab.page.locator("[data-testid='stVegaLiteChart']").first.bounding_box()
    assert chart["y"] + chart["height"] <= 720, chart
    tab.screenshot(f"schedules_present_{lang}_plateau")
    assert tab.page.locator("[data-testid='stException']").count() == 0
    tab.page.close()
