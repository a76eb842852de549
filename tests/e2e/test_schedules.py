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
    assert tab.rendered_charts(3) >= 3
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
