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
    assert "1 oscillates forever" in tab.main_text()  # one: singular
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
    tab.open(f"{server.url}/optim?optim_lr_lr_min=0.3")
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
    main = tab.expect_text("B differs from A in Run 2, momentum: 0.9 → 0.")
    assert "A (pinned)" in main and "B (now)" in main
    assert tab.rendered_charts(1) >= 1  # charts below the fold draw when scrolled to
    no_exception(tab)
    tab.page.get_by_text("B differs from A").evaluate("line => line.scrollIntoView()")
    tab.page.wait_for_timeout(300)
    tab.screenshot("compare_optim")  # the README's, copied from tests/e2e/screenshots/
    link = tab.page.url
    assert "optim_r1_SGD_momentum=0" in link
    again = Tab(browser, 1280, 720).open(link)  # a new tab: a new session, the link alone
    main = again.expect_text("B differs from A in Run 2, momentum: 0.9 → 0.")
    assert again.rendered_charts(1) >= 1
    again.screenshot("optim_compare_link")
    again.page.get_by_text("Run 1", exact=True).first.scroll_into_view_if_needed()
    again.screenshot("optim_runs")  # the four runs under the trajectories, labels readable
    again.open(link + "&present=true&lang=zh")
    again.expect_text("B 与 A 的不同之处")
    again.screenshot("optim_compare_zh_present")
    again.page.get_by_text("运行 1", exact=True).first.scroll_into_view_if_needed()
    again.screenshot("optim_runs_zh_present")
    assert tab.external_requests() == [] and again.external_requests() == []
    again.page.close()
    tab.page.close()


FIRST_SCREEN = """() => {
  const visible = [...document.querySelectorAll(
    "[data-testid='stMain'] [data-testid='stVegaLiteChart']")].filter(el => el.checkVisibility());
  const tabs = [...document.querySelector("[role='tablist']").querySelectorAll("[role='tab']")]
    .map(el => el.getBoundingClientRect().top);  // the lesson's tabs, not a tab's own
  const box = el => {
    const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom};
  };
  return {charts: visible.map(box), rows: new Set(tabs.map(Math.round)).size};
}"""


def bottom_of(tab, text: str) -> float:
    """Where the first element showing text ends on the page (px from the top)."""
    box = tab.page.get_by_text(text, exact=True).first.bounding_box()
    return box["y"] + box["height"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_optim_presenter_mode_puts_each_course_demo_on_the_first_screen(server, browser, lang):
    """At 1280 x 720 on a projector the five tabs are one row, and each course demo's main view
    is on the first screen: the lr tab's two charts whole with the course's upper ends above
    them (the buttons were below the fold, the chart half shown), the momentum tab's average and
    its two runs whole, the landscape and the sweep from their top; the landscape tab's runs
    right under the trajectories (they were about 1,600 px below)."""
    from harness.browser import Tab

    tab = Tab(browser, 1280, 720)
    upper = {"en": "upper 0.5", "zh": "上限 0.5"}[lang]
    run = {"en": "Run 1", "zh": "运行 1"}[lang]
    for name, whole in (("lr", 2), ("momentum", 2), ("paths", 0), ("sweep", 0)):
        tab.open(f"{server.url}/optim?present=true&lang={lang}&optim_tab={name}")
        tab.rendered_charts(max(whole, 1))
        tab.page.wait_for_timeout(300)
        found = tab.page.evaluate(FIRST_SCREEN)
        assert found["rows"] == 1, (name, found)
        charts = found["charts"]
        assert charts and charts[0]["top"] + 200 <= 720, (name, found)
        assert all(chart["bottom"] <= 720 for chart in charts[:whole]), (name, found)
        if name == "lr":
            assert bottom_of(tab, upper) <= charts[0]["top"], found
        if name == "paths":
            runs = tab.page.get_by_text(run, exact=True).first.bounding_box()
            assert runs["y"] - charts[0]["bottom"] < 250, (runs, found)
        tab.screenshot(f"optim_present_{lang}_{name}")
    no_exception(tab)
    tab.page.close()


@pytest.mark.parametrize("name", ["Adadelta", "NAdam", "LBFGS", "ASGD"])
def test_optim_step_by_step_table_fits_1280(server, browser, name):
    """Inside a step, every column of the table is on the page at 1280 px: formulas and numbers
    wrap (Adadelta's agree column and NAdam's formula were cut); ASGD's run that diverged says
    so and shows its last step."""
    from harness.browser import Tab

    tab = Tab(browser, 1280, 720)
    tab.open(f"{server.url}/optim?optim_tab=anatomy&optim_r0_name={name}&optim_r1_name=off"
             "&optim_r2_name=off&optim_r3_name=off")
    table = tab.page.locator("[data-testid='stTable']").last
    table.scroll_into_view_if_needed()
    tab.page.wait_for_timeout(300)
    box = table.bounding_box()
    assert box["x"] + box["width"] <= 1280
    assert table.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    text = table.inner_text()
    assert "evaluated" in text and "✓" in text and "✗" not in text
    if name == "ASGD":
        assert "Run 1 diverged at step 4" in tab.main_text() and "nan" not in text
    tab.screenshot(f"optim_inside_{name}")
    no_exception(tab)
    tab.page.close()


def test_formula_subscripts_are_drawn_by_the_shipped_font(server, tab):
    """Source Sans has no letter subscripts (the t of mₜ): the shipped Noto Sans subset draws
    them, not whatever font the machine happens to have (a lab PC may have none: empty boxes)."""
    tab.open(f"{server.url}/optim?optim_tab=anatomy&optim_r0_name=Adam")
    tab.page.locator("td", has_text="mₜ").first.scroll_into_view_if_needed()
    drawn_by = tab.fonts_drawing("[data-testid='stTable'] td, [data-testid='stTable'] td *")
    assert "Noto Sans" in drawn_by and drawn_by["Noto Sans"]["isCustomFont"], drawn_by
    assert all(font["isCustomFont"] for font in drawn_by.values()), drawn_by


def test_a_legend_click_picks_a_line_in_the_browser_alone(server, tab):
    """Clicking a beta in the legend fades the others at once, with no rerun on the server."""
    tab.open(f"{server.url}/optim?optim_tab=momentum")
    page = tab.page
    page.evaluate("""() => { window.__runs = 0;
      const app = document.querySelector("[data-testid='stApp']");
      new MutationObserver(() => {
        if (app.dataset.testScriptState === "running") window.__runs++;
      }).observe(app, {attributes: true}); }""")
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    opacities = "c => [...c.querySelectorAll('path')].map(p => p.getAttribute('opacity'))"
    assert "0.12" not in chart.evaluate(opacities)
    chart.get_by_text("β = 0.9", exact=True).first.click()
    page.wait_for_timeout(500)
    assert "0.12" in chart.evaluate(opacities) and "1" in chart.evaluate(opacities)
    assert page.evaluate("window.__runs") == 0
