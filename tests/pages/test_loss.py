"""The loss page through AppTest: the course's example, table edits (via session_state), presets,
options, bad cells, the chosen reduction as the headline, typed tables that survive another page
and travel in a link, and a throwaway registry entry drawn by the same generic page."""

import json
from dataclasses import replace

import pandas as pd
import pyarrow as pa
import pytest
import torch
import torch.nn as nn
from streamlit.testing.v1 import AppTest

from core import compare, losses, text
from core.losses.registry import Curve, Loss, Preset, Steps, register
from core.losses.tables import TableSpec
from core.settings import Setting
from tests.pages.conftest import APP, plain
from tests.pages.vega import chart_specs, is_valid

PAGE = "lessons/loss.py"


def edit(at, table: str, edited_rows: dict, added_rows=(), deleted_rows=()):
    at.session_state[f"loss_table_{table}"] = {
        "edited_rows": edited_rows, "added_rows": list(added_rows),
        "deleted_rows": list(deleted_rows)}
    return at.run()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def shown_frames(at) -> list:
    """The read-only tables (AppTest lists the editors among the dataframes too)."""
    return [d.value for d in at.dataframe if d.proto.editing_mode == d.proto.READ_ONLY]


def headline(at) -> float:
    return float(at.metric[0].value)


def test_opens_on_the_course_cross_entropy_example(open_page):
    at = open_page(PAGE)
    assert at.selectbox(key="loss_preset").value == "CrossEntropyLoss"
    assert at.metric[0].label == "reduction='mean'"  # the chosen reduction is the headline
    assert headline(at) == 0.5224
    assert metrics(at)["reduction='sum' (not chosen)"] == "1.5671"
    assert any("checks agree with torch" in s.value for s in at.success)
    # its curve, and CrossEntropyLoss against MultiMarginLoss in the Compare tab (issue 14)
    titles = [json.loads(c.proto.spec).get("title") for c in at.get("vega_lite_chart")]
    assert titles == ["Loss of a sample vs its true class's probability",
                      "Each loss of sample 0 vs the score of its true class x[y] (its other "
                      "scores as typed)"]
    assert "nn.CrossEntropyLoss(reduction=reduction)" in at.code[-1].value
    assert not any("not the numbers typed" in c.value for c in at.caption)


def test_the_reduction_radio_changes_the_headline(open_page):
    at = open_page(PAGE)
    at.radio(key="loss_reduction").set_value("sum").run()
    assert at.metric[0].label == "reduction='sum'" and headline(at) == 1.5671
    assert metrics(at)["reduction='mean' (not chosen)"] == "0.5224"
    at.selectbox(key="loss_preset").set_value("BCELoss(sigmoid(x)), weight=[1, 1]").run()
    at.radio(key="loss_reduction").set_value("none").run()
    none = shown_frames(at)[0]  # torch's (4, 2), not a flat list of 8
    assert none.shape == (4, 2)
    expected = nn.BCELoss(reduction="none")(torch.sigmoid(torch.tensor(
        [[1.0, 2.0], [2.0, 2.0], [3.0, 4.0], [4.0, 5.0]])), torch.tensor(
        [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]))
    torch.testing.assert_close(torch.tensor(none.astype(float).to_numpy(), dtype=torch.float32),
                               expected)
    assert any("shape 4 × 2" in c.value for c in at.caption)


def test_editing_a_logit_changes_the_loss_as_torch_says(open_page):
    at = open_page(PAGE)
    edit(at, "inputs", {1: {"1": "-2"}})
    expected = nn.CrossEntropyLoss()(torch.tensor([[1.0, 2.0], [1.0, -2.0], [1.0, 3.0]]),
                                     torch.tensor([0, 1, 1]))
    assert headline(at) == pytest.approx(expected.item(), abs=5e-5)
    edit(at, "inputs", {1: {"1": "-2"}, 2: {"0": "4"}})
    expected = nn.CrossEntropyLoss()(torch.tensor([[1.0, 2.0], [1.0, -2.0], [4.0, 3.0]]),
                                     torch.tensor([0, 1, 1]))
    assert headline(at) == pytest.approx(expected.item(), abs=5e-5)


def test_adding_a_sample_to_both_tables(open_page):
    at = open_page(PAGE)
    edit(at, "inputs", {}, added_rows=[{"0": "0", "1": "5"}])
    assert any("target: has 3 rows but must have 4" in e.value for e in at.error)
    edit(at, "target", {}, added_rows=[{"indices": "0"}])
    at.radio(key="loss_reduction").set_value("sum").run()
    expected = nn.CrossEntropyLoss(reduction="sum")(
        torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0], [0.0, 5.0]]),
        torch.tensor([0, 1, 1, 0]))
    assert headline(at) == pytest.approx(expected.item(), abs=5e-5)


@pytest.mark.parametrize(("table", "cell", "message"), [
    ("inputs", {0: {"1": "abc"}}, "inputs, row 0, column 1: “abc” is not a number."),
    ("inputs", {2: {"0": "inf"}}, "inputs, row 2, column 0: inf is not finite"),
    ("target", {1: {"indices": "2"}}, "target, row 1, column 0: class index 2 is outside 0"),
    ("target", {0: {"indices": "0.5"}}, "target, row 0, column 0: 0.5 is not a whole number"),
])
def test_a_bad_cell_gets_a_message_and_stays_as_typed(open_page, table, cell, message):
    at = open_page(PAGE)
    edit(at, table, cell)
    assert not at.exception
    assert any(message in plain(e.value) for e in at.error), [e.value for e in at.error]
    row, change = next(iter(cell.items()))
    column, typed = next(iter(change.items()))
    assert at.session_state[f"loss_table_{table}"]["edited_rows"][row][column] == typed
    edit(at, table, {})
    assert headline(at) == 0.5224


@pytest.mark.parametrize("preset", list(losses.presets()))
def test_every_preset_matches_torch(open_page, preset):
    at = open_page(PAGE)
    at.selectbox(key="loss_preset").set_value(preset).run()
    assert not at.exception
    cfg, _ = losses.validate(losses.from_preset(preset))
    expected = losses.run(cfg)
    reduction = cfg.reduction
    if reduction != "none":
        assert headline(at) == pytest.approx(expected.losses[reduction], abs=5e-5)
    else:
        assert metrics(at)["reduction='mean' (not chosen)"] == f"{expected.losses['mean']:.4f}"
    agree = bool(expected.checks["agrees"].all())  # not where float32 loses BCE's gradient
    assert bool(at.success) == agree and bool(at.warning) != agree


def test_pos_weight_preset_is_the_courses_one_value(open_page):
    at = open_page(PAGE)
    at.selectbox(key="loss_preset").set_value("BCEWithLogitsLoss, pos_weight=[3]").run()
    assert at.toggle(key="loss_use_pos_weight").value
    assert at.data_editor(key="loss_table_pos_weight").value.shape == (1, 1)
    assert "pos_weight = torch.tensor([3.0])" in at.code[-1].value


def test_reset_restores_the_presets_tables(open_page):
    at = open_page(PAGE)
    edit(at, "inputs", {1: {"1": "7"}})
    assert headline(at) != 0.5224
    at.button(key="loss_reset").click().run()
    assert headline(at) == 0.5224


def test_typed_tables_survive_another_lesson_and_travel_in_a_link(open_page):
    at = open_page(PAGE)
    edit(at, "inputs", {1: {"1": "7"}})
    typed = headline(at)
    assert typed != 0.5224
    link = at.query_params["loss_tables"]
    link = link[0] if isinstance(link, list) else link
    at.switch_page("lessons/explosion.py").run()
    at.switch_page(PAGE).run()
    assert headline(at) == typed  # Streamlit dropped the editor's state; the page kept it
    # a new session opened from the link shows the same tables
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params["loss_tables"] = link
    fresh.run()
    fresh.switch_page(PAGE).run()
    assert headline(fresh) == typed
    assert not fresh.warning


def link_of(at: AppTest) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


def reopened(link: dict[str, str]) -> AppTest:
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params.update(link)
    fresh.switch_page(PAGE).run()
    assert not fresh.exception and not fresh.warning, fresh.warning
    return fresh


def test_an_example_and_its_edits_survive_a_reload_of_the_link(open_page):
    """The link a user copies (or reloads) after picking an example and typing into it opens that
    example with those tables, not the first example."""
    at = open_page(PAGE)
    at.selectbox(key="loss_preset").set_value("MSELoss").run()
    assert link_of(at)["loss_preset"] == "MSELoss"
    edit(at, "inputs", {0: {"0": "2"}})
    typed = headline(at)
    fresh = reopened(link_of(at))
    assert fresh.selectbox(key="loss_loss").value == "MSELoss"
    assert headline(fresh) == typed == pytest.approx((1 + 3 * 4) / 4)  # (2-3)² and three (1-3)²


def test_tables_too_long_for_a_link_stay_out_of_it_with_a_word(open_page):
    """CTC's course example holds 16,000 log-probabilities: edited, its tables would make a link
    no server takes; the page keeps them for the session and says why the link does not."""
    at = open_page(PAGE, loss_preset="CTCLoss, the course's T=50, C=20, N=16, S=30 (seeded)")
    edit(at, "target_lengths", {0: {"lengths": "12"}})
    assert "loss_tables" not in link_of(at)
    assert any("too long for a link" in c.value for c in at.caption)
    assert len("&".join(f"{k}={v}" for k, v in link_of(at).items())) < 1000


def test_a_bad_tables_link_gets_a_notice_naming_it(open_page):
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params["loss_tables"] = "not a table;;"
    fresh.switch_page(PAGE).run()
    assert not fresh.exception
    assert any("loss_tables" in plain(w.value) for w in fresh.warning)
    assert headline(fresh) == 0.5224


def test_label_smoothing_and_classes(open_page):
    at = open_page(PAGE)
    at.number_input(key="loss_options_label_smoothing").set_value(0.2).run()
    x = torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]])
    expected = nn.CrossEntropyLoss(label_smoothing=0.2)(x, torch.tensor([0, 1, 1]))
    assert headline(at) == pytest.approx(expected.item(), abs=5e-5)
    at.number_input(key="loss_classes").set_value(3).run()  # a third column of zeros
    expected = nn.CrossEntropyLoss(label_smoothing=0.2)(
        torch.cat([x, torch.zeros(3, 1)], 1), torch.tensor([0, 1, 1]))
    assert headline(at) == pytest.approx(expected.item(), abs=5e-5)
    at.number_input(key="loss_classes").set_value(99).run()
    # named as the control is labelled (issue 14: it said "classes")
    assert any(w.value == "Columns C: 99 is outside 1 to 20; using 20." for w in at.warning)


def test_soft_targets(open_page):
    at = open_page(PAGE)
    at.toggle(key="loss_options_soft_target").set_value(True).run()
    edit(at, "target", {0: {"0": "0.7", "1": "0.3"}})
    expected = nn.CrossEntropyLoss()(torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]]),
                                     torch.tensor([[0.7, 0.3], [0.0, 1.0], [0.0, 1.0]]))
    assert headline(at) == pytest.approx(expected.item(), abs=5e-5)


def test_chinese_interface(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "损失函数，一步一步"
    assert headline(at) == 0.5224


# ---- A throwaway entry: the page, the language check and a fuzz pass need no change ----------

# A throwaway option of the throwaway loss: one line in core (and its texts) puts it on the page,
# in the link and in the fuzz
FACTOR = Setting("factor", "float", 2.0, low=0.0, high=10.0, step=0.5)


def _scaled(t, options, reduction):
    x, factor = t["inputs"], float(options["factor"])
    loss = factor * x
    denominator = torch.tensor(float(x.numel()))
    grad = torch.full_like(x, factor) / (denominator if reduction == "mean" else 1)
    return Steps(pd.DataFrame({"loss": loss.flatten().tolist()}), loss, denominator, "elements",
                 {"inputs": grad}, [], x)


class Scaled(nn.Module):
    """factor·x, reduced as torch's losses reduce."""

    def __init__(self, factor=2.0, reduction="mean"):
        super().__init__()
        self.factor, self.reduction = factor, reduction

    def forward(self, x):
        loss = self.factor * x
        return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[self.reduction]


@pytest.fixture
def restored_losses():
    """The loss registry as it was before the test, whatever the test registered."""
    saved = dict(losses.LOSSES), dict(losses.FAMILIES)
    yield
    for registry, entries in zip((losses.LOSSES, losses.FAMILIES), saved, strict=True):
        registry.clear()
        registry.update(entries)


@pytest.fixture
def throwaway(monkeypatch, restored_losses):
    texts = {"en": ("Twice each input.", "The gradient is 2.", "factor", "Each input times it."),
             "zh": ("每个输入的两倍。", "梯度是 2。", "倍数", "每个输入乘以它。")}
    for lang, (steps, grad, label, help_text) in texts.items():  # its texts
        for key, value in {"loss.steps_Scaled": steps, "loss.grad_Scaled": grad,
                           "loss.options_factor": label,
                           "loss.options_factor_help": help_text}.items():
            monkeypatch.setitem(text.strings(lang), key, value)
    register(Loss(name="Scaled", module=Scaled,
                  tables=lambda o: (TableSpec("inputs", "values"),), options=(FACTOR,),
                  steps=_scaled, family="test",
                  curve=lambda o: Curve("error", -3.0, 3.0, lambda x: 2 * x),
                  presets=(Preset("Scaled", {"inputs": (("1", "2"),)}),)))
    yield "Scaled"


def test_a_throwaway_entry_is_drawn_by_the_generic_page(throwaway):
    from tests.pages.test_languages import english_only_phrases, shown_text

    for lang in ("en", "zh"):
        at = AppTest.from_file(APP, default_timeout=30)
        at.session_state["lang"] = lang
        at.query_params["loss_loss"] = throwaway
        at.switch_page(PAGE).run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.selectbox(key="loss_loss").value == throwaway
        assert headline(at) == 3.0  # mean of 2·[1, 2]
        if lang == "zh":
            english = english_only_phrases()
            assert not [s for s in shown_text(at) for p in english if p in s]


def test_a_throwaway_option_is_on_the_page_in_the_link_and_opens_from_it(throwaway):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["loss_loss"] = throwaway
    at.switch_page(PAGE).run()
    factor = at.number_input(key="loss_options_factor")  # its key derived from its path
    assert (factor.label, factor.help, factor.value) == ("factor", "Each input times it.", 2.0)
    assert factor.proto.query_param_key == "loss_options_factor"  # bound to the link
    factor.set_value(3.0).run()
    assert headline(at) == 4.5  # mean of 3·[1, 2]
    fresh = reopened({"loss_loss": throwaway, "loss_options_factor": "3.0"})
    assert fresh.number_input(key="loss_options_factor").value == 3.0
    assert headline(fresh) == 4.5
    described = losses.validate(losses.config(throwaway, {"inputs": (("1", "2"),)},
                                              {"factor": 99.0}))[1]
    assert [str(n) for n in described] == ["factor: 99.0 is outside 0.0 to 10.0; using 10.0."]


def test_a_throwaway_entry_survives_the_generic_fuzzing(throwaway):
    """The page fuzzer's own interactions (tests/pages/test_fuzz.py) on the throwaway loss,
    its option among the widgets it moves."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.pages.test_fuzz import assert_clean, interact

    @settings(max_examples=5, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def example(data):
        at = AppTest.from_file(APP, default_timeout=30)
        at.query_params["loss_loss"] = throwaway
        at.switch_page(PAGE).run()
        assert at.selectbox(key="loss_loss").value == throwaway
        assert not at.number_input(key="loss_options_factor").disabled  # the fuzzer moves it
        steps = []
        for _ in range(2):
            steps.append(interact(at, data))
            at.run()
            assert_clean(at, steps)

    example()


def test_compare_tab_draws_the_regression_family(open_page):
    at = open_page(PAGE)
    at.selectbox(key="loss_preset").set_value("SmoothL1Loss, errors in [-3, 3]").run()
    assert [tab.label for tab in at.tabs][-1] == "Compare losses"
    assert len(at.get("vega_lite_chart")) == 2
    totals = shown_frames(at)[-2]
    assert list(totals["loss"]) == ["SmoothL1Loss", "L1Loss", "MSELoss", "HuberLoss"]
    at.selectbox(key="loss_preset").set_value("BCEWithLogitsLoss, weight=[1, 1]").run()
    assert at.multiselect(key="loss_compare_binary").value == ["BCEWithLogitsLoss", "BCELoss"]
    at.selectbox(key="loss_preset").set_value("SoftMarginLoss").run()
    assert "Compare losses" not in [tab.label for tab in at.tabs]


# ---- Pin a view and compare (issue 17) ---------------------------------------------------------

A_LABEL, B_LABEL = "A (pinned)", "B (now)"


def course(**changes) -> losses.LossConfig:
    return replace(losses.validate(losses.from_preset("CrossEntropyLoss"))[0], **changes)


def chart_frames(at) -> dict[str, pd.DataFrame]:
    """The loss curve chart's data: "curve" (x, loss) and "marks" (the samples on it)."""
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
              for d in at.get("vega_lite_chart")[0].proto.datasets]
    return {"marks" if "sample_loss" in f else "curve": f for f in frames}


def described(at) -> str:
    return next(m.value for m in at.markdown if "B differs from A" in m.value
                or "same settings" in m.value)


def assert_view_is(at, label: str, cfg: losses.LossConfig) -> None:
    """The chart's rows of one view are what core computes for that view's Config alone."""
    expected = losses.run(cfg)
    frames = chart_frames(at)
    marks = frames["marks"][frames["marks"]["view"] == label]
    assert marks["sample_loss"].tolist() == pytest.approx(expected.marks["sample_loss"].tolist())
    assert marks["x"].tolist() == pytest.approx(expected.marks["x"].tolist())
    curve = frames["curve"][frames["curve"]["view"] == label]
    assert curve["loss"].tolist() == pytest.approx(expected.curve["loss"].tolist())


def pinned_course(open_page) -> AppTest:
    at = open_page(PAGE)
    at.button(key="loss_pin_button").click().run()
    assert described(at) == "A and B have the same settings."
    return at


def test_pin_then_sum_shows_both_views_as_core_computes_each(open_page):
    at = pinned_course(open_page)
    at.radio(key="loss_reduction").set_value("sum").run()
    a, b = course(), course(reduction="sum")
    assert described(at) == "B differs from A in reduction: mean → sum."
    head = at.metric[0]
    assert head.label == "reduction='sum'" and head.value == f"{losses.run(b).losses['sum']:.4f}"
    expected = losses.run(b).losses["sum"] - losses.run(a).losses["mean"]
    assert head.proto.delta == f"{expected:+.4f}"
    assert any(c.value == "A (pinned): reduction='mean' = 0.5224" for c in at.caption)
    unchanged = next(m for m in at.metric if m.label == "reduction='mean' (not chosen)")
    assert unchanged.proto.delta == "0.0000"  # the same mean: no "+0.0000" with an arrow
    assert_view_is(at, A_LABEL, a)
    assert_view_is(at, B_LABEL, b)
    assert is_valid(chart_specs(at)[0])  # the compared chart
    elements = next(f for f in shown_frames(at) if A_LABEL in f)
    for label, view in ((A_LABEL, a), (B_LABEL, b)):
        assert elements[label].tolist() == pytest.approx(losses.run(view).none)


def test_label_smoothing_against_none(open_page):
    at = pinned_course(open_page)
    at.number_input(key="loss_options_label_smoothing").set_value(0.1).run()
    assert described(at) == "B differs from A in label_smoothing ε: 0 → 0.1."
    b = course(options=(("label_smoothing", 0.1),))
    x = torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]])
    smoothed = nn.CrossEntropyLoss(label_smoothing=0.1)(x, torch.tensor([0, 1, 1])).item()
    assert headline(at) == pytest.approx(smoothed, abs=5e-5)
    assert at.metric[0].proto.delta == f"{losses.run(b).losses['mean'] - 0.5223733:+.4f}"
    assert_view_is(at, A_LABEL, course())
    assert_view_is(at, B_LABEL, b)


def test_a_weight_against_none(open_page):
    at = pinned_course(open_page)
    at.toggle(key="loss_use_weight").set_value(True).run()
    edit(at, "weight", {0: {"1": "2"}})
    assert described(at) == "B differs from A in weight: not a setting of A, [[1, 2]] in B."
    x = torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]])
    weighted = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0]))(x, torch.tensor([0, 1, 1]))
    assert headline(at) == pytest.approx(weighted.item(), abs=5e-5)
    b = replace(course(), tables=course().tables + (("weight", (("1", "2"),)),))
    assert_view_is(at, B_LABEL, b)


def test_edited_tables_are_named_not_dumped(open_page):
    at = pinned_course(open_page)
    edit(at, "inputs", {1: {"1": "7"}})
    assert described(at) == "B differs from A in inputs: changed."


def test_swap_restores_every_control_of_another_loss_and_unpin_ends_it(open_page):
    at = open_page(PAGE)
    bce = "BCELoss(sigmoid(x)), weight=[1, 1]"
    at.selectbox(key="loss_preset").set_value(bce).run()
    at.button(key="loss_pin_button").click().run()
    at.selectbox(key="loss_preset").set_value("MSELoss").run()
    assert "Loss function: BCELoss → MSELoss" in described(at)
    assert any("another quantity" in c.value for c in at.caption)  # A's curve: another axis
    at.button(key="loss_swap").click().run()
    assert at.selectbox(key="loss_loss").value == "BCELoss"
    assert at.toggle(key="loss_options_through_sigmoid").value
    assert at.toggle(key="loss_use_weight").value
    assert headline(at) == pytest.approx(
        losses.run(losses.validate(losses.from_preset(bce))[0]).losses["mean"], abs=5e-5)
    assert "Loss function: MSELoss → BCELoss" in described(at)
    at.button(key="loss_unpin").click().run()
    assert not any("B differs" in m.value for m in at.markdown)
    assert at.metric[0].proto.delta == ""
    bce_alone = losses.run(losses.validate(losses.from_preset(bce))[0]).curve
    assert chart_frames(at)["curve"].drop(columns="view", errors="ignore").shape \
        == bce_alone.shape  # one view


def test_a_link_with_a_and_b_opens_the_comparison(open_page):
    a = course(options=(("label_smoothing", 0.1),))
    b_tables = losses.encode({"inputs": (("1", "2"), ("1", "7"), ("1", "3")),
                              "target": (("0",), ("1",), ("1",))})
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params["loss_pin"] = compare.encode(a)
    fresh.query_params["loss_reduction"] = "sum"
    fresh.query_params["loss_tables"] = b_tables
    fresh.switch_page(PAGE).run()
    assert not fresh.exception and not fresh.warning
    b = course(reduction="sum", tables=losses.config(
        "CrossEntropyLoss", losses.decode(b_tables)).tables)
    assert described(fresh) == ("B differs from A in inputs: changed; "
                                "label_smoothing ε: 0.1 → 0; reduction: mean → sum.")
    assert_view_is(fresh, A_LABEL, a)
    assert_view_is(fresh, B_LABEL, b)
    assert headline(fresh) == pytest.approx(losses.run(b).losses["sum"], abs=5e-5)


@pytest.mark.parametrize("pin", [
    "not a view",
    compare.encode(course(loss="NoSuchLoss")),
    compare.encode(course(options=(("label_smoothing", (1, 2)),))),  # a list for a number
    compare.encode(course(tables=(("inputs", (("1", "x"),)),))),  # a letter in a cell
])
def test_an_unreadable_pin_in_a_link_is_named(pin):
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params["loss_pin"] = pin
    fresh.switch_page(PAGE).run()
    assert not fresh.exception, [e.value for e in fresh.exception]
    assert any("loss_pin" in plain(w.value) for w in fresh.warning)
    assert headline(fresh) == 0.5224
    fresh.run()  # nothing is pinned after the notice
    assert not fresh.exception and fresh.button(key="loss_pin_button")


def test_pinning_computes_nothing_beyond_b(open_page, monkeypatch):
    """A comes from the same cache as B: a rerun with A pinned runs core for B's new view only."""
    at = pinned_course(open_page)
    calls = []
    real = losses.run
    monkeypatch.setattr(losses, "run", lambda cfg: calls.append(cfg) or real(cfg))
    at.number_input(key="loss_options_label_smoothing").set_value(0.0731).run()  # new to the cache
    assert [dict(c.options) for c in calls] == [{"label_smoothing": 0.0731}]
    at.run()
    assert len(calls) == 1


# ---- Links made before the options' parameters were derived (loss_opt_NAME) -----------------

def test_old_links_still_open_the_same_view(open_link):
    """An option's parameter was loss_opt_NAME, written by hand; it is derived now
    (loss_options_NAME), and lessons.RENAMED_PARAMS reads an old one as its new one: label
    smoothing with typed tables, and BCELoss on probabilities."""
    tables = losses.encode({"inputs": (("1", "2"), ("1", "7"), ("1", "3")),
                            "target": (("0",), ("1",), ("1",))})
    at = open_link(PAGE, {"loss_opt_label_smoothing": "0.2", "loss_tables": tables,
                          "loss_reduction": "sum"})
    expected = nn.CrossEntropyLoss(label_smoothing=0.2, reduction="sum")(
        torch.tensor([[1.0, 2.0], [1.0, 7.0], [1.0, 3.0]]), torch.tensor([0, 1, 1]))
    assert headline(at) == pytest.approx(expected.item(), abs=5e-5)
    assert at.number_input(key="loss_options_label_smoothing").value == 0.2
    assert not at.warning and "loss_opt_label_smoothing" not in link_of(at)
    bce = open_link(PAGE, {"loss_preset": "BCELoss(sigmoid(x)), weight=[1, 1]",
                           "loss_opt_through_sigmoid": "false",
                           "loss_tables": losses.encode({"inputs": (("0.9", "0.2"),),
                                                         "target": (("1", "0"),),
                                                         "weight": (("1", "1"),)})})
    assert not bce.toggle(key="loss_options_through_sigmoid").value
    expected = nn.BCELoss()(torch.tensor([[0.9, 0.2]]), torch.tensor([[1.0, 0.0]]))
    assert headline(bce) == pytest.approx(expected.item(), abs=5e-5)
