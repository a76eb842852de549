"""The initialisation page through AppTest: the course's three demos, the methods, clamping,
errors and Chinese."""

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
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 36


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
    at.number_input(key="init_m_low").set_value(5.0).run()
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
