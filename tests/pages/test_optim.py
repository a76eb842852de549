"""The optimiser page through AppTest: the course's 1-D lesson, stepping, divergence, anatomy,
the sweep, bad input and the Chinese interface."""

import torch

from core import optim

PAGE = "lessons/optim.py"


def table(at, *columns):
    """The first table on the page with these columns."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def text_of(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.error, *at.warning])


def test_opens_on_the_course_example(open_page):
    at = open_page(PAGE)
    assert at.number_input(key="optim_lr_min").value == 0.01
    assert at.number_input(key="optim_lr_max").value == 0.2
    assert at.number_input(key="optim_lr_count").value == 10
    assert at.number_input(key="optim_lr_iters").value == 100
    assert len(at.get("vega_lite_chart")) == 1  # only the open tab runs: the 1-D losses
    summary = table(at, "lr", "factor", "verdict")  # the per-lr table of tab 1
    assert summary["lr"].tolist() == torch.linspace(0.01, 0.2, 10).tolist()
    assert summary["verdict"].tolist() == ["converges"] * 6 + ["oscillates"] * 4
    assert "6 converge, 4 oscillate, 0 diverge" in text_of(at)


def test_upper_end_05_diverges_past_one_quarter(open_page):
    at = open_page(PAGE)
    at.button(key="optim_lr_upper_0.5").click().run()
    assert at.number_input(key="optim_lr_max").value == 0.5
    summary = table(at, "lr", "factor", "verdict")
    for lr, verdict in zip(summary["lr"], summary["verdict"], strict=True):
        assert verdict == ("converges" if lr <= 1 / 8 else "oscillates" if lr <= 1 / 4
                           else "diverges")


def test_only_the_open_tab_runs_and_the_tab_is_in_the_link(open_page):
    charts = {"lr": 1, "momentum": 2, "paths": 2, "anatomy": 2, "sweep": 3}  # paths run hidden
    for name, count in charts.items():
        at = open_page(PAGE, optim_tab=name)
        assert len(at.get("vega_lite_chart")) == count, name
        assert at.query_params.get("optim_tab") == (None if name == "lr" else name)
    at = open_page(PAGE, optim_tab="sweep", lang="zh")  # a link opens its tab in any language
    assert at.session_state["optim_tab_label"] == "5 · 扫描：学习率 × 动量"


def test_stepping_moves_the_current_point_and_its_arrows(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.slider(key="optim_step").set_value(40).run()
    assert not at.exception
    now = table(at, "label", "vel_x")  # the current points, under the landscape
    config = optim.PathConfig()
    frame, _ = optim.run_path(config, config.runs[1])
    row = now[now["label"].str.startswith("2:")].iloc[0]
    assert row["step"] == 40
    assert [row["x"], row["y"]] == frame.loc[40, ["x", "y"]].tolist()
    assert [row["vel_x"], row["vel_y"]] == frame.loc[40, ["vel_x", "vel_y"]].tolist()


def test_a_too_large_lr_says_diverged_at_step_k(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.number_input(key="optim_r0_lr").set_value(0.01).run()
    assert not at.exception
    config = optim.PathConfig(runs=(optim.OptSpec("SGD", lr=0.01),))
    _, stop = optim.run_path(config, config.runs[0])
    assert stop is not None
    assert f"Run 1 diverged at step {stop}" in text_of(at)
    assert len(at.get("vega_lite_chart")) == 2  # the charts still draw


def test_bad_run_setting_names_the_run_and_the_rest_keeps_working(open_page):
    at = open_page(PAGE, optim_tab="sweep")
    at.number_input(key="optim_r1_momentum").set_value(-0.5).run()
    assert not at.exception
    assert "Run 2, momentum: -0.5 is negative" in text_of(at)
    assert len(at.get("vega_lite_chart")) == 1  # the sweep still draws
    at = open_page(PAGE, optim_tab="momentum")
    at.text_input(key="optim_betas").set_value("0.9, abc").run()
    assert "betas: “abc” is not a number." in text_of(at)


def test_out_of_range_steps_are_clamped_with_a_notice(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.number_input(key="optim_steps").set_value(99999).run()
    assert not at.exception
    high = optim.STEPS.high
    assert f"steps: 99999 is outside 1 to {high}; using {high}." in text_of(at)
    assert at.number_input(key="optim_steps").value == 99999


def test_anatomy_shows_the_momentum_buffer_and_forgotten_zero_grad(open_page):
    at = open_page(PAGE, optim_tab="anatomy")
    at.selectbox(key="optim_anat_run").set_value("2").run()
    at.toggle(key="optim_forget").set_value(True).run()
    assert not at.exception
    config = optim.PathConfig(zero_grad=False)
    anatomy = optim.anatomy(config, 2, 10)
    assert anatomy.grads["grad_x"].iloc[-1] != anatomy.grads["fresh_x"].iloc[-1]
    json = [j.value for j in at.json]
    assert any("momentum_buffer" in str(j) for j in json)
    assert "p.grad is the running sum" in text_of(at)
    course = at.code[0].value if "weight before step" in at.code[0].value else \
        next(c.value for c in at.code if "weight before step" in c.value)
    assert "after optimizer.zero_grad(), weight.grad is None" in course


def test_sweep_matches_core_and_marks_divergence(open_page):
    at = open_page(PAGE, optim_tab="sweep")
    metrics = {m.label: m.value for m in at.metric}
    cells = optim.run_sweep(optim.SweepConfig()).cells
    assert metrics["diverged cells"] == str(int((cells["diverged_at"] >= 0).sum()))
    assert metrics["cells × steps"] == "1600 × 200"
    at.selectbox(key="optim_sw_metric").set_value("steps_to_tol").run()
    assert not at.exception
    at.number_input(key="optim_sw_lr_min").set_value(0.1).run()
    assert "lr_max (0.003) must not be smaller than lr_min (0.1)." in text_of(at)


def test_landscape_switch_moves_the_start(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.selectbox(key="optim_land").set_value("quadratic").run()
    assert not at.exception
    assert at.number_input(key="optim_x0").value == -4.0
    at.number_input(key="optim_cond").set_value(50.0).run()
    assert not at.exception


def test_chinese_interface(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "优化器：学习率与动量"
    assert not at.exception
