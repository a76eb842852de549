"""The initialisation page through AppTest: the course's three demos, the methods, clamping,
errors and Chinese."""

import math
from dataclasses import replace

import pandas as pd
import streamlit as st
import torch
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from core import activations, compare, init_lab, initializers, network
from tests.pages.conftest import APP, plain
from tests.pages.vega import chart_specs, is_valid

PAGE = "lessons/init.py"


def keep_choices(at, *changed: str) -> None:
    """AppTest reads a choice by its English label (it formats the options outside the page's
    session): in Chinese, each of the page's choices but those about to change is sent again as
    shown."""
    from tests.pages.test_fuzz import pick, shown

    for box in at.selectbox:
        if box.key.startswith("init_") and box.key not in changed:
            pick(box, shown(box))


def text_of(at) -> str:
    return " ".join(plain(m.value) for m in [*at.markdown, *at.success, *at.warning, *at.error])


def test_opens_with_the_cell_the_matrix_and_the_gains(open_page):
    at = open_page(PAGE)
    assert len(at.get("vega_lite_chart")) == 2  # the cell's layers, then the forward matrix
    assert "calculate_gain" in text_of(at)
    assert not at.metric  # the methods tab is closed, so its code did not run
    # the default cell (no activation, std = 1) overflows: float32's gradients are nan
    assert any("Backward: not finite in float32" in e.value for e in at.error)


def test_each_tab_opens_from_its_link(open_page):
    at = open_page(PAGE, init_tab="methods")
    assert len(at.get("vega_lite_chart")) == 3  # and the histogram of the drawn weights
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["std by the formula"] == "0.0625"  # xavier_uniform_, gain 1, 256 x 256
    at = open_page(PAGE, init_tab="derivations")
    assert "**D(W) = 2/(n_in + n_out)** = 2/(256 + 256) = 0.003906" in text_of(at)
    at = open_page(PAGE, init_tab="table", lang="zh")  # a link opens its tab in any language
    assert at.session_state["init_tab"] == "table"
    cells = len(activations.ACTIVATIONS) * len(init_lab.SCHEMES)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == cells


def test_course_pairs_are_one_click_each(open_page):
    at = open_page(PAGE)
    at.button(key="init_pair_tanh_sqrt_n").click().run()
    assert (at.selectbox(key="init_activation").value, at.selectbox(key="init_scheme").value) == (
        "tanh", "sqrt_n")
    assert any("Vanishes" in w.value for w in at.warning)
    at.button(key="init_pair_tanh_xavier").click().run()
    assert at.selectbox(key="init_scheme").value == "xavier_gain"
    assert any(s.value.startswith("Stable") for s in at.success)
    at.button(key="init_pair_relu_kaiming").click().run()
    assert at.selectbox(key="init_activation").value == "relu"
    assert any(s.value.startswith("Stable") for s in at.success)
    assert "nn.init.kaiming_normal_(linear.weight" in at.code[-1].value


def test_every_method_renders_without_an_exception(open_page):
    at = open_page(PAGE, init_tab="methods")
    for method in ("normal", "uniform", "trunc_normal", "constant", "eye", "orthogonal",
                   "sparse", "kaiming_normal"):
        at.selectbox(key="init_draw_init_method").set_value(method).run()
        assert not at.exception, method
        assert "**" not in " ".join(m.value for m in at.markdown if "{" in m.value)


def test_bad_range_is_an_error_and_the_rest_keeps_working(open_page):
    at = open_page(PAGE, init_tab="methods")
    at.selectbox(key="init_draw_init_method").set_value("uniform").run()
    at.number_input(key="init_draw_init_low").set_value(5.0).run()
    assert not at.exception
    assert any("uniform: the range from 5.0 to 1.0 is empty" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) == 2  # the cell and the matrix are still drawn


def test_sizes_are_clamped_with_a_notice(open_page):
    at = open_page(PAGE, init_tab="methods")
    at.number_input(key="init_draw_fan_in").set_value(99999).run()
    assert any("fan_in: 99999 is outside 1 to 1024" in plain(w.value) for w in at.warning)
    assert at.number_input(key="init_draw_fan_in").value == 99999


def test_chinese_interface(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "按激活函数选择权值初始化"


def tanh_ratio(seed: int) -> float:
    """The course's gain experiment: x = randn(10000) after manual_seed(seed)."""
    x = torch.randn(10_000, generator=torch.Generator().manual_seed(seed))
    return (x.std() / torch.tanh(x).std()).item()


def test_each_demo_keeps_its_own_course_seed_whatever_another_lessons_seed(open_page):
    # the other lesson's seed and the old shared one set to something else: nothing here moves
    at = open_page(PAGE, explosion_seed=11, seed=7)
    assert at.number_input(key="init_matrix_seed").value == 3
    assert at.number_input(key="init_gains_seed").value == 1
    assert f"{tanh_ratio(1):.4g} and" in text_of(at)  # the course's 1.598..., computed
    assert f"{tanh_ratio(1):.4g}".startswith("1.598")
    assert "(seed 3)" in " ".join(c.value for c in at.caption)  # the matrix: the course's 3


def test_the_gains_text_says_the_ratio_computed_for_the_chosen_seed(open_page):
    at = open_page(PAGE)
    at.number_input(key="init_gains_seed").set_value(5).run()
    assert f"{tanh_ratio(5):.4g} and" in text_of(at)
    assert "about 1.59" not in text_of(at)


def test_back_to_the_course_example_restores_every_setting(open_page):
    at = open_page(PAGE, init_tab="methods")
    at.number_input(key="init_matrix_depth").set_value(7).run()
    at.number_input(key="init_matrix_seed").set_value(9).run()
    at.selectbox(key="init_activation").set_value("relu").run()
    at.selectbox(key="init_draw_init_method").set_value("uniform").run()
    at.number_input(key="init_draw_init_low").set_value(-0.5).run()
    at.number_input(key="init_draw_seed").set_value(4).run()
    at.button(key="init_course_example").click().run()
    assert at.number_input(key="init_matrix_depth").value == 100
    assert at.number_input(key="init_matrix_seed").value == 3
    assert at.selectbox(key="init_activation").value == network.NetConfig().activation
    assert at.selectbox(key="init_draw_init_method").value == init_lab.DrawConfig().init.method
    assert at.number_input(key="init_draw_seed").value == 3
    at.selectbox(key="init_draw_init_method").set_value("uniform").run()
    assert at.number_input(key="init_draw_init_low").value == 0.0  # torch's default a


def test_back_to_the_course_example_reaches_the_tabs_not_open(open_page):
    """A link set the methods tab's seed while another tab is open: the reset takes it back too,
    though that tab's controls are not drawn (and the link no longer holds the old seed)."""
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params.update({"init_draw_seed": "9", "init_tab": "gains"})
    fresh.switch_page(PAGE).run()
    assert not fresh.warning  # a closed tab's parameter is not reported as ignored
    fresh.button(key="init_course_example").click().run()
    assert "init_draw_seed" not in fresh.query_params
    fresh.session_state["init_tab_label"] = "Every nn.init method"
    fresh.run()
    assert fresh.number_input(key="init_draw_seed").value == 3
    assert not fresh.warning


def test_a_choice_survives_a_visit_to_another_lesson(open_page):
    """Streamlit drops the state of widgets a run does not draw; the choice comes back."""
    at = open_page(PAGE)
    at.selectbox(key="init_activation").set_value("relu").run()
    at.switch_page("lessons/explosion.py").run()
    at.switch_page(PAGE).run()
    assert at.selectbox(key="init_activation").value == "relu"


def test_orthogonal_is_a_column_of_the_matrix(open_page):
    at = open_page(PAGE)
    at.selectbox(key="init_activation").set_value("tanh").run()
    at.selectbox(key="init_scheme").set_value("orthogonal").run()
    assert not at.exception
    assert "nn.init.orthogonal_(linear.weight, gain=1.6666666666666667)" in at.code[-1].value


# ---- Pin a view and compare ------------------------------------------------------------------

def chart_rows(at, index: int) -> pd.DataFrame:
    """The index-th chart's largest dataset (its cells or lines; the markers are one row)."""
    datasets = at.get("vega_lite_chart")[index].proto.datasets
    return max((dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in datasets),
               key=len)


def lines(rows: pd.DataFrame, view: str, series: str) -> list[float]:
    picked = rows[(rows[compare.VIEW] == view) & (rows["series"] == series)]
    return picked.sort_values("layer")["value"].tolist()


def positive(values) -> list[float]:
    return [v for v in values if math.isfinite(v) and v > 0]


RELU_XAVIER = init_lab.NetworkView(init_lab.MatrixConfig(depth=20), "relu", "xavier_gain",
                                   "backward")
RELU_KAIMING_10 = init_lab.NetworkView(init_lab.MatrixConfig(depth=10), "relu", "kaiming",
                                       "backward")


def pinned_then_changed(open_page):
    at = open_page(PAGE, init_matrix_depth=20, init_activation="relu", init_scheme="xavier_gain",
                   init_side="backward")
    at.button(key="init_pin_button").click().run()
    at.selectbox(key="init_scheme").set_value("kaiming").run()
    at.number_input(key="init_matrix_depth").set_value(10).run()
    assert not at.exception
    return at


def test_pin_then_change_shows_both_cells_and_the_matrix_against_a(open_page):
    at = pinned_then_changed(open_page)
    assert ("B differs from A in Depth (layers): 20 → 10; "
            "Init of the chosen cell: xavier_gain → kaiming." in [m.value for m in at.markdown])
    # the cell chart: A's cell and B's, each as the network computes its Config alone
    rows = chart_rows(at, 0)
    for view, cell in (("A (pinned): relu + Xavier+gain", RELU_XAVIER),
                       ("B (now): relu + Kaiming", RELU_KAIMING_10)):
        run = network.run(init_lab.cell(cell.matrix, cell.activation, cell.scheme))
        assert lines(rows, view, "x.std() of each layer's output") == positive(run.layers["std"])
        assert lines(rows, view, "std of each layer's weight gradient") == \
            positive(run.layers["grad_std"])
    # the matrices: B's values, A's in the tooltip columns, both as init_lab.matrix computes
    a, b = (init_lab.matrix(view.matrix, backward=True) for view in (RELU_XAVIER,
                                                                    RELU_KAIMING_10))
    backward = chart_rows(at, 1)
    assert backward["first_grad_scale"].tolist() == b["first_grad_scale"].tolist()
    assert backward["pinned"].tolist() == a["first_grad_scale"].tolist()
    assert backward["pinned_healthy"].tolist() == a["backward_healthy"].tolist()
    # the cells whose verdict changed, A → B (the backward matrix is shown)
    moved = a["backward_healthy"] != b["backward_healthy"]
    assert moved.any()
    table = at.dataframe[0].value
    assert list(zip(table["activation"], table["scheme"], strict=True)) == list(
        zip(a["activation"][moved], a["scheme"][moved], strict=True))
    assert f"{int(moved.sum())} cells changed verdict" in " ".join(c.value for c in at.caption)
    verdicts = [s.value for s in at.success]
    assert any(v.startswith("A (pinned): Stable") for v in verdicts)
    assert any(v.startswith("B (now): Stable") for v in verdicts)


def test_swap_exchanges_the_views_and_the_reseed_moves_the_matrix_seed(open_page):
    at = pinned_then_changed(open_page)
    at.button(key="init_swap").click().run()
    assert at.number_input(key="init_matrix_depth").value == 20
    assert at.selectbox(key="init_scheme").value == "xavier_gain"
    assert ("B differs from A in Depth (layers): 10 → 20; "
            "Init of the chosen cell: kaiming → xavier_gain." in [m.value for m in at.markdown])
    at.button(key="init_reseed").click().run()
    assert at.number_input(key="init_matrix_seed").value == 4
    assert at.number_input(key="init_matrix_depth").value == 10  # A's settings, the next seed
    assert "B differs from A in Seed of the network: 3 → 4." in [m.value for m in at.markdown]


def test_a_link_with_a_and_b_reproduces_both(open_page):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(init_pin=compare.encode(RELU_XAVIER), init_matrix_depth="10",
                           init_activation="relu", init_scheme="kaiming", init_side="backward")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert ("B differs from A in Depth (layers): 20 → 10; "
            "Init of the chosen cell: xavier_gain → kaiming." in [m.value for m in at.markdown])
    rows = chart_rows(at, 0)
    run = network.run(init_lab.cell(RELU_XAVIER.matrix, "relu", "xavier_gain"))
    assert lines(rows, "A (pinned): relu + Xavier+gain", "x.std() of each layer's output") == \
        positive(run.layers["std"])


def test_a_link_with_an_unknown_cell_in_a_names_it(open_page):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(init_pin=compare.encode(replace(RELU_XAVIER, activation="bogus")))
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("bogus" in w.value for w in at.warning)
    assert len(at.get("vega_lite_chart")) == 2  # B's view as without a pin


def test_the_table_tab_has_a_column_each(open_page):
    at = open_page(PAGE, init_tab="table", init_matrix_depth=20)
    at.button(key="init_pin_button").click().run()
    at.number_input(key="init_matrix_depth").set_value(10).run()
    table = at.dataframe[-1].value
    a, b = init_lab.matrix(RELU_XAVIER.matrix), init_lab.matrix(RELU_KAIMING_10.matrix)
    assert table["last_std · A (pinned)"].tolist() == a["last_std"].tolist()
    assert table["last_std · B (now)"].tolist() == b["last_std"].tolist()


def test_pinning_adds_no_computation_beyond_b(open_page, monkeypatch):
    """A's matrix and cell are the cached results they were when pinned."""
    st.cache_data.clear()
    init_lab.MATRICES.clear()
    matrices, cells = [], []
    real_matrix, real_run = init_lab.matrix, network.run
    monkeypatch.setattr(init_lab, "matrix",
                        lambda c, backward=False: matrices.append(c) or real_matrix(c, backward))
    monkeypatch.setattr(network, "run", lambda c: cells.append(c) or real_run(c))
    at = open_page(PAGE, init_matrix_depth=20, init_activation="relu", init_scheme="xavier_gain")
    assert (len(matrices), len(cells)) == (1, 1)
    at.button(key="init_pin_button").click().run()
    assert (len(matrices), len(cells)) == (1, 1)  # pinning ran nothing
    at.number_input(key="init_matrix_depth").set_value(10).run()
    assert (len(matrices), len(cells)) == (2, 2)  # B's matrix and cell, A's from the cache
    at.button(key="init_swap").click().run()
    assert (len(matrices), len(cells)) == (2, 2)


def test_the_comparison_in_chinese_and_presenter_mode_is_valid_and_translated(open_page):
    from tests.pages.test_languages import english_on

    def run(at, step) -> None:
        keep_choices(at)
        step(at)
        at.run()

    for state in ({"lang": "zh"}, {"present": True}):
        at = open_page(PAGE, init_matrix_depth=20, **state)
        run(at, lambda at: at.button(key="init_pin_button").click())
        run(at, lambda at: at.number_input(key="init_matrix_depth").set_value(10))
        assert not at.exception
        assert all(is_valid(spec) for spec in chart_specs(at))
        if state.get("lang") == "zh":
            assert not english_on(at)


# ---- Every sentence computed from the numbers beside it ---------------------------------------

def said(at) -> str:
    return " ".join(plain(m.value) for m in [*at.markdown, *at.success, *at.warning, *at.error,
                                             *at.caption])


def test_the_line_under_the_matrix_lists_its_healthy_cells(open_page):
    for side, verdict in (("forward", "forward_healthy"), ("backward", "backward_healthy")):
        at = open_page(PAGE, init_side=side)
        matrix = init_lab.matrix(init_lab.MatrixConfig(), backward=side == "backward")
        short = {"std_one": "std=1", "sqrt_n": "sqrt(1/n)", "xavier": "Xavier",
                 "xavier_gain": "Xavier+gain", "kaiming": "Kaiming",
                 "linear_default": "nn.Linear default", "orthogonal": "Orthogonal"}
        listed = []
        for activation in activations.ACTIVATIONS:
            rows = matrix[(matrix["activation"] == activation) & matrix[verdict]]
            listed.append(f"{activation}: " + (", ".join(short[s] for s in rows["scheme"])
                                                or "none"))
        assert " · ".join(listed) in plain(" ".join(m.value for m in at.markdown)).replace(
            "*", "")
        values = chart_rows(at, 1)
        column = "last_std" if side == "forward" else "first_grad_scale"
        assert values[column].equals(matrix[column])  # nan where torch's is nan


def test_sigmoid_behind_xavier_is_said_to_vanish_backward_with_its_numbers(open_page):
    at = open_page(PAGE, init_activation="sigmoid", init_scheme="xavier", init_tab="derivations")
    config = init_lab.cell(init_lab.MatrixConfig(), "sigmoid", "xavier")
    run = network.run(config)
    verdict = network.backward_verdict(config, run)
    factors = network.backward_factors(config, run)
    text = said(at)
    assert "Backward: vanished. The first layer's weight gradient has std 0," in text
    assert f"In float64 (the same weights and input): {verdict['first64']:.3g}" in text
    assert f"by ×{factors['measured']:.3g} (the rms of σ'(h) there is {factors['slope']:.3g})" \
        in text
    assert "for tanh and sigmoid" not in text  # Glorot's derivation assumes a slope of 1 at 0


def test_the_gains_tab_says_where_calculate_gain_is_the_rms_ratio(open_page):
    at = open_page(PAGE)
    table = init_lab.gains(init_lab.GainConfig())
    kept = table.loc[table["keeps_rms"], "nonlinearity"].tolist()
    assert f"calculate_gain is that exact ratio for {', '.join(kept)};" in said(at)
    assert "tanh 1.667 ≠ 1.593" in said(at)
    assert "the quantity calculate_gain actually preserves" not in said(at)


def test_links_made_before_the_keys_were_derived_open_the_same_views(open_link):
    at = open_link(PAGE, {"init_act": "relu", "init_depth": "20", "init_seed": "5",
                          "init_scheme": "kaiming", "init_tab": "methods",
                          "init_method": "uniform", "init_uniform_low": "-0.5",
                          "init_gain_seed": "4"})
    assert at.selectbox(key="init_activation").value == "relu"
    assert at.number_input(key="init_matrix_depth").value == 20
    assert at.number_input(key="init_matrix_seed").value == 5
    assert at.selectbox(key="init_draw_init_method").value == "uniform"
    assert at.number_input(key="init_draw_init_low").value == -0.5
    assert not [w.value for w in at.warning if "Link parameter" in plain(w.value)]
    run = network.run(init_lab.cell(init_lab.MatrixConfig(depth=20, seed=5), "relu", "kaiming"))
    assert chart_rows(at, 0).query("series == \"x.std() of each layer's output\"")[
        "value"].tolist() == positive(run.layers["std"])


def test_dirac_shows_its_identity_on_a_conv_weight(open_page):
    at = open_page(PAGE, init_tab="methods", init_draw_init_method="dirac",
                   init_draw_fan_in=6, init_draw_fan_out=6)
    result = init_lab.draw(init_lab.DrawConfig(initializers.InitSpec("dirac"), 6, 6))
    assert result.identity == {"wired": 6, "zero": 0, "channels": 6, "difference": 0.0}
    assert "6 of 6 output channels are exactly the input channel dirac_ wires them to" in said(at)
    assert "nn.Conv1d(6, 6, 3).weight" in at.code[-2].value  # the methods tab's script


def test_the_matrix_with_batchnorm_is_each_cells_network_with_batchnorm(open_page):
    at = open_page(PAGE, init_matrix_batchnorm=True, init_matrix_depth=12)
    config = init_lab.MatrixConfig(depth=12, batchnorm=True)
    matrix = init_lab.matrix(config)
    assert chart_rows(at, 1)["last_std"].tolist() == matrix["last_std"].tolist()
    assert "nn.BatchNorm1d(width)" in at.code[-1].value
