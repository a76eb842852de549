"""The loss page through AppTest: the course's example, table edits (via session_state, as
DESIGN.md says), presets, options and bad cells, checked against what torch computes."""

import pytest
import torch
import torch.nn as nn

PAGE = "lessons/loss.py"


def edit(at, key: str, edited_rows: dict, added_rows=(), deleted_rows=()):
    at.session_state[key] = {"edited_rows": edited_rows, "added_rows": list(added_rows),
                             "deleted_rows": list(deleted_rows)}
    return at.run()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def mean(at) -> float:
    return float(metrics(at)["reduction='mean'"])


def test_opens_on_the_course_cross_entropy_example(open_page):
    at = open_page(PAGE)
    assert at.selectbox(key="loss_preset").value == "CrossEntropyLoss"
    assert "reduction='none': [1.3133, 0.1269, 0.1269]" in [c.value for c in at.caption]
    assert metrics(at)["reduction='sum'"] == "1.5671"
    assert mean(at) == 0.5224
    assert any("All 8 checks agree with torch" in s.value for s in at.success)
    assert len(at.get("vega_lite_chart")) == 1
    assert "nn.CrossEntropyLoss(reduction=reduction)" in at.code[-1].value


def test_editing_a_logit_changes_the_loss_as_torch_says(open_page):
    at = open_page(PAGE)
    edit(at, "loss_inputs", {1: {"1": "-2"}})
    assert not at.exception
    expected = nn.CrossEntropyLoss()(torch.tensor([[1.0, 2.0], [1.0, -2.0], [1.0, 3.0]]),
                                     torch.tensor([0, 1, 1]))
    assert mean(at) == pytest.approx(expected.item(), abs=5e-5)
    # the typed table is kept: a second, different edit applies on top of the same base
    edit(at, "loss_inputs", {1: {"1": "-2"}, 2: {"0": "4"}})
    expected = nn.CrossEntropyLoss()(torch.tensor([[1.0, 2.0], [1.0, -2.0], [4.0, 3.0]]),
                                     torch.tensor([0, 1, 1]))
    assert mean(at) == pytest.approx(expected.item(), abs=5e-5)


def test_adding_a_sample_to_both_tables(open_page):
    at = open_page(PAGE)
    edit(at, "loss_inputs", {}, added_rows=[{"0": "0", "1": "5"}])
    assert any("target: has 3 rows but must have 4" in e.value for e in at.error)
    edit(at, "loss_target", {}, added_rows=[{"class": "0"}])
    expected = nn.CrossEntropyLoss(reduction="sum")(
        torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0], [0.0, 5.0]]),
        torch.tensor([0, 1, 1, 0]))
    assert float(metrics(at)["reduction='sum'"]) == pytest.approx(expected.item(), abs=5e-5)


@pytest.mark.parametrize(("key", "cell", "message"), [
    ("loss_inputs", {0: {"1": "abc"}}, "inputs, row 0, column 1: “abc” is not a number."),
    ("loss_inputs", {2: {"0": "inf"}}, "inputs, row 2, column 0: inf is not finite"),
    ("loss_target", {1: {"class": "2"}}, "target, row 1, column 0: class index 2 is outside 0"),
    ("loss_target", {0: {"class": "0.5"}}, "target, row 0, column 0: 0.5 is not a whole number"),
])
def test_a_bad_cell_gets_a_message_and_stays_as_typed(open_page, key, cell, message):
    at = open_page(PAGE)
    edit(at, key, cell)
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    row, change = next(iter(cell.items()))
    column, typed = next(iter(change.items()))
    table = at.session_state[key]
    assert table["edited_rows"][row][column] == typed  # nothing rewrote what was typed
    # fixing it brings the results back
    edit(at, key, {})
    assert mean(at) == 0.5224


def test_weight_preset_and_its_denominator(open_page):
    at = open_page(PAGE)
    at.selectbox(key="loss_preset").set_value("CrossEntropyLoss, weight=[1, 2]").run()
    assert at.toggle(key="loss_use_weight").value
    expected = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0]))(
        torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]]), torch.tensor([0, 1, 1]))
    assert mean(at) == pytest.approx(expected.item(), abs=5e-5)
    text = " ".join(m.value for m in at.markdown)
    assert "1 + 2 + 2 = **5**" in text
    edit(at, "loss_weight", {0: {"0": "-1"}})
    assert any("weight, column 0: -1 is negative" in e.value for e in at.error)
    edit(at, "loss_weight", {0: {"0": "0", "1": "0"}})
    assert any("every weight is zero" in e.value for e in at.error)


NAMES = {"nll": "NLLLoss, weight=[1, 1]", "bce": "BCELoss(sigmoid(x)), weight=[1, 1]",
         "bce_logits": "BCEWithLogitsLoss, weight=[1, 1]",
         "bce_logits_pos": "BCEWithLogitsLoss, pos_weight=[3]"}


@pytest.mark.parametrize("preset", list(NAMES))
def test_every_preset_matches_torch(open_page, preset):
    at = open_page(PAGE)
    at.selectbox(key="loss_preset").set_value(NAMES[preset]).run()
    assert not at.exception
    x = torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]])
    xb = torch.tensor([[1.0, 2.0], [2.0, 2.0], [3.0, 4.0], [4.0, 5.0]])
    yb = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    expected = {
        "nll": lambda: nn.NLLLoss(weight=torch.ones(2))(x, torch.tensor([0, 1, 1])),
        "bce": lambda: nn.BCELoss(weight=torch.ones(2))(torch.sigmoid(xb), yb),
        "bce_logits": lambda: nn.BCEWithLogitsLoss(weight=torch.ones(2))(xb, yb),
        "bce_logits_pos": lambda: nn.BCEWithLogitsLoss(
            weight=torch.ones(2), pos_weight=torch.tensor([3.0]))(xb, yb),
    }[preset]()
    assert mean(at) == pytest.approx(expected.item(), abs=5e-5)
    assert at.success, "every check agrees with torch"


def test_bce_on_probabilities_rejects_values_outside_unit_interval(open_page):
    at = open_page(PAGE)
    at.selectbox(key="loss_preset").set_value("BCELoss(sigmoid(x)), weight=[1, 1]").run()
    at.toggle(key="loss_sigmoid").set_value(False).run()
    assert any("inputs, row 0, column 1: 2 is outside [0, 1]" in e.value for e in at.error)


def test_label_smoothing_and_classes(open_page):
    at = open_page(PAGE)
    at.number_input(key="loss_smoothing").set_value(0.2).run()
    x = torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]])
    expected = nn.CrossEntropyLoss(label_smoothing=0.2)(x, torch.tensor([0, 1, 1]))
    assert mean(at) == pytest.approx(expected.item(), abs=5e-5)
    at.number_input(key="loss_classes").set_value(3).run()  # a third column of zeros
    expected = nn.CrossEntropyLoss(label_smoothing=0.2)(
        torch.cat([x, torch.zeros(3, 1)], 1), torch.tensor([0, 1, 1]))
    assert mean(at) == pytest.approx(expected.item(), abs=5e-5)
    at.number_input(key="loss_classes").set_value(99).run()
    assert any("classes: 99 is outside 1 to 16; using 16." in w.value for w in at.warning)


def test_soft_targets(open_page):
    at = open_page(PAGE)
    at.toggle(key="loss_soft").set_value(True).run()
    assert not at.exception
    edit(at, "loss_target", {0: {"0": "0.7", "1": "0.3"}})
    expected = nn.CrossEntropyLoss()(torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]]),
                                     torch.tensor([[0.7, 0.3], [0.0, 1.0], [0.0, 1.0]]))
    assert mean(at) == pytest.approx(expected.item(), abs=5e-5)


def test_chinese_interface(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "损失函数，一步一步"
    assert mean(at) == 0.5224
