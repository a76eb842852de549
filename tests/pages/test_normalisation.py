"""The normalisation page through AppTest: the course's BatchNorm printout, the unbiased variance
said from the numbers, torch's own refusals, each layer's block and check, pin and compare, links
and Chinese; every shown script run and compared with the page's console."""

import pytest
import torch
import torch.nn as nn

from core.normalisation import batchnorm, layers
from harness.scripts import run_script
from tests.core.test_normalisation import course_batchnorm
from tests.pages.conftest import plain

PAGE = "lessons/normalisation.py"
BN, LAYERS = "normalisation_batchnorm", "normalisation_layers"


def words(at) -> str:
    return plain(" ".join(m.value for m in at.markdown))


def test_opens_on_the_course_batch_with_its_printout(open_page):
    at = open_page(PAGE)
    lines = at.code[0].value.splitlines()
    assert "iteration:0, running mean: tensor([0.3000, 0.6000, 0.9000, 1.2000, 1.5000]) " in lines
    assert "iteration:1, feature 1 running var by hand:0.48999999999999994" in lines
    assert "are the course's hand update at every pass" in words(at)
    # the script prints exactly the console
    assert run_script(at.code[-1].value).strip() == at.code[0].value.strip()
    table = at.dataframe[0].value
    seen = course_batchnorm(batchnorm.BatchNormConfig())
    assert table["running_var"].tolist() == [v for _, var in seen for v in var]


def test_the_scaled_batch_says_torch_keeps_the_unbiased_variance(open_page):
    at = open_page(PAGE)
    at.selectbox(key=f"{BN}_pattern").set_value("scaled").run()
    result = batchnorm.run(batchnorm.BatchNormConfig(pattern="scaled"))
    row = result.passes.iloc[result.passes["batch_var"].idxmax()]
    said = words(at)
    assert "is **not** the course's hand update" in at.markdown[1].value or "not" in said
    assert f"biased variance {row.batch_var:.6g}, unbiased {row.batch_var_unbiased:.6g}" in said
    assert f"torch's running_var {row.running_var:.6g}" in said
    assert "1.5 times as large" in said  # n/(n − 1) for n = 3


def test_a_batch_of_one_shows_torchs_own_message(open_page):
    at = open_page(PAGE)
    at.number_input(key=f"{BN}_batch").set_value(1).run()
    assert not at.exception
    with pytest.raises(ValueError) as torch_says:
        nn.BatchNorm1d(5)(torch.ones(1, 5, 1))
    assert [e.value for e in at.error] == [plain(f"torch refuses: {torch_says.value}")] or \
        any(str(torch_says.value) in plain(e.value) for e in at.error)
    assert run_script(at.code[-1].value).strip() == at.code[0].value.strip()


def test_pinned_momentum_is_compared(open_page):
    at = open_page(PAGE)
    at.button(key=f"{BN}_pin_button").click().run()
    at.number_input(key=f"{BN}_momentum").set_value(0.1).run()
    assert not at.exception
    assert "B differs from A in momentum: 0.3 → 0.1." in [m.value for m in at.markdown]
    assert len(at.code) == 3  # A's printout, B's, the script
    assert "running mean: tensor([0.1000" in at.code[1].value


def layers_link(open_link, **params):
    return open_link(PAGE, {"normalisation_tab": "layers",
                            **{f"{LAYERS}_{name}": str(value) for name, value in params.items()}})


def test_the_course_layernorm_and_its_block(open_link):
    at = layers_link(open_link)
    assert len(at.get("vega_lite_chart")) == 1  # the cube
    assert "here 72 values (blue), those of sample 0" in words(at)
    result = layers.run(layers.LayerConfig())
    assert f"by at most {result.largest_difference:.3g}" in words(at)
    table = at.dataframe[0].value
    assert table["output (torch)"].tolist() == result.output[0].flatten().tolist()
    assert run_script(at.code[-1].value).strip() == at.code[0].value.strip()


@pytest.mark.parametrize(("params", "make", "shape"), [
    ({"normalized_shape": "6, 3"}, lambda: nn.LayerNorm([6, 3]), (8, 6, 3, 4)),
    ({"layer": "groupnorm", "groups": 3}, lambda: nn.GroupNorm(3, 4), (2, 4, 2, 2))])
def test_what_torch_refuses_is_said_in_its_words(open_link, params, make, shape):
    at = layers_link(open_link, **params)
    assert not at.exception
    with pytest.raises((RuntimeError, ValueError)) as torch_says:
        make()(torch.ones(shape))
    assert any(str(torch_says.value) in plain(e.value) for e in at.error)
    assert at.code[0].value.endswith(f"Error: {torch_says.value}")
    assert run_script(at.code[-1].value).strip() == at.code[0].value.strip()


def test_groupnorm_groups_and_the_highlighted_group(open_link):
    at = layers_link(open_link, layer="groupnorm", groups=2, sample=1, channel=3)
    assert "sample 1, channels 2 to 3 are 8 values" in words(at)
    table = at.dataframe[0].value
    assert table["(n, c, h, w)"].tolist()[0] == "(1, 2, 0, 0)"
    with torch.no_grad():
        expected = nn.GroupNorm(2, 4)(layers.course_input(layers.LayerConfig(
            layer="groupnorm")))[1, 2:4].flatten().tolist()
    assert table["output (torch)"].tolist() == expected


def test_a_highlight_outside_the_tensor_is_clamped_with_a_notice(open_link):
    at = layers_link(open_link, layer="instancenorm", sample=7, channel=5)
    assert any("Sample n to highlight: 7 is outside 0 to 2; using 2." in w.value
               for w in at.warning)
    assert "sample 2, channel 2 is 4 values" in words(at)


def test_pinned_groups_draw_two_cubes(open_link):
    at = layers_link(open_link, layer="groupnorm")
    at.button(key=f"{LAYERS}_pin_button").click().run()
    at.selectbox(key=f"{LAYERS}_groups").set_value("1").run()
    assert not at.exception
    assert "B differs from A in groups: 4 → 1." in [m.value for m in at.markdown]
    assert len(at.get("vega_lite_chart")) == 2
