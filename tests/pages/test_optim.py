"""The optimiser page through AppTest: the course's 1-D lesson and its verdicts, stepping,
divergence, every optimiser's settings from torch, the anatomy opening on the course's example
with its own seed, the sweep, bad input, "back to the course's example", the Chinese interface,
and a throwaway optimiser registered for one test."""

import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hypothesis_st
from streamlit.testing.v1 import AppTest

from core import compare, text
from core.optim import anatomy, inside, learning_rate, momentum, paths, rules, sweep
from core.optim.common import MAX_RUNS
from core.optim.registry import OPTIMIZERS, Optimizer, Spec
from tests.core.test_optim import descend
from tests.pages.conftest import APP, plain
from tests.pages.test_fuzz import ROUNDS, assert_clean, interact, pick, shown
from tests.pages.test_languages import english_on

PAGE = "lessons/optim.py"


def table(at, *columns):
    """The first table on the page with these columns (a dataframe, or a static table)."""
    return next(d.value for d in [*at.dataframe, *at.table]
                if set(columns) <= set(d.value.columns))


def text_of(at) -> str:
    return " ".join(plain(m.value) for m in [*at.markdown, *at.caption, *at.error, *at.warning])


def test_opens_on_the_course_example(open_page):
    at = open_page(PAGE)
    assert at.number_input(key="optim_lr_lr_min").value == 0.01
    assert at.number_input(key="optim_lr_lr_max").value == 0.2
    assert at.number_input(key="optim_lr_lr_count").value == 10
    assert at.number_input(key="optim_lr_iterations").value == 100
    assert len(at.get("vega_lite_chart")) == 2  # only the open tab runs: the losses and x
    summary = table(at, "lr", "factor", "verdict")  # the per-lr table of tab 1
    assert summary["lr"].tolist() == torch.linspace(0.01, 0.2, 10).tolist()
    assert summary["verdict"].tolist() == ["converges"] * 6 + ["converges while oscillating"] * 4
    assert "6 converge (solid), 4 converge while oscillating (dashed), 0 oscillate forever " \
        "(dotted), 0 diverge (dash-dot)" in text_of(at)


def test_a_grid_of_one_rate_several_times_shows_each_run(open_link):
    """lr_min = lr_max with three rates: the same rate three times, each run shown with its
    verdict (the verdicts were looked up by rate in an index that then held 0.1 three times)."""
    at = open_link(PAGE, {"optim_lr_lr_min": "0.1", "optim_lr_lr_max": "0.1",
                          "optim_lr_lr_count": "3"})
    summary = table(at, "lr", "factor", "verdict")
    assert summary["lr"].tolist() == pytest.approx([0.1] * 3)
    assert summary["verdict"].tolist() == ["converges"] * 3  # 1 - 4·0.1 = 0.6: no sign change


def test_one_click_puts_the_thresholds_on_the_grid(open_page):
    at = open_page(PAGE)
    at.toggle(key="optim_lr_thresholds").set_value(True).run()
    summary = table(at, "lr", "factor", "verdict").set_index("lr")
    assert summary.loc[0.125, "verdict"] == "converges"
    assert summary.loc[0.25, "verdict"] == "oscillates forever"
    assert "7 converge (solid), 4 converge while oscillating (dashed), 1 oscillates forever " \
        "(dotted), 0 diverge (dash-dot)" in text_of(at)  # one: singular


def test_upper_end_05_has_all_four_verdicts_where_the_thresholds_say(open_page):
    at = open_page(PAGE)
    at.button(key="optim_lr_upper_0.5").click().run()
    at.toggle(key="optim_lr_thresholds").set_value(True).run()
    summary = table(at, "lr", "factor", "verdict")
    names = {"converges": "converges", "oscillates_converging": "converges while oscillating",
             "oscillates_forever": "oscillates forever", "diverges": "diverges"}
    for lr, verdict in zip(summary["lr"], summary["verdict"], strict=True):
        assert verdict == names[learning_rate.verdict(descend(lr, 100, 2.0))]
    assert set(summary["verdict"]) == set(names.values())


def test_only_the_open_tab_runs_and_the_tab_is_in_the_link(open_page):
    charts = {"lr": 2, "momentum": 2, "paths": 2, "anatomy": 1, "sweep": 1}
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
    config = paths.PathConfig()
    frame, _, _ = paths.run_path(config, config.runs[1])
    row = now[now["label"].str.startswith("2:")].iloc[0]
    assert row["step"] == 40
    assert [row["x"], row["y"]] == frame.loc[40, ["x", "y"]].tolist()
    assert [row["vel_x"], row["vel_y"]] == frame.loc[40, ["vel_x", "vel_y"]].tolist()


def test_a_too_large_lr_says_diverged_at_step_k(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.number_input(key="optim_r0_SGD_lr").set_value(0.01).run()
    assert not at.exception
    config = paths.PathConfig(runs=(Spec.of("SGD", lr=0.01),))
    _, stop, _ = paths.run_path(config, config.runs[0])
    assert stop is not None
    assert f"Run 1 diverged at step {stop}" in text_of(at)
    assert len(at.get("vega_lite_chart")) == 2  # the charts still draw


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_offers_every_setting_torch_takes_with_torchs_default(open_page, name):
    at = open_page(PAGE, optim_tab="paths")
    at.selectbox(key="optim_r2_name").set_value(name).run()
    assert not at.exception
    for setting in OPTIMIZERS[name].settings:
        key = f"optim_r2_{name}_{setting.name}"
        widget = next(w for w in at.main.children.values() for w in _walk(w)
                      if getattr(w, "key", None) == key)
        if name != "Adam":  # run 3 starts as the course's Adam(lr=0.05)
            shown = widget.value
            assert shown == (str(setting.default) if setting.kind == "choice" else setting.default)
        assert widget.help == text.lookup("en", OPTIMIZERS[name].help_key(setting.name))
    assert all("diverged at step" in e.value for e in at.error)  # torch's defaults may diverge


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def test_bad_run_setting_names_the_run_and_the_rest_keeps_working(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.number_input(key="optim_r1_SGD_momentum").set_value(-0.5).run()
    assert not at.exception
    assert "Run 2, momentum: -0.5 is below 0" in text_of(at)
    at.number_input(key="optim_r1_SGD_momentum").set_value(0.0).run()
    at.toggle(key="optim_r1_SGD_nesterov").set_value(True).run()
    assert "Run 2: torch.optim.SGD refuses these settings" in text_of(at)
    at = open_page(PAGE, optim_tab="momentum")
    at.text_input(key="optim_momentum_betas").set_value("0.9, abc").run()
    assert "β values (comma-separated): “abc” is not a number." in text_of(at)


def test_out_of_range_steps_are_clamped_with_a_notice(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.number_input(key="optim_steps").set_value(99999).run()
    assert not at.exception
    high = paths.STEPS.high
    assert f"Steps: 99999 is outside 1 to {high}; using {high}." in text_of(at)
    assert at.number_input(key="optim_steps").value == 99999


def test_anatomy_opens_on_the_course_example_with_its_own_seed(open_page):
    at = open_page(PAGE, optim_tab="anatomy", seed=5)  # a sidebar seed is not the example's
    first = at.code[0].value
    assert first == anatomy.course_anatomy(1).rstrip("\n")
    assert at.subheader[0].value == text.lookup("en", "optim.course_title")
    assert "SGD skips a parameter whose gradient is None" in text_of(at)
    groups = table(at, "group", "buffer")
    assert groups.equals(anatomy.exercise(1, 10)[0])
    at.number_input(key="optim_course_seed").set_value(3).run()
    assert at.code[0].value == anatomy.course_anatomy(3).rstrip("\n")
    assert table(at, "group", "buffer").equals(anatomy.exercise(1, 10)[0])  # its own seed


def test_anatomy_of_a_landscape_run_and_forgotten_zero_grad(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.toggle(key="optim_forget_zero_grad").set_value(True).run()
    at.session_state["optim_tab_label"] = text.lookup("en", "optim.tab_anatomy")
    at.run()
    at.selectbox(key="optim_anatomy_run").set_value("2").run()
    assert not at.exception
    json = [j.value for j in at.json]
    assert any("momentum_buffer" in str(j) for j in json)
    assert "p.grad is the running sum" in text_of(at)
    expected = anatomy.anatomy(paths.PathConfig(forget_zero_grad=True), 2, 10).grads
    assert table(at, "fresh_x", "grad_x").equals(expected)


def test_sparse_adam_and_muon_show_torchs_own_refusal(open_page):
    at = open_page(PAGE, optim_tab="anatomy")
    shown = next(c.value for c in at.code if "rows touched" in c.value)
    assert shown == anatomy.elsewhere("SparseAdam").rstrip("\n")
    assert "SparseAdam does not support dense gradients" in shown
    shown = next(c.value for c in at.code if "singular values" in c.value)
    assert shown == anatomy.elsewhere("Muon").rstrip("\n")
    assert "Muon only supports 2D parameters" in shown
    assert {"SparseAdam: sparse gradients only", "Muon: 2-D parameters only"} <= {
        s.value for s in at.subheader}


def test_sweep_matches_core_and_marks_divergence(open_page):
    at = open_page(PAGE, optim_tab="sweep")
    metrics = {m.label: m.value for m in at.metric}
    cells = sweep.run_sweep(sweep.SweepConfig()).cells
    assert metrics["diverged cells"] == str(int((cells["diverged_at"] >= 0).sum()))
    assert metrics["cells × steps"] == "1600 × 200"
    at.selectbox(key="optim_sweep_metric").set_value("steps_to_tol").run()
    assert not at.exception
    at.number_input(key="optim_sweep_lr_min").set_value(0.1).run()
    assert "lr_max (0.003) must not be smaller than lr_min (0.1)." in text_of(at)


def test_the_sweep_has_its_own_landscape(open_page):
    at = open_page(PAGE, optim_tab="sweep")
    at.selectbox(key="optim_sweep_landscape").set_value("quadratic").run()
    assert at.number_input(key="optim_sweep_start_x").value == -4.0
    at.button(key="optim_sw_suggest").click().run()
    assert at.number_input(key="optim_sweep_lr_max").value == 1.0
    assert not at.exception and not at.error


def test_landscape_switch_moves_the_start(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.selectbox(key="optim_landscape").set_value("quadratic").run()
    assert not at.exception
    assert at.number_input(key="optim_start_x").value == -4.0
    at.number_input(key="optim_condition").set_value(50.0).run()
    assert not at.exception


def test_back_to_the_course_restores_every_setting(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.number_input(key="optim_steps").set_value(50).run()
    at.selectbox(key="optim_r0_name").set_value("NAdam").run()
    at.selectbox(key="optim_landscape").set_value("beale").run()
    at.button(key="optim_back").click().run()
    assert at.number_input(key="optim_steps").value == 300
    assert at.selectbox(key="optim_r0_name").value == "SGD"
    assert at.selectbox(key="optim_landscape").value == "rosenbrock"
    assert at.number_input(key="optim_start_x").value == -1.5
    at.session_state["optim_tab_label"] = text.lookup("en", "optim.tab_anatomy")
    at.run()
    at.number_input(key="optim_course_seed").set_value(9).run()
    at.button(key="optim_back").click().run()
    assert at.number_input(key="optim_course_seed").value == 1


def test_lbfgs_draws_its_inner_evaluations(open_page):
    at = open_page(PAGE, optim_tab="paths")
    at.selectbox(key="optim_r3_name").set_value("LBFGS").run()
    at.selectbox(key="optim_r3_LBFGS_line_search_fn").set_value("strong_wolfe").run()
    assert not at.exception and not at.error
    assert text.lookup("en", "optim.evaluations_caption") in text_of(at)


def test_adafactor_by_link_steps_as_torch_does_with_eps_0_left_to_torch(open_link):
    """Adafactor's eps is a pair whose first element torch decides (None): an empty input, the
    run and its step-by-step table as torch computes them."""
    link = open_link(PAGE, {"optim_tab": "anatomy", "optim_r1_name": "Adafactor",
                            "optim_r1_Adafactor_lr": "0.05", "optim_r1_Adafactor_eps_1": "0.01",
                            "optim_anatomy_run": "2"})
    spec = Spec.of("Adafactor", lr=0.05, eps_1=0.01)
    assert spec.kwargs()["eps"] == (None, 0.01)
    runs = paths.PathConfig(runs=(paths.PathConfig().runs[0], spec, *paths.PathConfig().runs[2:]))
    shown = table(link, "key", "formula", "ours", "torch")
    expected = inside.inside_step(runs, 2, 10).table
    assert shown["key"].tolist() == ["step", "variance", "param"] == expected["key"].tolist()
    assert shown["ours"].tolist() == expected["ours"].tolist()
    assert set(shown["agree"]) == {"✓"}


def test_chinese_interface(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "优化器：学习率与动量"
    assert not at.exception


# ---- a throwaway optimiser: one entry plus its texts, and the generic tests pass ---------------

class Halfway(torch.optim.SGD):
    """SGD under another name: what a new entry of the registry looks like to the page."""


@pytest.fixture
def throwaway(monkeypatch):
    entry = Optimizer(Halfway, velocity="momentum_buffer", rule=rules.sgd)
    monkeypatch.setitem(OPTIMIZERS, entry.name, entry)
    yield entry


def rerun(at, **choices) -> None:
    """Run again with these choices (by their shown text), every other choice kept as the browser
    shows it (AppTest would look for English option names in Chinese)."""
    for widget in at.main.selectbox:  # the sidebar's language keeps its own value
        pick(widget, choices.get(widget.key, shown(widget)))
    at.run()


def test_a_throwaway_optimizer_runs_on_the_page_in_both_languages(open_page, throwaway):
    for lang in ("en", "zh"):
        at = open_page(PAGE, optim_tab="paths", lang=lang)
        rerun(at, optim_r1_name=throwaway.name)
        assert not at.exception and not at.error
        assert at.number_input(key=f"optim_r1_{throwaway.name}_lr").value == 1e-3
        at.number_input(key=f"optim_r1_{throwaway.name}_momentum").set_value(0.9)
        rerun(at, optim_r1_name=throwaway.name)
        now = table(at, "label", "vel_x")
        assert now["label"].str.contains("Halfway").any()
        if lang == "zh":
            assert english_on(at) == []
    for keys in (f"optim.help_{s.name}" for s in throwaway.settings):
        assert keys in text.strings("en") and keys in text.strings("zh")


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hypothesis_st.data(), lang=hypothesis_st.sampled_from(["en", "zh"]))
def test_a_throwaway_optimizer_survives_the_fuzzer(data, lang):
    """The generic fuzzer's rounds of random input, on the landscape tab with the throwaway entry
    in every run."""
    entry = Optimizer(Halfway, velocity="momentum_buffer", rule=rules.sgd)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(OPTIMIZERS, entry.name, entry)
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["lang"] = lang
        at.session_state["optim_tab"] = "paths"
        for run in range(MAX_RUNS):
            at.query_params[f"optim_r{run}_name"] = entry.name
        at.run()
        at.switch_page(PAGE).run()
        assert_clean(at, ["opened"])
        assert at.selectbox(key="optim_r0_name").value == entry.name
        for _ in range(ROUNDS):
            done = interact(at, data)
            at.run()
            assert_clean(at, done)


# ---- Pin a view and compare (issue 17) -----------------------------------------------------------

def landscape_rows(at, view: str) -> pd.DataFrame:
    rows = table(at, "view", "label", "vel_x")
    return rows[rows["view"] == view].set_index("label")


def test_pin_momentum_09_then_0_shows_both_runs_each_as_torch_computes(open_page, monkeypatch):
    at = open_page(PAGE, optim_tab="paths")
    at.slider(key="optim_step").set_value(40).run()
    at.button(key="optim_paths_pin_button").click().run()
    calls = []
    monkeypatch.setattr(paths, "run_path", lambda *a: calls.append(a) or run_path(*a))
    at.number_input(key="optim_r1_SGD_momentum").set_value(0.37).run()
    assert not at.exception
    assert len(calls) == 1  # B's changed run only: A's four runs come from the cache
    assert "B differs from A in Run 2, momentum: 0.9 → 0.37." in text_of(at)
    a, b = paths.PathConfig(), paths.PathConfig(runs=(
        paths.PathConfig().runs[0], Spec.of("SGD", lr=1e-3, momentum=0.37),
        *paths.PathConfig().runs[2:]))
    for view, config in (("A (pinned)", a), ("B (now)", b)):
        rows = landscape_rows(at, view)
        assert len(rows) == 4  # a row per run for each view
        frame, _, _ = run_path(config, config.runs[1])
        row = rows[rows.index.str.startswith("2:")].iloc[0]
        assert [row["x"], row["y"]] == frame.loc[40, ["x", "y"]].tolist()
    assert all('"A (pinned)"' in chart.proto.spec for chart in at.get("vega_lite_chart"))
    at.button(key="optim_paths_swap").click().run()  # swap: the controls take A's settings
    assert at.number_input(key="optim_r1_SGD_momentum").value == 0.9
    assert at.session_state["optim_paths_pinned"].runs[1].value("momentum") == 0.37
    at.button(key="optim_paths_unpin").click().run()
    assert "view" not in table(at, "label", "vel_x").columns


run_path = paths.run_path  # torch's runs, before a test counts the page's calls of it


def test_a_link_with_a_and_b_opens_the_comparison(open_link):
    link = open_link(PAGE, {"optim_tab": "paths",
                            "optim_paths_pin": compare.encode(paths.PathConfig()),
                            "optim_r1_SGD_momentum": "0.0", "optim_step": "40"})
    b = paths.PathConfig(runs=(paths.PathConfig().runs[0], Spec.of("SGD", lr=1e-3),
                               *paths.PathConfig().runs[2:]))
    for view, config in (("A (pinned)", paths.PathConfig()), ("B (now)", b)):
        frame, _, _ = run_path(config, config.runs[1])
        row = landscape_rows(link, view)
        row = row[row.index.str.startswith("2:")].iloc[0]
        assert [row["x"], row["y"]] == frame.loc[40, ["x", "y"]].tolist()
    assert "Run 2, momentum: 0.9 → 0" in text_of(link)


def test_the_lr_tab_pins_its_own_view_with_the_verdicts_change(open_page):
    at = open_page(PAGE)
    at.button(key="optim_lr_pin_button").click().run()
    at.number_input(key="optim_lr_lr_max").set_value(0.5).run()
    assert not at.exception
    summary = table(at, "view", "lr", "verdict")
    for view, config in (("A (pinned)", learning_rate.LrConfig()),
                         ("B (now)", learning_rate.LrConfig(lr_max=0.5))):
        shown = summary[summary["view"] == view]
        assert shown["lr"].tolist() == learning_rate.run_lr(config).summary["lr"].tolist()
    diverging = next(m for m in at.metric
                     if m.label == text.lookup("en", "optim.verdict_diverges"))
    expected = (learning_rate.run_lr(learning_rate.LrConfig(lr_max=0.5)).summary["verdict"]
                == "diverges").sum()
    assert diverging.value == str(expected) and diverging.delta == str(expected)
    assert "optim_lr_pin" in at.query_params and "optim_paths_pin" not in at.query_params


def test_a_link_opening_on_the_anatomy_shows_its_runs(open_link):
    link = open_link(PAGE, {"optim_tab": "anatomy", "optim_r1_SGD_momentum": "0.5",
                            "optim_anatomy_run": "2"})
    runs = paths.PathConfig(runs=(paths.PathConfig().runs[0], Spec.of("SGD", lr=1e-3,
                                                                      momentum=0.5),
                                  *paths.PathConfig().runs[2:]))
    assert table(link, "fresh_x", "grad_x").equals(anatomy.anatomy(runs, 2, 10).grads)
    assert "momentum=0.5" in text_of(link) + " ".join(m.value for m in link.markdown)


def test_a_link_copied_on_the_anatomy_tab_keeps_the_landscape_runs(open_page):
    """The landscape tab's controls leave the link while it is closed: the link copied on the
    anatomy tab carries the runs in a parameter of its own, and a new session shows them."""
    at = open_page(PAGE, optim_tab="paths")
    at.number_input(key="optim_r0_SGD_lr").set_value(0.002).run()
    at.session_state["optim_tab_label"] = "4 · Inside the optimiser"
    at.run()
    assert "SGD(lr=0.002)" in " ".join(m.value for m in at.markdown)
    link = {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert "optim_anat_runs" in link
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params.update({k: v for k, v in link.items() if not k.startswith("optim_r")})
    fresh.switch_page(PAGE).run()
    assert not fresh.exception and not fresh.warning, fresh.warning
    assert "SGD(lr=0.002)" in " ".join(m.value for m in fresh.markdown)


def test_the_anatomy_tab_pins_its_own_view(open_page):
    at = open_page(PAGE, optim_tab="anatomy")
    at.button(key="optim_anatomy_pin_button").click().run()
    at.number_input(key="optim_anatomy_k").set_value(20).run()
    assert not at.exception
    assert "B differs from A in Steps of the run (k): 10 → 20." in text_of(at)
    # a column each for A and B, rows matched on the step (A has none past its 10th)
    grads = table(at, "step", "fresh_x · A", "fresh_x · B")
    for view, k in (("A", 10), ("B", 20)):
        names = {f"{c} · {view}": c for c in ("fresh_x", "fresh_y", "grad_x", "grad_y")}
        shown = grads[["step", *names]].rename(columns=names).dropna().reset_index(drop=True)
        assert shown.equals(anatomy.anatomy(paths.PathConfig(), 1, k).grads)
    at.button(key="optim_anatomy_swap").click().run()
    assert at.number_input(key="optim_anatomy_k").value == 10


def test_a_link_keeps_the_pin_of_a_tab_it_does_not_open(open_page):
    link = AppTest.from_file(APP, default_timeout=30)
    link.query_params["optim_lr_pin"] = compare.encode(learning_rate.LrConfig(lr_max=0.5))
    link.query_params["optim_tab"] = "paths"
    link.run()
    link.switch_page(PAGE).run()
    assert not any("optim_lr_pin" in w.value for w in link.warning)
    link.session_state["optim_tab_label"] = text.lookup("en", "optim.tab_lr")
    link.run()
    assert "B differs from A in Largest learning rate: 0.5 → 0.2." in text_of(link)


def test_the_sweep_pins_its_own_view_with_both_maps(open_page):
    at = open_page(PAGE, optim_tab="sweep")
    at.button(key="optim_sweep_pin_button").click().run()
    at.number_input(key="optim_sweep_momentum_max").set_value(0.5).run()
    assert not at.exception
    assert "B differs from A in Largest momentum: 0.99 → 0.5." in text_of(at)
    assert len(at.get("vega_lite_chart")) == 2  # A's map beside B's
    a = sweep.run_sweep(sweep.SweepConfig()).cells
    b = sweep.run_sweep(sweep.SweepConfig(momentum_max=0.5)).cells
    reached = next(m for m in at.metric if m.label.startswith("cells below"))
    assert reached.value == str(int((b["steps_to_tol"] >= 0).sum()))
    assert reached.delta == str(int((b["steps_to_tol"] >= 0).sum())
                                - int((a["steps_to_tol"] >= 0).sum()))


def test_the_anatomy_tables_put_a_and_b_in_a_column_each(open_page):
    """Pinned, optimizer.state and param_groups show A's and B's values side by side, row for
    row (the momentum run after 10 steps, then after 20), each as torch holds it."""
    at = open_page(PAGE, optim_tab="anatomy")
    at.selectbox(key="optim_anatomy_run").set_value("2").run()
    at.button(key="optim_anatomy_pin_button").click().run()
    at.number_input(key="optim_anatomy_k").set_value(20).run()
    assert not at.exception
    state = table(at, "param", "key", "value · A (pinned)", "value · B (now)")
    for view, k in (("A (pinned)", 10), ("B (now)", 20)):
        expected = anatomy.anatomy(paths.PathConfig(), 2, k).state
        assert state["key"].tolist() == expected["key"].tolist() == ["momentum_buffer"]
        assert state[f"value · {view}"].tolist() == expected["value"].tolist()
    groups = table(at, "group", "key", "value · A (pinned)", "value · B (now)")
    assert groups.set_index("key").loc["momentum"].tolist()[1:] == ["0.9", "0.9"]
    assert "view" not in groups.columns


def test_a_diverged_run_says_so_inside_and_shows_its_last_step(open_link):
    """ASGD at lr 0.01 leaves Rosenbrock at step 4: the lead, the warning and the step-by-step
    table all say step 4 (not "after 10 steps" beside a state at step 4 and nan rows)."""
    link = open_link(PAGE, {"optim_tab": "anatomy", "optim_r0_name": "ASGD",
                            "optim_r1_name": "off", "optim_r2_name": "off",
                            "optim_r3_name": "off"})
    runs = paths.PathConfig(runs=(Spec.of("ASGD"),))
    found = inside.inside_step(runs, 1, 10)
    assert (found.step, found.diverged_at) == (4, 4)
    shown = " ".join([text_of(link), *(m.value for m in link.markdown)])
    lead = next(m.value for m in link.markdown if m.value.startswith("`ASGD("))
    assert "diverged at step 4 of its trajectory" in lead and "after 10 steps" not in lead
    assert "Run 1 diverged at step 4" in text_of(link)
    assert "Inside step 4" in shown
    rows = table(link, "key", "formula", "evaluated", "ours", "torch")
    assert rows["torch"].tolist() == found.table["torch"].tolist()
    assert rows["evaluated"].tolist() == found.table["evaluated"].tolist()
    assert "nan" not in " ".join(rows["torch"]) and set(rows["agree"]) == {"✓"}


def test_the_step_by_step_table_shows_lbfgs_with_its_numbers(open_link):
    link = open_link(PAGE, {"optim_tab": "anatomy", "optim_r3_name": "LBFGS",
                            "optim_anatomy_run": "4", "optim_anatomy_k": "2"})
    runs = paths.PathConfig(runs=(*paths.PathConfig().runs[:3], Spec.of("LBFGS")))
    expected = inside.inside_step(runs, 4, 2).table
    rows = table(link, "key", "formula", "evaluated", "ours", "torch")
    assert rows["key"].tolist() == expected["key"].tolist()
    assert {"d", "t", "old_dirs", "old_stps", "ro", "H_diag", "func_evals", "n_iter"} <= set(
        rows["key"])
    assert rows["evaluated"].tolist() == expected["evaluated"].tolist()
    assert set(rows["agree"]) == {"✓"}
    assert text.lookup("en", "optim.inside_closure") in text_of(link)


def test_the_two_step_counts_have_their_own_labels(open_page):
    for lang in ("en", "zh"):
        at = open_page(PAGE, optim_tab="anatomy", lang=lang)
        labels = {at.number_input(key=k).label for k in ("optim_exercise_k", "optim_anatomy_k")}
        assert len(labels) == 2


def chart_rows(chart) -> pd.DataFrame:
    """The rows a chart draws (its largest dataset), as the browser gets them."""
    from streamlit import dataframe_util
    return max((dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data)
                for d in chart.proto.datasets), key=len)


def test_the_rates_are_a_ramp_each_verdict_a_dash_and_x_is_drawn_with_its_sign(open_page):
    """With the thresholds the grid has 12 rates: one colour ramp by lr (no palette of twelve
    whose light grey vanished), a dash per verdict named in the counts, and beside the losses x
    itself for the first 40 iterations, as torch's descent gives it: lr = 1/8 at 0 after one
    step, lr = 1/4 between +2 and -2."""
    import json
    at = open_page(PAGE)
    at.toggle(key="optim_lr_thresholds").set_value(True).run()
    losses, positions = at.get("vega_lite_chart")
    spec = json.loads(losses.proto.spec)
    assert spec["encoding"]["color"]["field"] == "lr" and spec["encoding"]["color"]["type"] == \
        "quantitative"
    dash = spec["encoding"]["strokeDash"]
    assert dash["field"] == "verdict" and dash["scale"]["domain"] == [
        "converges", "converges while oscillating", "oscillates forever", "diverges"]
    assert len({str(d) for d in dash["scale"]["range"]}) == 4
    assert spec["encoding"]["x"]["axis"]["format"] == "d"  # iterations: whole ticks
    rows = chart_rows(positions)
    assert rows["iteration"].max() == 40
    for lr in (0.125, 0.25, learning_rate.LrConfig().lrs[-1]):  # the last: linspace's 0.2
        xs = rows[rows["lr"] == lr].sort_values("iteration")["x"].tolist()
        assert xs == descend(lr, 100, 2.0)[:41]
    quarter = rows[rows["lr"] == 0.25]["x"]
    assert set(quarter.abs()) == {2.0} and (quarter < 0).any()


def test_the_per_rate_table_formats_tiny_numbers(open_page):
    """final_x of 6e-32 or 1.3e+31 in six significant digits, not a cut string of digits."""
    at = open_page(PAGE)
    at.button(key="optim_lr_upper_0.5").click().run()
    summary = table(at, "lr", "final_x", "final_loss")
    expected = learning_rate.run_lr(learning_rate.LrConfig(lr_max=0.5)).summary
    for column in ("final_x", "final_loss"):
        assert summary[column].tolist() == [f"{v:.6g}" for v in expected[column]]
    assert "6.69002e-32" in summary["final_x"].tolist()  # lr 0.0644: x far below 1e-6
    assert any("e+" in v for v in summary["final_loss"])  # a diverged run's huge loss


def test_long_run_labels_are_never_cut_in_the_legends(open_page):
    """A run whose settings differ from torch's in many ways has a long label: the legends show
    it whole, one label a row (the landscape's and the loss chart's)."""
    import json
    at = open_page(PAGE, optim_tab="paths")
    for key, value in {"optim_r2_Adam_weight_decay": 0.1, "optim_r2_Adam_betas_0": 0.8,
                       "optim_r2_Adam_eps": 0.001}.items():
        at.number_input(key=key).set_value(value).run()
    at.toggle(key="optim_r2_Adam_amsgrad").set_value(True).run()
    assert not at.exception
    label = "3: Adam(lr=0.05, betas_0=0.8, eps=0.001, weight_decay=0.1, amsgrad=True)"
    assert label in table(at, "label", "vel_x")["label"].tolist()
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        colours = [layer.get("encoding", {}).get("color", {}) for layer in spec["layer"]]
        legends = [colour["legend"] for colour in colours  # the runs' legend, not the loss's
                   if colour.get("legend") and colour.get("field") == "label"]
        assert legends and all(legend["labelLimit"] >= 1000 and legend["columns"] == 1
                               for legend in legends)


# ---- What the page says of its own numbers (issue 22) -------------------------------------------

def test_the_momentum_tab_says_where_its_runs_are_ahead_from_their_losses(open_page):
    """The course's runs: momentum 0.9 at lr 0.01 is ahead of lr 0.03 only at iterations 5-6 and
    ends far behind; the sentence is the race core computes from the runs (itself checked
    against torch.optim.SGD), with the buffer's factor 1/(1 - m) = 10 (not "catches up", not an
    average)."""
    at = open_page(PAGE, optim_tab="momentum")
    race = momentum.run_momentum(momentum.MomentumConfig()).race
    said = text_of(at)
    assert "lr=0.01, momentum=0.9 has the lower loss than lr=0.03, momentum=0 at iterations " \
        "5–6." in said
    assert f"At iteration 99: {race.loss_momentum:.2g} against {race.loss_plain:.2g}, so " \
        "lr=0.03, momentum=0 ends ahead." in said
    assert f"Its x changes sign {race.sign_changes} times" in said
    assert "tends to g/(1 − m), 10 times the gradient at momentum 0.9" in said
    assert "catches up" not in said
    at.button(key="optim_mom_063").click().run()
    race = momentum.run_momentum(momentum.MomentumConfig(momentum=0.63)).race
    spans = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in race.ahead)
    assert f"at iterations {spans}." in text_of(at) and "2.703 times" in text_of(at)


def test_the_sweep_says_where_its_own_cells_diverge_and_draws_zeros_as_the_best(open_link):
    """The quadratic's suggested range: the first diverging lr per momentum from the sweep's
    own cells (0.242 at momentum 0, 0.412 at 0.99), beside heavy-ball's limit 2(1 + m)/L; and
    the 83 exact zeros said to take the best colour."""
    link = open_link(PAGE, {"optim_tab": "sweep", "optim_sweep_landscape": "quadratic",
                            "optim_sweep_start_x": "-4", "optim_sweep_lr_min": "0.001",
                            "optim_sweep_lr_max": "1"})
    config = sweep.SweepConfig(landscape="quadratic", start_x=-4.0, start_y=2.0, lr_min=1e-3,
                               lr_max=1.0)
    cells = sweep.run_sweep(config).cells
    edge = sweep.divergence_edge(config, cells).first_diverging
    said = text_of(link)
    assert f"The smallest lr that diverges is {edge.iloc[0]:.3g} at momentum 0 and " \
        f"{edge.iloc[-1]:.3g} at momentum 0.99: here more momentum moves the divergence edge " \
        "to larger learning rates." in said
    assert "lr < 2(1 + m)/L, L = 10 the larger curvature: 0.2 at momentum 0, 0.398 at " \
        "momentum 0.99." in said
    assert "Every row's smallest diverging lr lies above its row's limit" in said
    assert f"{int((cells['final_loss'] == 0).sum())} cells reached a loss of exactly 0" in said
    assert "roughly lr·(1 + m)" not in said
    rosenbrock = text_of(open_link(PAGE, {"optim_tab": "sweep"}))  # the default: it falls
    assert "to smaller learning rates" in rosenbrock and "2(1 + m)/L" not in rosenbrock


def test_no_view_of_this_lesson_offers_another_seed(open_page):
    """None of the optimiser lesson's pinnable views draws at random: no "A with another seed"."""
    for name in ("lr", "momentum", "paths", "anatomy", "sweep"):
        at = open_page(PAGE, optim_tab=name)
        key = {"paths": "optim_paths", "anatomy": "optim_anatomy", "sweep": "optim_sweep"}.get(
            name, f"optim_{name}")
        at.button(key=f"{key}_pin_button").click().run()
        assert not at.exception and at.button(key=f"{key}_unpin") is not None
        with pytest.raises(KeyError):
            at.button(key=f"{key}_reseed")


CHINESE_TERMS = {"震荡": "振荡", "第 {run} 次运行": "运行 {run}", "闭式解": "解析梯度"}


@pytest.mark.parametrize("name", ["optim", "schedules"])
def test_the_chinese_texts_say_each_concept_one_way(name):
    """The course's terms in this lesson's Chinese: 振荡 (never 震荡), parallel runs 运行 1,
    解析梯度; 权值 for a network's weights (权重 is for class weights, which these lessons do
    not have); dashed 虚线 and dotted 点线 as the charts draw them."""
    strings = {key: value for key, value in text.strings("zh").items()
               if key.startswith((f"{name}.", f"error.{name}."))}
    for wrong, right in CHINESE_TERMS.items():
        assert not [key for key, value in strings.items() if wrong in value], right
    assert not [key for key, value in strings.items() if "权重" in value]
    if name == "optim":
        assert "点线" in strings["optim.evaluations_caption"]  # the chart's [2, 2] dash
        assert strings["optim.dash_oscillates_forever"] == "点线"
        assert strings["optim.dash_oscillates_converging"] == "虚线"


# ---- Links made before the controls' keys were derived (issue 23) -------------------------------

def test_old_links_open_the_same_views(open_link):
    """A link made when each control had a hand-made key (optim_lr_max, optim_sw_land,
    optim_forget, optim_anat_k...) opens the view it showed: lessons.RENAMED_PARAMS reads each
    old parameter as its derived one."""
    link = open_link(PAGE, {"optim_lr_max": "0.5", "optim_lr_iters": "30"})
    assert link.number_input(key="optim_lr_lr_max").value == 0.5
    assert table(link, "lr", "factor", "verdict")["lr"].tolist() == learning_rate.LrConfig(
        lr_max=0.5, iterations=30).lrs
    assert not link.warning  # no parameter reported as unusable
    link = open_link(PAGE, {"optim_tab": "sweep", "optim_sw_land": "quadratic",
                            "optim_sw_x0": "-4", "optim_sw_lr_n": "5", "optim_sw_m_n": "4"})
    metrics = {m.label: m.value for m in link.metric}
    assert metrics["cells × steps"] == "20 × 200" and not link.warning
    assert link.selectbox(key="optim_sweep_landscape").value == "quadratic"
    link = open_link(PAGE, {"optim_tab": "anatomy", "optim_forget": "true", "optim_anat_run": "2",
                            "optim_anat_k": "5", "optim_ex_k": "3"})
    expected = anatomy.anatomy(paths.PathConfig(forget_zero_grad=True), 2, 5).grads
    assert table(link, "fresh_x", "grad_x").equals(expected) and not link.warning
    assert link.number_input(key="optim_exercise_k").value == 3


# ---- A throwaway setting: one line in the registry, and the page, link and fuzz have it ---------

class Shrunk(torch.optim.SGD):
    """SGD with one more setting, read from its signature like any of torch's: what an optimiser
    with a new setting looks like to the registry, the page, the link and the fuzzer."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, shrink: float = 1.0):
        super().__init__(params, lr=lr * shrink, momentum=momentum)


@pytest.fixture
def shrunk(monkeypatch):
    entry = Optimizer(Shrunk, velocity="momentum_buffer")
    monkeypatch.setitem(OPTIMIZERS, entry.name, entry)
    for lang in ("en", "zh"):  # its one text
        monkeypatch.setitem(text.strings(lang), "optim.help_shrink", "lr × shrink")
    return entry


def test_a_throwaway_setting_is_drawn_linked_and_run(open_link, shrunk):
    assert [s.name for s in shrunk.settings] == ["lr", "momentum", "shrink"]
    link = open_link(PAGE, {"optim_tab": "paths", "optim_r1_name": "Shrunk",
                            "optim_r1_Shrunk_shrink": "0.5"})
    assert link.number_input(key="optim_r1_Shrunk_shrink").value == 0.5  # from the link
    runs = paths.PathConfig().runs
    config = paths.PathConfig(runs=(runs[0], Spec.of("Shrunk", shrink=0.5), *runs[2:]))
    frame, _, _ = paths.run_path(config, config.runs[1])
    now = table(link, "label", "vel_x")
    row = now[now["label"].str.startswith("2:")].iloc[0]
    assert row["label"] == "2: Shrunk(lr=0.001, shrink=0.5)"
    assert [row["x"], row["y"]] == frame.loc[0, ["x", "y"]].tolist()
    link.number_input(key="optim_r1_Shrunk_shrink").set_value(-1.0).run()
    assert "Run 2, shrink: -1.0 is below 0.0" in text_of(link)  # its bound: the registry's


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hypothesis_st.data())
def test_a_throwaway_setting_survives_the_fuzzer(data):
    entry = Optimizer(Shrunk, velocity="momentum_buffer")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(OPTIMIZERS, entry.name, entry)
        for lang in ("en", "zh"):
            patch.setitem(text.strings(lang), "optim.help_shrink", "lr × shrink")
        at = opened(PAGE, {"optim_tab": "paths", "optim_r0_name": entry.name})
        assert at.number_input(key="optim_r0_Shrunk_shrink").value == 1.0
        fuzz(at, data)


def opened(page: str, link: dict[str, str]) -> AppTest:
    """A page opened from link, clean."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(link)
    at.switch_page(page).run()
    assert_clean(at, ["opened"])
    return at


def fuzz(at: AppTest, data) -> None:
    """The generic fuzzer's rounds of random input on an opened page, clean after each."""
    for _ in range(ROUNDS):
        done = interact(at, data)
        at.run()
        assert_clean(at, done)
