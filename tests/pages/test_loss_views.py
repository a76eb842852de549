"""The loss page's views that issue 14's audit added, through AppTest: the regression family on
one chart, the comparison of the losses picked, each option's help for its own loss, Poisson's
hand check, the CTC lattices of a picked sample, and their words in both languages."""

import json

import pandas as pd
import pyarrow as pa
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from core import losses, text
from core.losses import sequence
from tests.pages.test_loss import PAGE, headline, shown_frames
from tests.pages.vega import chart_specs, is_valid

HUBER = "HuberLoss, errors in [-3, 3]"
CTC_COURSE = "CTCLoss, the course's T=50, C=20, N=16, S=30 (seeded)"


def chart_data(chart) -> list[pd.DataFrame]:
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in chart.proto.datasets]


def titles(at) -> list:
    return [json.loads(c.proto.spec).get("title") for c in at.get("vega_lite_chart")]


def test_a_regression_loss_draws_l1_mse_smoothl1_and_huber_together(open_page):
    at = open_page(PAGE, loss_preset=HUBER)
    at.number_input(key="loss_options_delta").set_value(0.5).run()
    curve = next(f for f in chart_data(at.get("vega_lite_chart")[0]) if "series" in f)
    assert set(curve["series"]) == {"HuberLoss", "L1Loss", "MSELoss", "SmoothL1Loss"}
    huber = curve[curve["series"] == "HuberLoss"]
    x = torch.tensor(huber["x"].to_numpy(), dtype=torch.float32)
    torch.testing.assert_close(torch.tensor(huber["loss"].to_numpy(), dtype=torch.float32),
                               nn.HuberLoss(delta=0.5, reduction="none")(x, torch.zeros_like(x)))
    rules = next(f for f in chart_data(at.get("vega_lite_chart")[0]) if "label" in f)
    assert set(rules["label"]) == {"delta = 0.5", "beta = 1"}
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    domains = [layer["encoding"]["y"]["scale"].get("domain") for layer in spec["layer"]
               if "y" in layer.get("encoding", {}) and "scale" in layer["encoding"]["y"]]
    assert [0.0, 3.0] in domains  # MSE's 9 leaves the chart instead of squashing the rest


def test_the_compare_tab_compares_the_losses_picked(open_page):
    at = open_page(PAGE, loss_preset=HUBER)
    picker = at.multiselect(key="loss_compare_regression")
    assert picker.value == ["HuberLoss", "L1Loss", "MSELoss", "SmoothL1Loss"]  # all at first
    picker.set_value(["HuberLoss", "MSELoss"]).run()
    totals, elements = shown_frames(at)[-2:]
    assert list(totals["loss"]) == ["HuberLoss", "MSELoss"]
    assert list(elements.columns) == ["sample", "error d", "HuberLoss", "MSELoss"]
    errors = torch.tensor([-3.0, -2, -1, -0.5, 0, 0.5, 1, 2, 3])
    assert elements["MSELoss"].tolist() == pytest.approx((errors ** 2).tolist())
    compared = chart_data(at.get("vega_lite_chart")[-1])
    assert {"HuberLoss", "MSELoss"} == set(next(f for f in compared if "series" in f
                                                and "value" in f)["series"])
    picker.set_value([]).run()
    assert any("Pick at least one loss" in i.value for i in at.info)
    assert not at.exception


def test_cross_entropy_and_multimargin_are_drawn_on_one_axis(open_page):
    at = open_page(PAGE)
    assert titles(at)[-1].startswith("Each loss of sample 0 vs the score of its true class")
    frames = chart_data(at.get("vega_lite_chart")[-1])
    lines = next(f for f in frames if "series" in f and len(f) > 100)
    ce = lines[lines["series"] == "CrossEntropyLoss"]
    scores = torch.tensor(ce["x"].to_numpy(), dtype=torch.float32)
    probe = torch.tensor([1.0, 2.0]).repeat(len(scores), 1)
    probe[:, 0] = scores
    torch.testing.assert_close(torch.tensor(ce["value"].to_numpy(), dtype=torch.float32),
                               F.cross_entropy(probe, torch.zeros(len(scores), dtype=torch.long),
                                               reduction="none"))
    elements = shown_frames(at)[-1]
    assert list(elements.columns) == ["sample", "x[y]", "CrossEntropyLoss", "MultiMarginLoss"]


def test_each_option_is_explained_for_its_own_loss(open_page):
    at = open_page(PAGE, loss_preset="PoissonNLLLoss, randn((2, 2)), seed 0")
    assert not [n for n in at.number_input if n.key == "loss_options_eps"]  # log_input on: no eps
    at.toggle(key="loss_options_log_input").set_value(False).run()
    eps = at.number_input(key="loss_options_eps")
    assert eps.help == text.strings("en")["loss.options_eps_help_PoissonNLLLoss"]
    assert "log(x + eps)" in eps.help
    at.selectbox(key="loss_preset").set_value("GaussianNLLLoss").run()
    assert "variance" in at.number_input(key="loss_options_eps").help
    at.selectbox(key="loss_preset").set_value("MultiMarginLoss").run()
    assert "true class" in at.number_input(key="loss_options_margin").help
    assert at.radio(key="loss_reduction").help == text.strings("en")["loss.reduction_help"]
    assert at.number_input(key="loss_classes").help == text.strings("en")["loss.classes_help"]


def test_poissons_hand_check_is_shown_beside_torchs(open_page):
    at = open_page(PAGE, loss_preset="PoissonNLLLoss, randn((2, 2)), seed 0")
    t = losses.parse(losses.from_preset("PoissonNLLLoss, randn((2, 2)), seed 0"))
    theirs = F.poisson_nll_loss(t["inputs"], t["target"], reduction="none")[0, 0].item()
    note = next(m.value for m in at.markdown if "Element 0 by hand" in m.value)
    assert f"torch's element 0: **{theirs:.6g}**" in note
    steps = shown_frames(at)
    table = next(f for f in steps if "exp_x" in f)
    assert table["exp_x"].tolist()[0] == pytest.approx(t["inputs"][0, 0].exp().item())


def test_losses_averaged_over_samples_explain_their_denominator(open_page):
    at = open_page(PAGE, loss_preset="MarginRankingLoss")
    shown = [m.value for m in at.markdown if "mean's denominator" in m.value]
    assert shown == ["**mean's denominator** = the number of samples N = **3** (one loss per "
                     "sample; weights do not enter the count)"]


def test_the_ctc_lattices_of_the_sample_picked(open_page):
    at = open_page(PAGE, loss_preset=CTC_COURSE)
    assert titles(at)[1] == "Alignment lattice of sample 0: log α over time × extended label"
    at.selectbox(key="loss_view_sample").set_value(3).run()
    assert titles(at)[1] == "Alignment lattice of sample 3: log α over time × extended label"
    t = losses.parse(losses.from_preset(CTC_COURSE))
    expected = F.ctc_loss(sequence.log_probs(t), t["targets"], t["input_lengths"],
                          t["target_lengths"], reduction="none")[3].item()
    note = next(c.value for c in at.caption if "Upper lattice" in c.value)
    assert "for sample 3, log p" in note and f"ctc_loss gives {expected:.6g}" in note
    cells = next(f for f in chart_data(at.get("vega_lite_chart")[1]) if "occupancy" in f)
    assert cells.groupby("time")["occupancy"].sum().tolist() == pytest.approx([1.0] * 50)
    assert headline(at) == pytest.approx(losses.run(losses.from_preset(CTC_COURSE)).losses[
        "mean"], abs=5e-5)  # the loss is over every sample, whichever is drawn


def test_fewer_samples_than_the_one_drawn_start_at_sample_0(open_page):
    at = open_page(PAGE, loss_preset=CTC_COURSE)
    at.selectbox(key="loss_view_sample").set_value(15).run()
    at.selectbox(key="loss_preset").set_value(
        "CTCLoss, small: T=8, C=4, target [1, 2, 2]").run()  # one sample: no picker
    assert not at.exception
    assert titles(at)[1] == "Alignment lattice of sample 0: log α over time × extended label"


def test_chinese_presets_tabs_and_checks(open_page):
    at = open_page(PAGE, lang="zh", loss_preset="KLDivLoss, the course's call (inputs not logged)")
    picker = at.selectbox(key="loss_preset")
    assert picker.value == "KLDivLoss, the course's call (inputs not logged)"  # the link's id
    assert "KLDivLoss，课程的调用（输入未取对数）" in picker.options
    assert [tab.label for tab in at.tabs][:4] == ["逐步计算", "归约", "梯度", "与 torch 核对"]
    checks = next(f for f in shown_frames(at) if "核对项" in f)
    assert list(checks.columns) == ["核对项", "最大 |差|", "一致"]
    assert "解析梯度 = 自动求导，对 inputs" in checks["核对项"].tolist()


@pytest.mark.parametrize("preset", [HUBER, "SmoothL1Loss, errors in [-3, 3]", "CrossEntropyLoss",
                                    "CTCLoss, small: T=8, C=4, target [1, 2, 2]",
                                    "TripletMarginLoss, margin=1.0, p=1"])
@pytest.mark.parametrize("present", [False, True])
def test_every_new_chart_is_valid_vega_lite(open_page, preset, present):
    at = open_page(PAGE, loss_preset=preset, present=present)
    specs = chart_specs(at)
    assert len(specs) >= 2
    assert all(is_valid(spec) for spec in specs)


def test_a_pinned_regression_view_draws_each_views_own_loss(open_page):
    at = open_page(PAGE, loss_preset=HUBER)
    at.button(key="loss_pin_button").click().run()
    at.number_input(key="loss_options_delta").set_value(2.0).run()
    spec = chart_specs(at)[0]
    assert is_valid(spec)
    curve = next(f for f in chart_data(at.get("vega_lite_chart")[0]) if "view" in f
                 and "loss" in f and "sample" not in f)
    # A's and B's own loss, not the family twice
    assert set(curve["series"]) == {"HuberLoss"} and curve["view"].value_counts().to_dict() == {
        "A (pinned)": 201, "B (now)": 201}
    b = curve[curve["view"] == "B (now)"]
    x = torch.tensor(b["x"].to_numpy(), dtype=torch.float32)
    torch.testing.assert_close(torch.tensor(b["loss"].to_numpy(), dtype=torch.float32),
                               nn.HuberLoss(delta=2.0, reduction="none")(x, torch.zeros_like(x)))


@pytest.mark.parametrize("preset", [HUBER, "CTCLoss, small: T=8, C=4, target [1, 2, 2]",
                                    "PoissonNLLLoss, randn((2, 2)), seed 0", "MultiMarginLoss"])
def test_the_new_views_in_chinese_have_no_english(preset):
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import APP
    from tests.pages.test_languages import english_only_phrases, shown_text

    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "zh"
    at.query_params["loss_preset"] = preset
    at.switch_page(PAGE).run()
    assert not at.exception
    english = english_only_phrases()
    assert not [p for s in shown_text(at) + [m.label for m in at.multiselect]
                for p in english if p in s]


# ---- A lecturer's second pass (issue 22) -----------------------------------------------------

SATURATED = "BCELoss(sigmoid(x)), logits ±30"


def test_the_gradients_tab_states_where_float32_rounds_sigmoid(open_page):
    """The note says what torch.sigmoid does (found again in tests/core/test_losses_binary.py),
    not the old "0 or 1 for |z| above about 17"."""
    from core.losses.binary import float32_edges

    at = open_page(PAGE, loss_preset=SATURATED)
    edges = float32_edges()
    note = next(m.value for m in at.markdown if "What float32 does" in m.value)
    for value in edges.values():
        assert f"z = {value:.4g}" in note
    assert not [m.value for m in at.markdown if "exactly 0 or 1" in m.value]
    assert titles(at)[:2] == ["Loss of one element vs the logit of its true label",
                              "Its gradient w.r.t. that logit x, by autograd"]
    at.selectbox(key="loss_preset").set_value("BCEWithLogitsLoss, weight=[1, 1]").run()
    assert not [m.value for m in at.markdown if "What float32 does" in m.value]


def test_the_example_and_the_loss_never_read_the_same(open_page):
    """Both choices read "CrossEntropyLoss" before: an example named as its loss now reads as
    the call."""
    at = open_page(PAGE)
    examples = set(at.selectbox(key="loss_preset").options)
    assert not examples & set(at.selectbox(key="loss_loss").options)
    assert "CrossEntropyLoss()" in examples


def test_the_step_tables_loss_column_stays_in_sight(open_page):
    """BCELoss's nine stages scrolled its loss column off the table's right edge: the loss (and
    the sample and class naming the row) are pinned at the left."""
    at = open_page(PAGE, loss_preset=SATURATED)
    steps = next(d for d in at.dataframe if d.proto.editing_mode == d.proto.READ_ONLY
                 and "log_1mx" in d.value)
    pinned = {name for name, config in json.loads(steps.proto.columns).items()
              if config.get("pinned")}
    assert pinned == {"sample", "class", "loss"}


def test_a_class_weight_shows_on_the_chart_against_a_pinned_view(open_page):
    """CrossEntropyLoss with weight [1, 2] (B) against none (A): B's samples of class 1 sit on
    the line w = 2, at twice A's loss, as torch computes each view's."""
    from tests.pages.test_loss import edit

    at = open_page(PAGE)
    at.button(key="loss_pin_button").click().run()
    at.toggle(key="loss_use_weight").set_value(True).run()
    edit(at, "weight", {0: {"1": "2"}})
    marks = next(f for f in chart_data(at.get("vega_lite_chart")[0]) if "sample_loss" in f)
    a, b = (marks[marks["view"] == view] for view in ("A (pinned)", "B (now)"))
    x = torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]])
    target = torch.tensor([0, 1, 1])
    assert a["loss"].tolist() == pytest.approx(
        nn.CrossEntropyLoss(reduction="none")(x, target).tolist(), rel=1e-5)
    assert b["loss"].tolist() == pytest.approx(nn.CrossEntropyLoss(
        weight=torch.tensor([1.0, 2.0]), reduction="none")(x, target).tolist(), rel=1e-5)
    lines = next(f for f in chart_data(at.get("vega_lite_chart")[0]) if "series" in f)
    assert set(lines[lines["view"] == "B (now)"]["series"]) == {"w = 1", "w = 2"}
