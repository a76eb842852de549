"""The optimiser page in a real browser: the landscape tab, stepping with the slider, a view
shared as a link, the anatomy opening on the course's example with its seed in the link, LBFGS,
"back to the course's example", bad input, and the Chinese interface."""

import pytest

pytestmark = pytest.mark.e2e

MAIN = "[data-testid='stMain']"


def no_exception(tab) -> None:
    assert tab.page.locator("[data-testid='stException']").count() == 0


def test_optim_stepping_walks_the_trajectories(server, tab):
    tab.open(f"{server.url}/optim")
    assert tab.rendered_charts(1) >= 1  # only the open tab's charts are drawn
    tab.screenshot("optim")
    tab.page.get_by_text("Add lr 1/8 and 1/4").click()
    tab.wait()
    assert "1 oscillate forever" in tab.main_text()
    assert "optim_lr_thresholds=true" in tab.page.url
    tab.screenshot("optim_thresholds")
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
    no_exception(tab)
    tab.screenshot("optim_paths_step25")
    tab.open_tab("4 · Inside the optimiser")
    text = tab.main_text()
    assert text.index("state_dict after step:") < text.index("optimizer.state_dict()")
    tab.screenshot("optim_anatomy")
    tab.open_tab("2 · Momentum")
    assert tab.rendered_charts(2) >= 2
    assert "optim_tab=momentum" in tab.page.url
    tab.screenshot("optim_momentum")
    tab.open_tab("5 · Sweep: lr × momentum")
    assert tab.rendered_charts(1) >= 1
    tab.screenshot("optim_sweep")
    assert tab.external_requests() == []


def test_optim_shared_link_lbfgs_and_divergence(server, tab):
    tab.open(f"{server.url}/optim?optim_tab=paths&optim_r0_SGD_lr=0.01&optim_step=3"
             "&optim_r3_name=LBFGS&optim_r3_LBFGS_line_search_fn=strong_wolfe")
    main = tab.expect_text("Run 1 diverged at step")
    assert "every point where LBFGS evaluated the loss" in main
    no_exception(tab)
    tab.screenshot("optim_diverged_lbfgs")


def test_optim_anatomy_seed_link_and_back_to_the_course(server, tab):
    tab.open(f"{server.url}/optim?optim_tab=anatomy&optim_course_seed=3")
    assert "optim_course_seed=3" in tab.page.url
    tab.page.get_by_role("button", name="Back to the course's example").click()
    tab.wait()
    assert "optim_course_seed" not in tab.page.url
    assert "tensor([[0.6614, 0.2669]," in tab.main_text()  # the course's set_seed(1) weights
    no_exception(tab)


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


def test_optim_pin_momentum_09_then_0_and_reopen_the_link(server, browser):
    """The classic comparison: SGD momentum 0.9 pinned, then momentum 0; the link opens both."""
    from harness.browser import Tab

    tab = Tab(browser, 1280, 720)
    tab.open(f"{server.url}/optim?optim_tab=paths&optim_step=60")
    tab.page.get_by_role("button", name="Pin this view as A").click()
    tab.wait()
    assert "optim_paths_pin=" in tab.page.url
    momentum = tab.page.get_by_label("momentum", exact=True).nth(1)  # run 2: SGD, momentum 0.9
    momentum.fill("0")
    momentum.press("Enter")
    main = tab.expect_text("B differs from A in runs[2].values.momentum: 0.9 → 0.")
    assert "A (pinned)" in main and "B (now)" in main
    assert tab.rendered_charts(1) >= 1  # charts below the fold draw when scrolled to
    no_exception(tab)
    tab.page.get_by_text("B differs from A").evaluate("line => line.scrollIntoView()")
    tab.page.wait_for_timeout(300)
    tab.screenshot("compare_optim")  # the README's, copied from tests/e2e/screenshots/
    link = tab.page.url
    assert "optim_r1_SGD_momentum=0" in link
    again = Tab(browser, 1280, 720).open(link)  # a new tab: a new session, the link alone
    main = again.expect_text("B differs from A in runs[2].values.momentum: 0.9 → 0.")
    assert again.rendered_charts(1) >= 1
    again.screenshot("optim_compare_link")
    runs = "[data-testid='stHeading']:has-text('Optimisers (one trajectory each)')"
    again.page.locator(runs).evaluate("heading => heading.scrollIntoView()")
    again.screenshot("optim_runs")  # every setting's label readable, two runs a row
    again.open(link + "&present=true&lang=zh")
    again.expect_text("B 与 A 的不同之处")
    again.screenshot("optim_compare_zh_present")
    again.page.locator("[data-testid='stHeading']:has-text('优化器（每个一条轨迹）')").evaluate(
        "heading => heading.scrollIntoView()")
    again.screenshot("optim_runs_zh_present")
    assert tab.external_requests() == [] and again.external_requests() == []
    again.page.close()
    tab.page.close()
