"""The loss playground against torch: the course's numbers, every displayed stage and gradient
for random shapes, options and values, and the script the page shows."""

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from core import losses
from core.errors import InputError
from harness.scripts import printed_lines

COURSE_INPUTS = torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]])
COURSE_TARGET = torch.tensor([0, 1, 1])
BCE_INPUTS = torch.tensor([[1.0, 2.0], [2.0, 2.0], [3.0, 4.0], [4.0, 5.0]])
BCE_TARGET = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
CE, BCE, BCE_LOGITS = (losses.PRESETS[name] for name in (
    "CrossEntropyLoss", "BCELoss(sigmoid(x)), weight=[1, 1]", "BCEWithLogitsLoss, weight=[1, 1]"))


def cells(tensor: torch.Tensor) -> tuple:
    rows = tensor.tolist() if tensor.dim() == 2 else [[v] for v in tensor.tolist()]
    return tuple(tuple(repr(v) for v in row) for row in rows)


# ---- The course's examples, against the course's own code -----------------------------------

def test_page_opens_on_the_course_cross_entropy_example():
    result = losses.run(losses.PRESETS["CrossEntropyLoss"])
    for reduction in losses.REDUCTIONS:
        expected = nn.CrossEntropyLoss(reduction=reduction)(COURSE_INPUTS, COURSE_TARGET)
        torch.testing.assert_close(torch.tensor(result.losses[reduction]), expected.sum())
    assert result.per_sample == pytest.approx([1.3133, 0.1269, 0.1269], abs=1e-4)  # the course
    assert result.losses["mean"] == pytest.approx(0.5224, abs=1e-4)
    assert result.denominator == 3 and result.denominator_kind == "count"
    assert result.checks["agrees"].all()


def test_weighted_mean_divides_by_the_sum_of_the_picked_weights():
    result = losses.run(losses.PRESETS["CrossEntropyLoss, weight=[1, 2]"])
    weight = torch.tensor([1.0, 2.0])
    expected = nn.CrossEntropyLoss(weight=weight)(COURSE_INPUTS, COURSE_TARGET)
    assert result.losses["mean"] == pytest.approx(expected.item())
    assert result.denominator == 1 + 2 + 2  # w[0] + w[1] + w[1], as the course explains
    assert result.by_hand["mean"] == pytest.approx(result.losses["sum"] / 5)
    assert result.steps["weight"].tolist() == [1.0, 2.0, 2.0]


def test_nll_just_picks_and_negates():
    result = losses.run(losses.PRESETS["NLLLoss, weight=[1, 1]"])
    assert result.per_sample == [-1.0, -3.0, -3.0]
    expected = nn.NLLLoss(weight=torch.ones(2))(COURSE_INPUTS, COURSE_TARGET)
    assert result.losses["mean"] == expected.item()


@pytest.mark.parametrize("preset", [name for name in losses.PRESETS if name.startswith("BCE")])
def test_bce_course_examples(preset):
    config = losses.PRESETS[preset]
    result = losses.run(config)
    if preset.startswith("BCELoss"):
        expected = nn.BCELoss(weight=torch.ones(2), reduction="none")(
            torch.sigmoid(BCE_INPUTS), BCE_TARGET)
    else:
        pos = torch.tensor([3.0]) if "pos_weight" in preset else None
        expected = nn.BCEWithLogitsLoss(weight=torch.ones(2), pos_weight=pos,
                                        reduction="none")(BCE_INPUTS, BCE_TARGET)
    torch.testing.assert_close(torch.tensor(result.per_sample), expected.flatten())
    assert result.denominator == 8
    assert result.checks["agrees"].all()


def test_pos_weight_three_triples_the_positive_terms_only():
    plain = losses.run(BCE_LOGITS).per_sample
    weighted = losses.run(losses.PRESETS["BCEWithLogitsLoss, pos_weight=[3]"]).per_sample
    positive = BCE_TARGET.flatten().bool().tolist()
    for p, w, pos in zip(plain, weighted, positive, strict=True):
        assert w == pytest.approx(3 * p if pos else p, rel=1e-6)


def test_saturated_sigmoid_loses_the_gradient_and_the_page_says_so():
    config = replace(BCE, inputs=(("20", "-1"),), target=(("0", "1"),))
    result = losses.run(config)
    grads = result.gradients
    assert grads["autograd"][0] == 0.0  # sigmoid(20) is 1.0 in float32: nothing flows back
    assert grads["closed_form"][0] == pytest.approx(0.5)  # w·(σ − y) / (N·C) = 1 / 2
    checks = result.checks.set_index("check")["agrees"]
    assert not checks["gradient"] and not checks["bce_is_bce_with_logits"]
    assert result.losses["mean"] == pytest.approx((100 + F.softplus(torch.tensor(1.0)).item()) / 2)


def test_all_ignored_mean_is_nan_as_in_torch():
    config = replace(CE, target=(("-100",),) * 3)
    result = losses.run(config)
    assert result.losses["sum"] == 0.0
    assert result.denominator == 0
    assert torch.tensor(result.losses["mean"]).isnan()
    assert "loss" in result.nonfinite
    assert result.checks["agrees"].all()


# ---- Random shapes, options and values: every displayed stage equals torch's ---------------

@st.composite
def valid_configs(draw):
    loss = draw(st.sampled_from(sorted(losses.LOSSES)))
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    soft = loss == "CrossEntropyLoss" and draw(st.booleans())
    sigmoid = loss == "BCELoss" and draw(st.booleans())
    probability = loss == "BCELoss" and not sigmoid
    value = st.floats(0, 1, width=32) if probability else st.floats(-15, 15, width=32)
    inputs = torch.tensor(draw(st.lists(st.lists(value, min_size=c, max_size=c),
                                        min_size=n, max_size=n)))
    ignore_index = draw(st.sampled_from([-100, 0, c - 1, 7]))
    if losses.LOSSES[loss].target == "matrix" or soft:
        unit = st.floats(0, 1, width=32) | st.sampled_from([0.0, 1.0])
        target = torch.tensor(draw(st.lists(st.lists(unit, min_size=c, max_size=c),
                                            min_size=n, max_size=n)))
    else:
        choices = list(range(c)) + ([ignore_index] if ignore_index not in range(c) else [])
        target = torch.tensor(draw(st.lists(st.sampled_from(choices), min_size=n, max_size=n)))
    weights = st.lists(st.floats(0, 5, width=32), min_size=c, max_size=c).filter(any)
    weight = draw(st.none() | weights)
    pos_weight = draw(st.none() | weights) if loss == "BCEWithLogitsLoss" else None
    return losses.LossConfig(
        loss=loss, inputs=cells(inputs), target=cells(target),
        weight=None if weight is None else cells(torch.tensor([weight])),
        pos_weight=None if pos_weight is None else cells(torch.tensor([pos_weight])),
        reduction=draw(st.sampled_from(losses.REDUCTIONS)), ignore_index=ignore_index,
        label_smoothing=draw(st.sampled_from([0.0, 0.1, 0.5])) if loss == "CrossEntropyLoss"
        else 0.0, soft_target=soft, through_sigmoid=sigmoid)


def torch_loss(config: losses.LossConfig, x: torch.Tensor, reduction: str) -> torch.Tensor:
    """The same loss straight from torch.nn, written out independently of core's registry."""
    t = losses.parse(config)
    if config.loss == "CrossEntropyLoss":
        return nn.CrossEntropyLoss(weight=t.weight, ignore_index=config.ignore_index,
                                   label_smoothing=config.label_smoothing,
                                   reduction=reduction)(x, t.target)
    if config.loss == "NLLLoss":
        return nn.NLLLoss(weight=t.weight, ignore_index=config.ignore_index,
                          reduction=reduction)(x, t.target)
    if config.loss == "BCELoss":
        return nn.BCELoss(weight=t.weight, reduction=reduction)(
            torch.sigmoid(x) if config.through_sigmoid else x, t.target)
    return nn.BCEWithLogitsLoss(weight=t.weight, pos_weight=t.pos_weight,
                                reduction=reduction)(x, t.target)


def close(mine, theirs, **kw) -> None:
    """Equal to float32 tolerance (what torch computes in): rtol 1.3e-6, atol 1e-5 by default."""
    if isinstance(mine, torch.Tensor):
        mine = mine.numpy()
    torch.testing.assert_close(torch.tensor(np.array(mine, dtype=np.float32)),
                               torch.as_tensor(theirs).float(), equal_nan=True, **kw)


@settings(max_examples=300, deadline=None)
@given(config=valid_configs())
def test_every_stage_and_gradient_equals_torch(config):
    config, _ = losses.validate(config)
    result = losses.run(config)
    t = losses.parse(config)
    x = t.inputs.clone().requires_grad_()
    out = torch_loss(config, x, config.reduction)
    (grad,) = torch.autograd.grad(out.sum(), x)
    close(result.gradients["autograd"], grad.flatten())
    close(result.gradients["closed_form"], grad.flatten(), rtol=1e-4, atol=1e-5)
    none = torch_loss(config, t.inputs, "none")
    close(result.per_sample, none.flatten())
    close(result.steps["loss"], none.flatten())
    for reduction in ("sum", "mean"):
        close(result.losses[reduction], torch_loss(config, t.inputs, reduction))
        close(result.by_hand[reduction], torch_loss(config, t.inputs, reduction),
              rtol=1e-5, atol=1e-5)
    steps = result.steps
    c = t.inputs.shape[1]
    if config.loss == "CrossEntropyLoss":
        close(steps[[f"softmax[{i}]" for i in range(c)]].values, F.softmax(t.inputs, 1))
        close(steps[[f"log_softmax[{i}]" for i in range(c)]].values, F.log_softmax(t.inputs, 1))
    if config.loss == "BCEWithLogitsLoss":
        close(steps["log_sigmoid"], F.logsigmoid(t.inputs).flatten())
        close(steps["sigmoid"], torch.sigmoid(t.inputs).flatten())
    if config.loss == "BCELoss" and config.through_sigmoid:
        close(steps["sigmoid"], torch.sigmoid(t.inputs).flatten())
    if losses.target_shape(config) == "index":
        kept = t.target != config.ignore_index
        picked = F.log_softmax(t.inputs, 1) if config.loss == "CrossEntropyLoss" else t.inputs
        close(steps["picked"][kept.numpy()], picked[kept, t.target[kept]])
        w = t.weight if t.weight is not None else torch.ones(c)
        close(result.denominator, w[t.target[kept]].sum())
    # two torch paths, not core against torch: sigmoid rounds in float32 for large |z|, so
    # BCELoss(sigmoid(z)) drifts from BCEWithLogitsLoss(z) there (the page explains it)
    identities = result.checks["check"].isin(["bce_is_bce_with_logits", "bce_with_logits_is_bce"])
    if t.inputs.abs().max() > 5:
        assert result.checks[~identities]["agrees"].all(), result.checks
    else:
        assert result.checks["agrees"].all(), result.checks


# ---- Every invalid table gives an InputError naming it, never another exception ------------

BAD = [
    ("inputs", "a", "error.loss.not_a_number"), ("inputs", "", "error.loss.blank"),
    ("inputs", "nan", "error.loss.not_finite"), ("inputs", "-inf", "error.loss.not_finite"),
    ("target", "1.5", "error.loss.not_integer"), ("target", "2", "error.loss.class_range"),
    ("target", "-1", "error.loss.class_range"), ("target", "x", "error.loss.not_a_number"),
    ("weight", "-1", "error.loss.negative_weight"), ("weight", "inf", "error.loss.not_finite"),
]


@pytest.mark.parametrize(("table", "cell", "key"), BAD)
def test_bad_cells_name_table_row_column_and_rule(table, cell, key):
    config = losses.PRESETS["CrossEntropyLoss, weight=[1, 2]"]
    rows = [list(row) for row in getattr(config, table)]
    rows[-1][-1] = cell
    bad = replace(config, **{table: tuple(tuple(row) for row in rows)})
    with pytest.raises(InputError) as caught:
        losses.validate(bad)
    assert caught.value.key == key
    message = str(caught.value)
    assert message.startswith(table)
    if key != "error.loss.negative_weight":
        assert f"row {len(rows) - 1}, column {len(rows[-1]) - 1}" in message


@pytest.mark.parametrize(("change", "key"), [
    ({"inputs": ()}, "error.loss.empty"),
    ({"target": (("0",), ("1",))}, "error.loss.rows"),
    ({"weight": (("0", "0"),)}, "error.loss.zero_weights"),
    ({"weight": (("1", "1", "1"),)}, "error.loss.columns"),
])
def test_shape_and_weight_rules(change, key):
    with pytest.raises(InputError) as caught:
        losses.validate(replace(losses.PRESETS["CrossEntropyLoss, weight=[1, 2]"], **change))
    assert caught.value.key == key


def test_bce_probabilities_outside_unit_interval():
    config = replace(BCE, through_sigmoid=False)  # inputs 1..5 are not probs
    with pytest.raises(InputError, match=r"inputs, row 0, column 1: 2 is outside \[0, 1\]"):
        losses.validate(config)
    config = replace(BCE_LOGITS, target=(("1", "0"),) * 3 + (("0", "2"),))
    with pytest.raises(InputError, match="target, row 3, column 1"):
        losses.validate(config)


@settings(max_examples=300, deadline=None)
@given(config=valid_configs(), data=st.data())
def test_any_typed_cell_gives_a_result_or_an_input_error(config, data):
    table = data.draw(st.sampled_from(["inputs", "target", "weight", "pos_weight"]))
    rows = getattr(config, table)
    if rows is None:
        rows = (("1",) * len(config.inputs[0]),)
    rows = [list(row) for row in rows]
    cell = data.draw(st.text(max_size=6) | st.sampled_from(
        ["nan", "inf", "-1", "1e40", "0.5", "3", "-100", "1e-50", " 2 ", "1,5", "0x1"]))
    r, c = data.draw(st.integers(0, len(rows) - 1)), data.draw(st.integers(0, len(rows[0]) - 1))
    rows[r][c] = cell
    if data.draw(st.booleans()):
        rows = rows[: data.draw(st.integers(0, len(rows)))]
    bad = replace(config, **{table: tuple(tuple(row) for row in rows)})
    try:
        checked, _ = losses.validate(bad)
    except InputError as error:
        assert str(error) and not str(error).startswith("error.")
        return
    losses.run(checked)
    losses.to_script(checked)


def test_rows_are_bounded_with_a_notice():
    config = replace(CE, inputs=(("1", "2"),) * 100, target=(("0",),) * 100)
    checked, notices = losses.validate(config)
    assert len(checked.inputs) == losses.MAX_ROWS == len(checked.target)
    assert str(notices[0]) == "inputs: 100 rows is more than the page shows; using the first 64."
    assert losses.classes(50) == (16, losses.classes(50)[1])
    assert "classes: 50 is outside 1 to 16" in str(losses.classes(50)[1][0])


def test_reshape_keeps_what_was_typed():
    tables = losses.tables_of(losses.PRESETS["CrossEntropyLoss"], 2)
    wider = losses.reshape_tables(tables, 3, "matrix")
    assert wider["inputs"][0] == ("1", "2", "0")
    assert wider["target"] == (("1", "0", "0"), ("0", "1", "0"), ("0", "1", "0"))
    assert wider["weight"] == (("1", "1", "1"),)
    back = losses.reshape_tables(wider, 2, "index")
    assert back["target"] == (("0",), ("1",), ("1",))
    assert back["inputs"] == tables["inputs"]


# ---- The script the page shows prints the same numbers --------------------------------------

def run_script(script: str) -> dict[str, list]:
    printed = {}
    for line in printed_lines(script):
        name, value = line.split(" ", 1)
        printed[name] = eval(value, {"nan": float("nan"), "inf": float("inf")})  # noqa: S307
    return printed


@settings(max_examples=4, deadline=None)
@given(config=valid_configs())
def test_generated_script_reproduces_core(config):
    config, _ = losses.validate(config)
    result = losses.run(config)
    printed = run_script(losses.to_script(config))
    close(torch.tensor(printed["none"]).flatten(), result.per_sample)
    close(printed["sum"], result.losses["sum"])
    close(printed["mean"], result.losses["mean"])
    close(torch.tensor(printed["grad"]).flatten(), result.gradients["autograd"])


def test_course_script_prints_the_course_numbers():
    printed = run_script(losses.to_script(losses.PRESETS["CrossEntropyLoss"]))
    assert printed["none"] == pytest.approx([1.3133, 0.1269, 0.1269], abs=1e-4)
    assert printed["mean"] == pytest.approx(0.5224, abs=1e-4)
