"""The optimiser page in a real browser: the landscape tab, stepping with the slider, a view
shared as a link, bad input, and the Chinese interface."""

import pytest

pytestmark = pytest.mark.e2e

MAIN = "[data-testid='stMain']"


def test_optim_stepping_walks_the_trajectories(server, tab):
    tab.open(f"{server.url}/optim")
    assert tab.rendered_charts(1) >= 1  # only the open tab's charts are drawn
    tab.screenshot("optim")
    tab.open_tab("3 · Landscapes and trajectories")
    tab.screenshot("optim_paths_step0")
    slider = tab.page.locator("[data-testid='stSlider'] input[type='range']").first
    assert slider.input_value() == "0"
    slider.focus()
    for _ in range(25):
        tab.page.keyboard.press("ArrowRight")
    tab.wait()
    assert slider.input_value() == "25"
    assert "optim_step=25" in tab.page.url  # the step is part of the link
    assert tab.page.locator("[data-testid='stException']").count() == 0
    tab.screenshot("optim_paths_step25")
    tab.open_tab("4 · Inside the optimiser")
    assert "optimizer.state_dict()" in tab.page.inner_text(MAIN)
    tab.screenshot("optim_anatomy")
    tab.open_tab("2 · Momentum")
    assert tab.rendered_charts(2) >= 2
    assert "optim_tab=momentum" in tab.page.url
    tab.screenshot("optim_momentum")
    assert tab.external_requests() == []


def test_optim_shared_link_and_divergence(server, tab):
    tab.open(f"{server.url}/optim?optim_r0_lr=0.01&optim_step=3")
    tab.open_tab("3 · Landscapes and trajectories")
    main = tab.page.inner_text(MAIN)
    assert "Run 1 diverged at step" in main
    assert tab.page.locator("[data-testid='stException']").count() == 0
    tab.screenshot("optim_diverged")


def test_optim_bad_input_and_chinese(server, tab):
    tab.open(f"{server.url}/optim?optim_lr_min=0.3")
    main = tab.page.inner_text(MAIN)
    assert "lr_max (0.2) must not be smaller than lr_min (0.3)." in main
    tab.screenshot("optim_bad_input")
    tab.open_tab("2 · Momentum")
    assert tab.rendered_charts(2) >= 2  # the other tabs keep working
    tab.open(f"{server.url}/optim?lang=zh")
    assert "优化器：学习率与动量" in tab.page.inner_text(MAIN)
    tab.screenshot("optim_zh")
    tab.open_tab("5 · 扫描：学习率 × 动量")
    tab.screenshot("optim_zh_sweep")
