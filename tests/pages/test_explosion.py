"""The explosion page through AppTest: the course's numbers, the presets, clamping, languages."""

import math
from dataclasses import replace

import pandas as pd
import pytest
import streamlit as st
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from core import compare, network, values
from tests.core.test_network import course_mlp
from tests.pages.conftest import APP, plain
from tests.pages.vega import chart_specs, is_valid

PAGE = "lessons/explosion.py"


def consoles(at) -> list[str]:
    """The console panels (text; the shown scripts are python), A's first when compared."""
    return [c.value for c in at.code if c.language == "text"]


def code_text(at) -> str:
    """The console panel (of B, when compared)."""
    return consoles(at)[-1]


def test_opens_on_the_course_demo(open_page):
    at = open_page(PAGE)
    printed = code_text(at)
    assert "layer:0, std:16.0981502532959" in printed
    assert "layer:2, std:3982.99951171875" in printed
    assert "output is nan in 30 layers" in printed
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["float32 std is nan at layer"] == "30"
    assert metrics["first infinite activation at layer"] == "31"
    assert len(at.get("vega_lite_chart")) == 2
    why = " ".join(m.value for m in at.markdown)
    assert "Why 30 here and 31 in the course" in why
    # how many digits agree is computed on this machine, never a fixed claim
    std64 = network.run(network.NetConfig()).layers["std64"][30]
    digits = values.agreeing_digits(std64, network.COURSE_STD_AT_30)
    assert f"{std64:.17g}, whose first {digits} significant digits agree" in why
    assert "depend on the CPU" in why


def test_std_sqrt_one_over_n_button_makes_it_stable(open_page):
    at = open_page(PAGE)
    at.button(key="explosion_std_scaled").click().run()
    assert at.number_input(key="explosion_init_std").value == math.sqrt(1 / 256)
    assert at.success, "the stable verdict"
    assert "output is nan" not in code_text(at)
    at.button(key="explosion_std_one").click().run()
    assert at.number_input(key="explosion_init_std").value == 1.0
    assert "output is nan in 30 layers" in code_text(at)


def test_out_of_range_sizes_are_clamped_with_a_notice_and_kept_as_typed(open_page):
    at = open_page(PAGE)
    at.number_input(key="explosion_depth").set_value(5000).run()
    assert not at.exception
    assert any("depth: 5000 is outside 1 to 200; using 200." in w.value for w in at.warning)
    assert at.number_input(key="explosion_depth").value == 5000  # what the user typed stays


def test_a_nonsense_weight_std_is_rejected_with_a_message(open_page):
    at = open_page(PAGE)
    at.number_input(key="explosion_init_std").set_value(-3.0).run()
    assert not at.exception
    assert any("std: -3.0 is outside 0.0 to 1000.0" in w.value for w in at.warning)


def test_activation_changes_the_result(open_page):
    at = open_page(PAGE)
    at.selectbox(key="explosion_activation").set_value("tanh").run()
    assert not at.exception
    assert "layer:0, std:0.9" in code_text(at)  # tanh squashes the first layer's std below 1


def test_chinese_interface(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "梯度消失与爆炸"
    assert "layer:0, std:16.0981502532959" in code_text(at)


def test_std_preset_survives_a_nonsense_width(open_page):
    at = open_page(PAGE)
    at.number_input(key="explosion_width").set_value(0).run()
    at.button(key="explosion_std_scaled").click().run()
    assert not at.exception
    # the width in use: 2
    assert at.number_input(key="explosion_init_std").value == math.sqrt(1 / 2)


def test_the_course_demo_keeps_seed_3_whatever_the_other_lessons_seeds(open_page):
    at = open_page(PAGE, init_seed=11, init_gain_seed=1, seed=1)
    assert at.number_input(key="explosion_seed").value == 3
    assert "layer:0, std:16.0981502532959" in code_text(at)


def test_own_seed_changes_the_draws_and_the_course_example_button_restores_all(open_page):
    at = open_page(PAGE)
    at.number_input(key="explosion_seed").set_value(1).run()
    # seed 1's first layer as the course's own code computes it on this CPU: its low digits
    # depend on the CPU (15.959931373596191 on one machine, 15.959932327270508 on another)
    first = course_mlp(replace(network.NetConfig(), seed=1))[0][0].std().item()
    assert f"layer:0, std:{first}" in code_text(at)
    assert first == pytest.approx(15.95993, rel=1e-6)
    at.number_input(key="explosion_depth").set_value(12).run()
    at.selectbox(key="explosion_activation").set_value("leaky_relu").run()
    at.number_input(key="explosion_negative_slope").set_value(0.3).run()
    at.number_input(key="explosion_init_std").set_value(0.2).run()
    at.button(key="explosion_course_example").click().run()
    defaults = network.NetConfig()
    assert at.number_input(key="explosion_seed").value == defaults.seed
    assert at.number_input(key="explosion_depth").value == defaults.depth
    assert at.number_input(key="explosion_init_std").value == defaults.init.std
    assert at.selectbox(key="explosion_activation").value == defaults.activation
    assert "output is nan in 30 layers" in code_text(at)
    at.selectbox(key="explosion_activation").set_value("leaky_relu").run()
    assert at.number_input(key="explosion_negative_slope").value == defaults.negative_slope


# ---- Pin a view and compare ------------------------------------------------------------------

def chart_rows(at, index: int) -> pd.DataFrame:
    """The drawn lines of the index-th chart: its largest dataset (the markers are one row)."""
    datasets = at.get("vega_lite_chart")[index].proto.datasets
    frames = [dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in datasets]
    return max(frames, key=len)


def measured(rows: pd.DataFrame, view: str, series: str) -> list[float]:
    picked = rows[(rows[compare.VIEW] == view) & (rows["series"] == series)]
    return picked.sort_values("layer")["value"].tolist()


def finite(values_) -> list[float]:
    return [v for v in values_ if math.isfinite(v) and v > 0]


COURSE = network.NetConfig()
SCALED = replace(COURSE, init=replace(COURSE.init, std=math.sqrt(1 / 256)))


def pin_then_scale(at):
    at.button(key="explosion_pin_button").click().run()
    at.button[[b.label for b in at.button].index("std = sqrt(1/n)")].click().run()
    assert not at.exception
    return at


def test_pin_then_change_shows_both_each_as_computed_alone(open_page):
    at = pin_then_scale(open_page(PAGE))
    a, b = network.run(COURSE), network.run(SCALED)
    assert "B differs from A in Weight std σ_w: 1 → 0.0625." in [m.value for m in at.markdown]
    # both charts: A's line and B's, each the run of its own Config
    rows = chart_rows(at, 0)
    for view, run in (("A (pinned)", a), ("B (now)", b)):
        assert measured(rows, view, "x.std(), float32") == finite(run.layers["std"])
    # A overflows: its float64 run goes on to layer 99; B stays finite and has none
    float64 = "float64 run"
    assert measured(rows, "A (pinned)", float64) == a.layers["run64_std"].tolist()
    assert len(a.layers["run64_std"]) == 100 and measured(rows, "B (now)", float64) == []
    grads = chart_rows(at, 1)
    assert measured(grads, "B (now)", "std of ∂loss/∂W (weight gradient)") == \
        finite(b.layers["grad_std"])
    # metrics: B's value, and what A had where there is no difference to take
    metrics = {m.label: (m.value, m.proto.delta) for m in at.metric}
    assert metrics["float32 std is nan at layer"] == ("never", f"A (pinned): {a.first_nan_std}")
    assert metrics["first infinite activation at layer"] == ("never", f"A (pinned): {a.first_inf}")
    last_b = f"{b.layers['std'].iloc[-1]:.4g}"
    assert metrics["std of the last layer"] == (last_b, "A (pinned): nan")
    # the consoles, one each, and the table with a column each
    assert consoles(at) == ["\n".join(a.console), "\n".join(b.console)]
    table = at.dataframe[0].value
    assert table["std · A (pinned)"].tolist()[:30] == a.layers["std"].tolist()[:30]
    assert table["std · B (now)"].tolist() == b.layers["std"].tolist()
    assert table["grad_std · B (now)"].tolist() == b.layers["grad_std"].tolist()
    verdicts = [s.value for s in at.success] + [e.value for e in at.error]
    assert any(v.startswith("A (pinned): Explodes") for v in verdicts)
    assert any(v.startswith("B (now): Stable") for v in verdicts)


def test_numeric_changes_are_b_minus_a(open_page):
    at = open_page(PAGE)
    at.number_input(key="explosion_init_std").set_value(0.05).run()
    at.button(key="explosion_pin_button").click().run()
    at.number_input(key="explosion_init_std").set_value(0.07).run()
    a = network.run(replace(COURSE, init=replace(COURSE.init, std=0.05)))
    b = network.run(replace(COURSE, init=replace(COURSE.init, std=0.07)))
    last = {m.label: m for m in at.metric}["std of the last layer"]
    change = b.layers["std"].iloc[-1] - a.layers["std"].iloc[-1]
    assert (last.value, last.proto.delta) == (f"{b.layers['std'].iloc[-1]:.4g}", f"{change:+.4g}")


def test_swap_exchanges_a_and_b_and_unpin_ends_the_comparison(open_page):
    at = pin_then_scale(open_page(PAGE))
    at.button(key="explosion_swap").click().run()
    assert at.number_input(key="explosion_init_std").value == 1.0  # the controls took A's settings
    assert "B differs from A in Weight std σ_w: 0.0625 → 1." in [m.value for m in at.markdown]
    assert consoles(at)[0] == "\n".join(network.run(SCALED).console)  # A is now sqrt(1/n)
    at.button(key="explosion_unpin").click().run()
    assert len(at.metric) == 3 and not any(m.proto.delta for m in at.metric)
    assert "explosion_pin" not in at.query_params


def test_another_seed_keeps_a_and_moves_only_b_seed(open_page):
    at = open_page(PAGE)
    at.button(key="explosion_pin_button").click().run()
    at.button(key="explosion_reseed").click().run()
    assert at.number_input(key="explosion_seed").value == 4
    assert "B differs from A in Seed of the network: 3 → 4." in [m.value for m in at.markdown]
    assert consoles(at)[1] == "\n".join(network.run(replace(COURSE, seed=4)).console)


def test_a_link_with_a_and_b_reproduces_both(open_page):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(explosion_pin=compare.encode(COURSE), explosion_init_std="0.0625")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    a, b = network.run(COURSE), network.run(SCALED)
    assert consoles(at) == ["\n".join(a.console), "\n".join(b.console)]
    assert "B differs from A in Weight std σ_w: 1 → 0.0625." in [m.value for m in at.markdown]


def test_a_link_made_before_the_parameters_were_derived_opens_the_same_view(open_link):
    """Links shared before the controls' parameters were derived from the Config's fields
    (ex_std, ex_act, ex_pin, ...) open the view they were made for, with nothing reported as
    ignored, and the address bar then holds the new names."""
    tanh = replace(SCALED, activation="tanh", depth=50, seed=7)
    at = open_link(PAGE, {"ex_std": "0.0625", "ex_act": "tanh", "ex_depth": "50",
                          "ex_seed": "7", "ex_pin": compare.encode(COURSE)})
    assert at.number_input(key="explosion_init_std").value == 0.0625
    assert at.selectbox(key="explosion_activation").value == "tanh"
    a, b = network.run(COURSE), network.run(tanh)
    assert consoles(at) == ["\n".join(a.console), "\n".join(b.console)]
    assert not [w.value for w in at.warning if "Link parameter" in plain(w.value)]
    assert not any(param.startswith("ex_") for param in at.query_params)


def test_a_bad_pin_link_says_which_parameter(open_page):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(explosion_pin="garbage!")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("explosion_pin" in plain(w.value) for w in at.warning)
    assert len(at.metric) == 3 and not any(m.proto.delta for m in at.metric)


def test_pinning_adds_no_computation_beyond_b(open_page, monkeypatch):
    """A's result is the cached run it was when pinned: only B's new Config runs the network."""
    st.cache_data.clear()
    runs = []
    real = network.run
    monkeypatch.setattr(network, "run", lambda config: runs.append(config) or real(config))
    at = open_page(PAGE)
    assert runs == [COURSE]
    at.button(key="explosion_pin_button").click().run()
    assert runs == [COURSE]  # pinning ran nothing
    at.button[[b.label for b in at.button].index("std = sqrt(1/n)")].click().run()
    assert runs == [COURSE, SCALED]  # B's own run, A from the cache
    at.button(key="explosion_swap").click().run()
    assert runs == [COURSE, SCALED]


def test_the_comparison_in_chinese_and_presenter_mode_is_valid_and_translated(open_page):
    from tests.pages.test_languages import english_on

    for state in ({"lang": "zh"}, {"present": True}):
        at = open_page(PAGE, **state)
        at.button(key="explosion_pin_button").click().run()
        at.number_input(key="explosion_init_std").set_value(0.0625).run()
        assert not at.exception
        assert all(is_valid(spec) for spec in chart_specs(at))
        if state.get("lang") == "zh":
            assert not english_on(at)
            assert "A（已固定）：30" in [m.proto.delta for m in at.metric]


# ---- Every sentence computed from the run beside it ------------------------------------------

def texts(at) -> str:
    return " ".join(plain(m.value) for m in [*at.markdown, *at.success, *at.warning, *at.error,
                                             *at.caption])


def test_the_course_demo_charts_are_not_blank_past_the_overflow(open_page):
    at = open_page(PAGE)
    result = network.run(COURSE)
    forward, backward = chart_rows(at, 0), chart_rows(at, 1)
    run64 = forward[forward["series"] == "float64 run"]
    assert run64.sort_values("layer")["value"].tolist() == result.layers["run64_std"].tolist()
    theory = forward[forward["series"] == "theory"]
    assert len(theory) == 100 and theory["value"].max() > 1e119  # past float32's 3.4e38
    grads64 = backward[backward["series"] == "float64 run"]
    assert grads64.sort_values("layer")["value"].tolist() == \
        result.layers["run64_grad_std"].tolist()  # float32's are all nan: this chart was empty
    # the backward verdict says float32's nan and the float64 run's numbers
    said = texts(at)
    assert "Backward: not finite in float32" in said
    first64 = result.layers["run64_grad_std"].iloc[0]
    assert f"In float64 (the same weights and input): {first64:.3g}" in said


def test_a_ratio_near_one_of_tiny_gradients_is_called_vanished(open_page):
    """ReLU with std = sqrt(1/n): the first and last weight gradients within ×1.4 of each other,
    but about 1e-17: the verdict says the scale, not only the ratio."""
    at = open_page(PAGE)
    at.selectbox(key="explosion_activation").set_value("relu").run()
    at.button(key="explosion_std_scaled").click().run()
    config = replace(COURSE, activation="relu", init=replace(COURSE.init, std=1 / 16))
    verdict = network.backward_verdict(config, network.run(config))
    assert verdict["grad_ratio"] < 2 and verdict["first"] < 1e-15
    said = texts(at)
    assert f"Backward: vanished. The first layer's weight gradient has std {verdict['first']:.3g}" \
        in said
    assert f"{verdict['first_grad_scale']:.2g} and {verdict['last_grad_scale']:.2g} times" in said
    assert "Backward: healthy" not in said and "gradients reach every layer" not in said


def test_the_theory_text_is_computed_for_the_width_in_use(open_page):
    at = open_page(PAGE)
    at.number_input(key="explosion_width").set_value(64).run()
    said = texts(at)
    # 8 per layer: 8**42 = 8.5e37 < 3.4e38 < 8**43 = 6.8e38
    assert "after 43 layers that is 8^43 ≈ 6.8e+38" in said
    assert "16³⁰" not in said


def course_batchnorm_console() -> list[str]:
    from tests.core.test_network import course_batchnorm
    return course_batchnorm(network.BATCHNORM_COURSE)


def test_the_batchnorm_demo_is_one_click_and_prints_the_course_console(open_page):
    at = open_page(PAGE)
    at.button(key="explosion_batchnorm_example").click().run()
    assert at.toggle(key="explosion_batchnorm").value is True
    assert at.toggle(key="explosion_initialize").value is False
    assert at.selectbox(key="explosion_activation").value == "relu"
    assert at.number_input(key="explosion_seed").value == 1
    assert code_text(at) == "\n".join(course_batchnorm_console())
    assert code_text(at).startswith("layers:0, std:0.5751240849494934")
    # where it settles and why, computed: ReLU of a standard normal
    result = network.run(network.BATCHNORM_COURSE)
    said = texts(at)
    assert f"= **{math.sqrt(0.5 - 1 / (2 * math.pi)):.4g}**" in said
    assert f"{result.layers['std'].mean():.4g} on average" in said
    # the three initialisations behind BatchNorm, as core computes them
    inits = network.batchnorm_inits(network.BATCHNORM_COURSE)
    rows = chart_rows(at, 2)
    kaiming = rows[rows["series"] == "kaiming_normal_"].sort_values("layer")["value"].tolist()
    assert kaiming == inits["kaiming"].tolist()
    spread = (inits[["std_one", "kaiming", "linear_default"]].max(axis=1)
              / inits[["std_one", "kaiming", "linear_default"]].min(axis=1) - 1).max()
    assert f"at most {100 * spread:.2g} % at any layer" in said
    # the shown scripts print the same numbers
    scripts = [c.value for c in at.code if c.language == "python"]
    assert any("nn.BatchNorm1d(width)" in s and "# net.initialize() is not called" in s
               for s in scripts)


def test_batchnorm_pinned_against_the_same_network_without_it(open_page):
    at = open_page(PAGE)
    at.button(key="explosion_batchnorm_example").click().run()
    at.button(key="explosion_pin_button").click().run()
    at.toggle(key="explosion_batchnorm").set_value(False).run()
    assert not at.exception
    without = replace(network.BATCHNORM_COURSE, batchnorm=False)
    a, b = network.run(network.BATCHNORM_COURSE), network.run(without)
    assert consoles(at) == ["\n".join(a.console), "\n".join(b.console)]
    assert "B differs from A in BatchNorm: True → False." in [m.value for m in at.markdown]
    said = texts(at)
    assert "A (pinned): Stable" in said
    assert b.trend == "vanishes" and "B (now): Vanishes" in said  # nn.Linear's default, ReLU
