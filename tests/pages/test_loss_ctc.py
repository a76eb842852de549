"""CTCLoss on the loss page through AppTest: its lattice drawn as the entry's own view, a bad
target named next to the tables and kept as typed, zero_infinity, and the page in Chinese."""

import json

import pytest
import torch
import torch.nn as nn
from streamlit.testing.v1 import AppTest

from core import losses
from tests.pages.conftest import APP, plain
from tests.pages.test_loss import PAGE, edit, headline

SMALL = "CTCLoss, small: T=8, C=4, target [1, 2, 2]"
COURSE = "CTCLoss, the course's T=50, C=20, N=16, S=30 (seeded)"


def small_torch_loss(targets, input_length=8, zero_infinity=False) -> float:
    t = losses.parse(losses.from_preset(SMALL))
    log_probs = t["logits"].log_softmax(1)[:, None]
    return nn.CTCLoss(zero_infinity=zero_infinity)(
        log_probs, torch.tensor([targets]), torch.tensor([input_length]),
        torch.tensor([len(targets)])).item()


def test_the_small_example_draws_its_lattice_and_matches_torch(open_page):
    at = open_page(PAGE)
    at.selectbox(key="loss_preset").set_value(SMALL).run()
    assert headline(at) == pytest.approx(small_torch_loss([1, 2, 2]), abs=5e-5)
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # the curve and the lattice
    assert any("most probable single alignment" in c.value for c in at.caption)
    assert any("checks agree with torch" in s.value for s in at.success)
    assert "nn.CTCLoss(reduction=reduction)" in at.code[-1].value


def test_editing_a_target_changes_the_loss_and_a_blank_is_named(open_page):
    at = open_page(PAGE)
    at.selectbox(key="loss_preset").set_value(SMALL).run()
    edit(at, "targets", {0: {"2": "3"}})
    assert headline(at) == pytest.approx(small_torch_loss([1, 2, 3]), abs=5e-5)
    edit(at, "targets", {0: {"1": "0"}})
    assert any("targets, row 0, column 1: the blank 0 cannot be a target label" in e.value
               for e in at.error)
    assert at.session_state["loss_typed"]["targets"] == (("1", "0", "2"),)  # kept as typed


def test_too_short_an_input_is_named_and_zero_infinity_zeroes_it(open_page):
    at = open_page(PAGE)
    at.selectbox(key="loss_preset").set_value(SMALL).run()
    edit(at, "input_lengths", {0: {"lengths": "3"}})
    assert any("input_lengths, row 0, column 0: input length 3 is too short" in plain(e.value)
               for e in at.error)
    at.toggle(key="loss_options_zero_infinity").set_value(True).run()
    assert not at.error and headline(at) == 0.0


def test_the_course_example_in_chinese():
    from tests.pages.test_languages import english_only_phrases, shown_text

    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "zh"
    at.query_params["loss_preset"] = COURSE
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="loss_preset").value == COURSE
    expected = losses.run(losses.from_preset(COURSE)).losses["mean"]
    assert headline(at) == pytest.approx(expected, abs=5e-5)
    english = english_only_phrases()
    assert not [s for s in shown_text(at) for p in english if p in s]
    titles = [json.loads(c.proto.spec).get("title") for c in at.get("vega_lite_chart")]
    assert "样本 0 的对齐网格：时间 × 扩展标签上的 log α" in titles
