"""Adding an activation or an init method is one registry entry plus its texts: a throwaway of
each, registered in a fixture, goes through the pages, both languages and the shown scripts."""

import math

import pytest
import streamlit as st
import torch

from core import activations, init_lab, initializers, network, text
from harness.scripts import printed_lines
from tests.pages.test_init import keep_choices
from tests.pages.test_languages import english_on

ACTIVATION, METHOD = "softsign", "half_normal"


def half_normal_cdf(spec, fan_in, fan_out, value):
    return max(0.0, 2 * initializers.normal_cdf(0.0, spec.std, value) - 1)


def half_normal_script(spec, target, generator):
    given = f", generator={generator}" if generator else ""
    return f"{target}.data.normal_(0, {spec.std!r}{given}).abs_()"


@pytest.fixture
def throwaway(monkeypatch):
    """softsign, which calculate_gain does not know, and |N(0, σ²)|, which nn.init has not."""
    monkeypatch.setitem(activations.ACTIVATIONS, ACTIVATION, activations.Activation(
        "torch.nn.functional.softsign(x)", (), lambda a: 1.0, "init.gain_formula_one"))
    monkeypatch.setitem(initializers.METHODS, METHOD, initializers.Method(
        (initializers.STD_PARAM,),
        entry_mean=lambda spec, fi, fo: spec.std * math.sqrt(2 / math.pi),
        entry_std=lambda spec, fi, fo: spec.std * math.sqrt(1 - 2 / math.pi),
        cdf=half_normal_cdf,
        fill=lambda spec, w, g: w.normal_(0, spec.std, generator=g).abs_(),
        script=half_normal_script))
    formula = "|N(0, σ²)|: std = σ·√(1 − 2/π) = **{result:.4g}**"
    for lang in text.LANGUAGES:
        monkeypatch.setitem(text.strings(lang), f"init.formula_{METHOD}", formula)
    st.cache_data.clear()  # results cached before the registries grew (and after, below)
    yield
    st.cache_data.clear()


def test_the_explosion_page_runs_the_throwaway_activation(throwaway, open_page):
    at = open_page("lessons/explosion.py")
    at.selectbox(key="explosion_activation").set_value(ACTIVATION).run()
    assert not at.exception
    expected = network.run(network.NetConfig(activation=ACTIVATION))
    assert at.code[0].value == "\n".join(expected.console)
    assert "x = torch.nn.functional.softsign(x)" in at.code[-1].value


def test_the_init_page_has_a_matrix_row_a_gain_row_and_the_method(throwaway, open_page):
    for lang in text.LANGUAGES:
        at = open_page("lessons/init.py", lang=lang)
        keep_choices(at, "init_activation")
        at.selectbox(key="init_activation").set_value(ACTIVATION).run()
        assert not at.exception
        table = at.dataframe[0].value
        assert ACTIVATION in table.iloc[:, 0].tolist()  # the gains tab: a row of its own
        at = open_page("lessons/init.py", lang=lang, init_tab="methods")
        keep_choices(at, "init_draw_init_method")
        at.selectbox(key="init_draw_init_method").set_value(METHOD).run()
        assert not at.exception
        metrics = [m.value for m in at.metric]
        assert metrics[0] == f"{math.sqrt(1 - 2 / math.pi):.5g}"
        if lang == "zh":
            assert not english_on(at)


def test_the_throwaways_scripts_print_what_core_computes(throwaway):
    gains = init_lab.GainConfig()
    table = init_lab.gains(gains)
    printed = [line.split() for line in printed_lines(init_lab.gains_script(gains))]
    assert [p[0] for p in printed] == table["nonlinearity"].tolist()
    assert [float(p[2]) for p in printed] == table["course_ratio"].tolist()
    assert math.isnan(float(printed[-1][1]))  # calculate_gain does not know softsign
    draw = init_lab.DrawConfig(initializers.METHODS[METHOD].spec(METHOD), 40, 30, seed=5)
    result = init_lab.draw(draw)
    printed = dict(line.split() for line in printed_lines(init_lab.draw_script(draw)))
    assert float(printed["mean"]) == result.mean and float(printed["std"]) == result.std
    config = init_lab.cell(init_lab.MatrixConfig(depth=6, width=20, batch=3), ACTIVATION,
                           "xavier_gain")
    assert printed_lines(network.to_script(config))[:6] == network.run(config).console[:6]
    x = torch.linspace(-3, 3, 7)
    assert torch.equal(activations.function(ACTIVATION, 0.01)(x), torch.nn.functional.softsign(x))
