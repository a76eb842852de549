"""The initialisation page through AppTest: the course's three demos, the methods, clamping,
errors and Chinese."""

import torch

from core import activations, init_lab, network

PAGE = "lessons/init.py"


def text_of(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.success, *at.warning, *at.error])


def test_opens_with_the_matrix_and_the_gains(open_page):
    at = open_page(PAGE)
    assert len(at.get("vega_lite_chart")) == 3  # two matrices, the cell's layers
    assert "calculate_gain" in text_of(at)
    assert not at.metric  # the methods tab is closed, so its code did not run
    # the default cell (no activation, std = 1) overflows: its gradient ratio is torch's nan
    assert any("gradients are not finite (torch computed nan)" in e.value for e in at.error)


def test_each_tab_opens_from_its_link(open_page):
    at = open_page(PAGE, init_tab="methods")
    assert len(at.get("vega_lite_chart")) == 4  # and the histogram of the drawn weights
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
    assert (at.selectbox(key="init_act").value, at.selectbox(key="init_scheme").value) == (
        "tanh", "sqrt_n")
    assert any("Vanishes" in w.value for w in at.warning)
    at.button(key="init_pair_tanh_xavier").click().run()
    assert at.selectbox(key="init_scheme").value == "xavier_gain"
    assert any(s.value.startswith("Stable") for s in at.success)
    at.button(key="init_pair_relu_kaiming").click().run()
    assert at.selectbox(key="init_act").value == "relu"
    assert any(s.value.startswith("Stable") for s in at.success)
    assert "nn.init.kaiming_normal_(linear.weight" in at.code[-1].value


def test_every_method_renders_without_an_exception(open_page):
    at = open_page(PAGE, init_tab="methods")
    for method in ("normal", "uniform", "trunc_normal", "constant", "eye", "orthogonal",
                   "sparse", "kaiming_normal"):
        at.selectbox(key="init_method").set_value(method).run()
        assert not at.exception, method
        assert "**" not in " ".join(m.value for m in at.markdown if "{" in m.value)


def test_bad_range_is_an_error_and_the_rest_keeps_working(open_page):
    at = open_page(PAGE, init_tab="methods")
    at.selectbox(key="init_method").set_value("uniform").run()
    at.number_input(key="init_uniform_low").set_value(5.0).run()
    assert not at.exception
    assert any("uniform: the range from 5.0 to 1.0 is empty" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) == 3  # the matrix and the cell are still drawn


def test_sizes_are_clamped_with_a_notice(open_page):
    at = open_page(PAGE, init_tab="methods")
    at.number_input(key="init_fan_in").set_value(99999).run()
    assert any("fan: 99999 is outside 1 to 1024" in w.value for w in at.warning)
    assert at.number_input(key="init_fan_in").value == 99999


def test_chinese_interface(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "按激活函数选择权值初始化"


def tanh_ratio(seed: int) -> float:
    """The course's gain experiment: x = randn(10000) after manual_seed(seed)."""
    x = torch.randn(10_000, generator=torch.Generator().manual_seed(seed))
    return (x.std() / torch.tanh(x).std()).item()


def test_each_demo_keeps_its_own_course_seed_whatever_another_lessons_seed(open_page):
    # the other lesson's seed and the old shared one set to something else: nothing here moves
    at = open_page(PAGE, ex_seed=11, seed=7)
    assert at.number_input(key="init_seed").value == 3
    assert at.number_input(key="init_gain_seed").value == 1
    assert f"{tanh_ratio(1):.4g} and" in text_of(at)  # the course's 1.598..., computed
    assert f"{tanh_ratio(1):.4g}".startswith("1.598")
    assert "seed 3." in " ".join(c.value for c in at.caption)  # the matrix: the course's 3


def test_the_gains_text_says_the_ratio_computed_for_the_chosen_seed(open_page):
    at = open_page(PAGE)
    at.number_input(key="init_gain_seed").set_value(5).run()
    assert f"{tanh_ratio(5):.4g} and" in text_of(at)
    assert "about 1.59" not in text_of(at)


def test_back_to_the_course_example_restores_every_setting(open_page):
    at = open_page(PAGE, init_tab="methods")
    at.number_input(key="init_depth").set_value(7).run()
    at.number_input(key="init_seed").set_value(9).run()
    at.selectbox(key="init_act").set_value("relu").run()
    at.selectbox(key="init_method").set_value("uniform").run()
    at.number_input(key="init_uniform_low").set_value(-0.5).run()
    at.number_input(key="init_draw_seed").set_value(4).run()
    at.button(key="init_course_example").click().run()
    assert at.number_input(key="init_depth").value == 100
    assert at.number_input(key="init_seed").value == 3
    assert at.selectbox(key="init_act").value == network.NetConfig().activation
    assert at.selectbox(key="init_method").value == init_lab.DrawConfig().init.method
    assert at.number_input(key="init_draw_seed").value == 3
    at.selectbox(key="init_method").set_value("uniform").run()
    assert at.number_input(key="init_uniform_low").value == 0.0  # torch's default a


def test_orthogonal_is_a_column_of_the_matrix(open_page):
    at = open_page(PAGE)
    at.selectbox(key="init_act").set_value("tanh").run()
    at.selectbox(key="init_scheme").set_value("orthogonal").run()
    assert not at.exception
    assert "nn.init.orthogonal_(linear.weight, gain=1.6666666666666667)" in at.code[-1].value
