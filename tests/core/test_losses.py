"""The loss registry against torch: the course's numbers, every stage and gradient of every loss
for every preset and for hypothesis-generated inputs, bad cells, the link encoding, and the script
the page shows (run, and every printed number compared)."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from core import losses
from core.errors import InputError
from core.losses.tables import reshape
from harness.scripts import printed_lines
from tests.core.loss_inputs import ctc_configs, linear_configs

COURSE_INPUTS = torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]])
COURSE_TARGET = torch.tensor([0, 1, 1])
BCE_INPUTS = torch.tensor([[1.0, 2.0], [2.0, 2.0], [3.0, 4.0], [4.0, 5.0]])
BCE_TARGET = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
PRESETS = list(losses.presets())
OWN_TABLES = {"CTCLoss": ctc_configs, "LinearCrossEntropyLoss": linear_configs}


def close(mine, theirs, **kw) -> None:
    """Equal to float32 tolerance (what torch computes in)."""
    mine = np.array(getattr(mine, "tolist", lambda: mine)(), dtype=np.float32)
    torch.testing.assert_close(torch.tensor(mine), torch.as_tensor(theirs).float().reshape(
        mine.shape), equal_nan=True, **kw)


def within(mine, theirs, tolerance) -> None:
    """mine is theirs up to each element's own tolerance (and a relative 1e-4), nan for nan."""
    mine, theirs, tolerance = (
        v.double().flatten() if isinstance(v, torch.Tensor)
        else torch.tensor(np.array(v, dtype=np.float64)).flatten()
        for v in (mine, theirs, tolerance))
    same = (mine == theirs) | (mine.isnan() & theirs.isnan())
    ok = same | ((mine - theirs).abs() <= tolerance + 1e-4 * theirs.abs())
    assert ok.all(), (mine[~ok], theirs[~ok], tolerance[~ok])


# ---- torch's own answer, written here for each loss with its explicit arguments -------------
# Not the registry's make(), which core calls: the none, reduced and autograd comparisons below
# check core against torch.nn, not against itself. Each: the call on the parsed tensors t and the
# options o, and the tables the gradient is taken with respect to.

def _distance(name: str):
    return {"pairwise_distance": None,
            "pairwise_distance_p1": lambda a, b: F.pairwise_distance(a, b, p=1),
            "cosine_distance": lambda a, b: 1 - F.cosine_similarity(a, b)}[name]


def _ctc(t, o, r):
    n, c = len(t["input_lengths"]), t["logits"].shape[1]
    log_probs = t["logits"].reshape(n, -1, c).transpose(0, 1).log_softmax(2)  # (T, N, C)
    return nn.CTCLoss(blank=o["blank"], zero_infinity=o["zero_infinity"], reduction=r)(
        log_probs, t["targets"], t["input_lengths"], t["target_lengths"])


def _linear_ce(t, o, r):
    """torch's functional form: the weight matrix is an argument of its own there."""
    return F.linear_cross_entropy(
        t["inputs"], t["linear_weight"], t["target"], weight=t.get("weight"),
        ignore_index=None if o["soft_target"] else o["ignore_index"],
        label_smoothing=o["label_smoothing"], reduction=r)


INPUTS = ("inputs",)
REFERENCE = {
    "CrossEntropyLoss": (lambda t, o, r: nn.CrossEntropyLoss(
        weight=t.get("weight"), ignore_index=-100 if o["soft_target"] else o["ignore_index"],
        label_smoothing=o["label_smoothing"], reduction=r)(t["inputs"], t["target"]), INPUTS),
    "NLLLoss": (lambda t, o, r: nn.NLLLoss(weight=t.get("weight"), ignore_index=o["ignore_index"],
                                           reduction=r)(t["inputs"], t["target"]), INPUTS),
    "BCELoss": (lambda t, o, r: nn.BCELoss(weight=t.get("weight"), reduction=r)(
        torch.sigmoid(t["inputs"]) if o["through_sigmoid"] else t["inputs"], t["target"]),
        INPUTS),
    "BCEWithLogitsLoss": (lambda t, o, r: nn.BCEWithLogitsLoss(
        weight=t.get("weight"), pos_weight=t.get("pos_weight"), reduction=r)(
        t["inputs"], t["target"]), INPUTS),
    "SoftMarginLoss": (lambda t, o, r: nn.SoftMarginLoss(reduction=r)(t["inputs"], t["target"]),
                       INPUTS),
    "L1Loss": (lambda t, o, r: nn.L1Loss(reduction=r)(t["inputs"], t["target"]), INPUTS),
    "MSELoss": (lambda t, o, r: nn.MSELoss(reduction=r)(t["inputs"], t["target"]), INPUTS),
    "SmoothL1Loss": (lambda t, o, r: nn.SmoothL1Loss(beta=o["beta"], reduction=r)(
        t["inputs"], t["target"]), INPUTS),
    "HuberLoss": (lambda t, o, r: nn.HuberLoss(delta=o["delta"], reduction=r)(
        t["inputs"], t["target"]), INPUTS),
    "MarginRankingLoss": (lambda t, o, r: nn.MarginRankingLoss(margin=o["margin"], reduction=r)(
        t["x1"], t["x2"], t["target"]), ("x1", "x2")),
    "TripletMarginLoss": (lambda t, o, r: nn.TripletMarginLoss(
        margin=o["margin"], p=o["p"], eps=o["eps"], swap=o["swap"], reduction=r)(
        t["anchor"], t["positive"], t["negative"]), ("anchor", "positive", "negative")),
    "TripletMarginWithDistanceLoss": (lambda t, o, r: nn.TripletMarginWithDistanceLoss(
        distance_function=_distance(o["distance_function"]), margin=o["margin"],
        swap=o["swap"], reduction=r)(t["anchor"], t["positive"], t["negative"]),
        ("anchor", "positive", "negative")),
    "PoissonNLLLoss": (lambda t, o, r: nn.PoissonNLLLoss(
        log_input=o["log_input"], full=o["full"], eps=o["eps"], reduction=r)(
        t["inputs"], t["target"]), INPUTS),
    "GaussianNLLLoss": (lambda t, o, r: nn.GaussianNLLLoss(full=o["full"], eps=o["eps"],
                                                           reduction=r)(
        t["inputs"], t["target"], t["var"]), INPUTS),
    "HingeEmbeddingLoss": (lambda t, o, r: nn.HingeEmbeddingLoss(margin=o["margin"],
                                                                 reduction=r)(
        t["inputs"], t["target"]), INPUTS),
    "KLDivLoss": (lambda t, o, r: nn.KLDivLoss(reduction=r, log_target=o["log_target"])(
        t["inputs"], t["target"]), INPUTS),
    "CosineEmbeddingLoss": (lambda t, o, r: nn.CosineEmbeddingLoss(margin=o["margin"],
                                                                   reduction=r)(
        t["x1"], t["x2"], t["target"]), ("x1", "x2")),
    "MultiMarginLoss": (lambda t, o, r: nn.MultiMarginLoss(
        p=o["p"], margin=o["margin"], weight=t.get("weight"), reduction=r)(
        t["inputs"], t["target"]), INPUTS),
    "MultiLabelSoftMarginLoss": (lambda t, o, r: nn.MultiLabelSoftMarginLoss(
        weight=t.get("weight"), reduction=r)(t["inputs"], t["target"]), INPUTS),
    "MultiLabelMarginLoss": (lambda t, o, r: nn.MultiLabelMarginLoss(reduction=r)(
        t["inputs"], t["target"]), INPUTS),
    "CTCLoss": (_ctc, ("logits",)),
    "LinearCrossEntropyLoss": (_linear_ce, ("inputs", "linear_weight")),
}


def test_every_loss_has_its_own_torch_reference():
    assert set(REFERENCE) == set(losses.LOSSES)
    for name, (_, tables) in REFERENCE.items():
        assert losses.LOSSES[name].differentiable == tables, name


def torch_reference(cfg: losses.LossConfig, reduction: str, leaves: dict | None = None):
    """torch.nn's answer for the config, on the parsed tensors (leaves: some of them as
    tensors that take a gradient)."""
    call, _ = REFERENCE[cfg.loss]
    t = {**losses.parse(cfg), **(leaves or {})}
    with warnings.catch_warnings():  # KLDivLoss's 'mean' is asked for on purpose
        warnings.simplefilter("ignore", UserWarning)
        return call(t, losses.options_of(cfg), reduction)


def assert_matches_torch(cfg: losses.LossConfig, closed_form: bool = True) -> None:
    """Every number of the view is torch's; closed_form: and the closed-form gradient is
    torch's autograd (not where float32 loses torch's gradient, as the page says: the saturated
    preset, asserted in tests/core/test_losses_binary.py)."""
    result = losses.run(cfg)
    t = losses.parse(cfg)
    close(torch.tensor(result.none), torch_reference(cfg, "none"))
    close(result.steps["loss"].to_numpy(), torch_reference(cfg, "none").flatten())
    for reduction in result.losses:
        close(result.losses[reduction], torch_reference(cfg, reduction))
        close(result.by_hand[reduction], torch_reference(cfg, reduction), rtol=1e-5, atol=1e-5)
    leaves = {name: t[name].clone().requires_grad_() for name in REFERENCE[cfg.loss][1]}
    out = torch_reference(cfg, cfg.reduction, leaves)
    grads = torch.autograd.grad(out.sum(), list(leaves.values()))
    for name, grad in zip(leaves, grads, strict=True):
        shown = result.gradients[result.gradients["table"] == name]
        close(shown["autograd"].to_numpy(), grad.flatten())
        if closed_form:
            within(shown["closed_form"].to_numpy(), grad.flatten().double(),
                   shown["tolerance"].to_numpy())
    # every stage the page shows that has a torch twin: checked in run, asserted here
    identities = result.checks["check"].isin(["bce_is_bce_with_logits", "bce_with_logits_is_bce"]
                                             + ([] if closed_form else ["gradient"]))
    assert result.checks[~identities]["agrees"].all(), result.checks


SATURATED = "BCELoss(sigmoid(x)), logits ±30"


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_every_stage_and_gradient_equals_torch(preset):
    for reduction in losses.entry(losses.from_preset(preset)).reductions:
        cfg, _ = losses.validate(losses.from_preset(preset))
        cfg = losses.LossConfig(cfg.loss, cfg.tables, cfg.options, reduction)
        assert_matches_torch(cfg, closed_form=preset != SATURATED)


# ---- The course's examples, against the course's own code -----------------------------------

def test_course_cross_entropy():
    result = losses.run(losses.from_preset("CrossEntropyLoss"))
    assert result.none == pytest.approx([1.3133, 0.1269, 0.1269], abs=1e-4)  # the course
    assert result.losses["mean"] == pytest.approx(0.5224, abs=1e-4)
    assert result.denominator == 3 and result.denominator_kind == "count"


def test_weighted_mean_divides_by_the_sum_of_the_picked_weights():
    result = losses.run(losses.from_preset("CrossEntropyLoss, weight=[1, 2]"))
    expected = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0]))(COURSE_INPUTS, COURSE_TARGET)
    assert result.losses["mean"] == pytest.approx(expected.item())
    assert result.denominator == 1 + 2 + 2  # w[0] + w[1] + w[1], as the course explains
    assert result.steps["weight"].tolist() == [1.0, 2.0, 2.0]


def test_nll_just_picks_and_negates():
    assert losses.run(losses.from_preset("NLLLoss, weight=[1, 1]")).none == [-1.0, -3.0, -3.0]


def test_bce_none_is_in_torchs_shape_and_pos_weight_is_one_value():
    result = losses.run(losses.from_preset("BCELoss(sigmoid(x)), weight=[1, 1]"))
    assert result.none_shape == (4, 2)
    cfg = losses.from_preset("BCEWithLogitsLoss, pos_weight=[3]")
    assert cfg.table("pos_weight") == (("3",),)  # the course's pos_weight=[3], one value
    expected = nn.BCEWithLogitsLoss(weight=torch.ones(2), pos_weight=torch.tensor([3.0]),
                                    reduction="none")(BCE_INPUTS, BCE_TARGET)
    close(torch.tensor(losses.run(cfg).none), expected)
    assert "pos_weight = torch.tensor([3.0])" in losses.to_script(cfg)
    per_class = losses.config("BCEWithLogitsLoss", {**dict(cfg.tables),
                                                    "pos_weight": (("3", "1"),)})
    plain, weighted = losses.run(per_class).none, losses.run(
        losses.from_preset("BCEWithLogitsLoss, weight=[1, 1]")).none
    assert weighted[0][1] == plain[0][1] and weighted[2][0] == plain[2][0]  # target 0: as is


def test_course_regression_and_margin_examples():
    assert losses.run(losses.from_preset("L1Loss")).losses["mean"] == 2.0  # |1 − 3|
    assert losses.run(losses.from_preset("MSELoss")).losses["mean"] == 4.0  # (1 − 3)²
    soft = losses.run(losses.from_preset("SoftMarginLoss"))
    expected = nn.SoftMarginLoss(reduction="none")(torch.tensor([[0.3, 0.7], [0.5, 0.5]]),
                                                   torch.tensor([[-1.0, 1.0], [1.0, -1.0]]))
    close(torch.tensor(soft.none), expected)


def test_saturated_sigmoid_loses_the_gradient_and_the_checks_say_so():
    cfg = losses.config("BCELoss", {"inputs": (("20", "-1"),), "target": (("0", "1"),)},
                        {"through_sigmoid": True})
    result = losses.run(cfg)
    assert result.gradients["autograd"][0] == 0.0  # sigmoid(20) is 1.0 in float32
    assert result.gradients["closed_form"][0] == pytest.approx(0.5)
    assert not result.checks.set_index("check")["agrees"]["gradient"]


def test_all_ignored_mean_is_nan_as_in_torch():
    cfg = losses.config("CrossEntropyLoss", {"inputs": (("1", "2"),) * 3,
                                             "target": (("-100",),) * 3})
    result = losses.run(cfg)
    assert result.losses["sum"] == 0.0 and torch.tensor(result.losses["mean"]).isnan()
    assert "loss" in result.nonfinite
    assert result.checks["agrees"].all()


# ---- Hypothesis: random shapes, options and values for every loss ----------------------------

# Values are numbers a student types: zero, or at least 1e-6 in size. Torch's float32 backward of
# cosine_similarity at a vector of norm 1e-18 subtracts two terms of size 1e8 and keeps their
# rounding (7e-3 where the exact gradient is 0); the closed form is exact there.
TYPED = st.floats(-5, 5, width=32).filter(lambda x: x == 0 or abs(x) >= 1e-6)
CELL = {"logits": st.floats(-15, 15, width=32), "values": TYPED,
        "log_probs": st.floats(-15, 15, width=32), "probabilities": st.floats(0, 1, width=32),
        "unit": st.floats(0, 1, width=32) | st.sampled_from([0.0, 1.0]),
        "signs": st.sampled_from([-1.0, 1.0]), "weights": st.floats(0.25, 5, width=32),
        "positive": st.floats(0.25, 5, width=32)}


@st.composite
def valid_configs(draw, name: str | None = None):
    name = name or draw(st.sampled_from(sorted(losses.LOSSES)))
    if name in OWN_TABLES:  # tables that are not N × C: the entry's own test draws them
        return draw(OWN_TABLES[name]())
    loss = losses.LOSSES[name]
    options = {}
    for option in loss.options:
        if option.kind == "bool":
            options[option.name] = draw(st.booleans())
        elif option.name == "ignore_index":
            options[option.name] = draw(st.sampled_from([-100, 0, 7]))
        elif option.kind == "choice":
            options[option.name] = draw(st.sampled_from(option.choices))
        elif option.bound is not None:
            options[option.name] = draw(st.sampled_from(
                [option.default, option.low, option.high, 0.5]))
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    tables = {}
    for spec in loss.tables({**{o.name: o.default for o in loss.options}, **options}):
        if spec.optional and draw(st.booleans()):
            continue
        rows = 1 if spec.rows == "1" else n
        width = 1 if spec.columns == "1" else draw(st.sampled_from([1, c])) \
            if spec.columns == "C|1" else c
        if spec.kind == "index_lists":  # target classes first, then -1 padding
            cells = [sorted(draw(st.lists(st.integers(0, c - 1), max_size=c, unique=True)))
                     for _ in range(rows)]
            cells = [row + [-1] * (c - len(row)) for row in cells]
        elif spec.kind == "indices":
            choices = list(range(c)) + ([options["ignore_index"]] if "ignore_index" in options
                                        else [])
            cells = [[draw(st.sampled_from(choices))] for _ in range(rows)]
        else:
            cells = [[draw(CELL[spec.kind]) for _ in range(width)] for _ in range(rows)]
        tables[spec.name] = tuple(tuple(repr(v) for v in row) for row in cells)
    return losses.config(name, tables, options, draw(st.sampled_from(loss.reductions)))


@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_generated_inputs_every_stage_and_gradient_equal_torch(name):
    @settings(max_examples=15, deadline=None)
    @given(cfg=valid_configs(name))
    def check(cfg):
        cfg, _ = losses.validate(cfg)
        assert_matches_torch(cfg)
    check()


def test_a_zero_anchor_with_the_cosine_distance_has_torchs_gradient():
    """Found by the generated inputs: at a zero anchor the two distances' gradients are each
    about 1e8 and cancel; the closed form rounds as torch's backward does (0, not 8)."""
    cfg, _ = losses.validate(losses.config(
        "TripletMarginWithDistanceLoss",
        {"anchor": (("0.0",),), "positive": (("1.0",),), "negative": (("0.003",),)},
        {"distance_function": "cosine_distance"}, "none"))
    assert_matches_torch(cfg)
    anchor = losses.run(cfg).gradients.query("table == 'anchor'")
    assert anchor["closed_form"].tolist() == anchor["autograd"].tolist() == [0.0]


@pytest.mark.parametrize("small", [1.1e-5, 4.97e-5, 1.3e-4])
def test_a_short_anchor_beside_the_cosine_distances_terms_is_within_their_float32_steps(small):
    """Found by the generated inputs: an anchor (0, small) and a negative (1, 2) give the
    anchor's second gradient entry as the difference of two terms of size 1/small, exactly 0 in
    closed form and a few float32 steps of those terms in torch's order (0.002 at 4.97e-5); the
    tolerance the page shows is 8 steps of each term, not the 1e-5 that fits unit vectors."""
    cfg, _ = losses.validate(losses.config(
        "TripletMarginWithDistanceLoss",
        {"anchor": (("0.0", "0.0"), ("0.0", repr(small))), "positive": (("0.0", "0.0"),) * 2,
         "negative": (("0.0", "0.0"), ("1.0", "2.0"))},
        {"distance_function": "cosine_distance"}, "none"))
    assert_matches_torch(cfg)
    anchor = losses.run(cfg).gradients.query("table == 'anchor'")
    terms = 1 / np.float32(small)
    assert anchor["tolerance"].iloc[3] == pytest.approx(1e-5 + 16 * np.finfo(np.float32).eps
                                                        * terms, rel=1e-6)


# ---- Every invalid table gives an InputError naming it, never another exception ------------

@pytest.mark.parametrize(("preset", "table", "cell", "key"), [
    ("CrossEntropyLoss, weight=[1, 2]", "inputs", "a", "error.loss.not_a_number"),
    ("CrossEntropyLoss, weight=[1, 2]", "inputs", "", "error.loss.blank"),
    ("CrossEntropyLoss, weight=[1, 2]", "inputs", "nan", "error.loss.not_finite"),
    ("CrossEntropyLoss, weight=[1, 2]", "target", "1.5", "error.loss.not_integer"),
    ("CrossEntropyLoss, weight=[1, 2]", "target", "2", "error.loss.class_range"),
    ("CrossEntropyLoss, weight=[1, 2]", "weight", "-1", "error.loss.negative_weight"),
    ("SoftMarginLoss", "target", "0", "error.loss.not_sign"),
    ("BCEWithLogitsLoss, weight=[1, 1]", "target", "2", "error.loss.target_probability"),
    ("MultiLabelMarginLoss", "target", "1", "error.loss.padding"),
    ("MultiLabelMarginLoss", "target", "4", "error.loss.index_list"),
])
def test_bad_cells_name_table_row_column_and_rule(preset, table, cell, key):
    cfg = losses.from_preset(preset)
    rows = [list(row) for row in cfg.table(table)]
    rows[-1][-1] = cell
    bad = losses.config(cfg.loss, {**dict(cfg.tables), table: tuple(map(tuple, rows))},
                        dict(cfg.options), cfg.reduction)
    with pytest.raises(InputError) as caught:
        losses.validate(bad)
    assert caught.value.key == key
    message = str(caught.value)
    assert message.startswith(table)
    if table != "weight":
        assert f"row {len(rows) - 1}, column {len(rows[-1]) - 1}" in message


def test_bce_probabilities_outside_unit_interval():
    cfg = losses.from_preset("BCELoss(sigmoid(x)), weight=[1, 1]")
    bad = losses.config("BCELoss", dict(cfg.tables), {"through_sigmoid": False})
    with pytest.raises(InputError, match=r"inputs, row 0, column 1: 2 is outside \[0, 1\]"):
        losses.validate(bad)


@pytest.mark.parametrize(("change", "key"), [
    ({"inputs": ()}, "error.loss.empty"),
    ({"target": (("0",), ("1",))}, "error.loss.rows"),
    ({"weight": (("0", "0"),)}, "error.loss.zero_weights"),
    ({"weight": (("1", "1", "1"),)}, "error.loss.columns"),
])
def test_shape_and_weight_rules(change, key):
    cfg = losses.from_preset("CrossEntropyLoss, weight=[1, 2]")
    with pytest.raises(InputError) as caught:
        losses.validate(losses.config(cfg.loss, {**dict(cfg.tables), **change}))
    assert caught.value.key == key


def test_pos_weight_takes_one_or_c_values_only():
    cfg = losses.from_preset("BCEWithLogitsLoss, pos_weight=[3]")
    bad = losses.config(cfg.loss, {**dict(cfg.tables), "pos_weight": (("1", "2", "3"),)})
    with pytest.raises(InputError, match="1 or 2 are needed"):
        losses.validate(bad)


@settings(max_examples=60, deadline=None)
@given(cfg=valid_configs(), data=st.data())
def test_any_typed_cell_gives_a_result_or_an_input_error(cfg, data):
    name = data.draw(st.sampled_from([n for n, _ in cfg.tables]))
    rows = [list(row) for row in cfg.table(name)]
    cell = data.draw(st.text(max_size=6) | st.sampled_from(
        ["nan", "inf", "-1", "1e40", "0.5", "3", "-100", "1e-50", " 2 ", "1,5", "0x1"]))
    r, c = data.draw(st.integers(0, len(rows) - 1)), data.draw(st.integers(0, len(rows[0]) - 1))
    rows[r][c] = cell
    bad = losses.config(cfg.loss, {**dict(cfg.tables), name: tuple(map(tuple, rows))},
                        dict(cfg.options), cfg.reduction)
    try:
        checked, _ = losses.validate(bad)
    except InputError as error:
        assert str(error) and not str(error).startswith("error.")
        return
    losses.run(checked)
    losses.to_script(checked)


def test_rows_are_bounded_with_a_notice():
    cfg = losses.config("CrossEntropyLoss", {"inputs": (("1", "2"),) * 100,
                                             "target": (("0",),) * 100})
    checked, notices = losses.validate(cfg)
    assert len(checked.table("inputs")) == losses.MAX_ROWS == len(checked.table("target"))
    assert "inputs: 100 rows is more than the page shows; using the first 64." in map(str, notices)


def test_reshape_keeps_what_was_typed():
    cfg = losses.from_preset("CrossEntropyLoss")
    soft = losses.config("CrossEntropyLoss", {}, {"soft_target": True})
    wider = losses.fit_tables(soft, dict(cfg.tables), 3)
    assert wider["inputs"][0] == ("1", "2", "0")
    assert wider["target"] == (("1", "0", "0"), ("0", "1", "0"), ("0", "1", "0"))
    assert wider["weight"] == (("1", "1", "1"),)
    back = losses.fit_tables(cfg, wider, 2)
    assert back["target"] == (("0",), ("1",), ("1",))
    assert back["inputs"] == cfg.table("inputs")
    spec = losses.TableSpec("pos_weight", "weights", rows="1", columns="C|1", optional=True)
    assert reshape(spec, (("3",),), 4, 2) == (("3",),)  # one value stays one value


# ---- The link's text -------------------------------------------------------------------------

@given(tables=st.dictionaries(
    st.sampled_from(["inputs", "target", "weight"]),
    st.integers(1, 3).flatmap(lambda c: st.lists(
        st.lists(st.text(max_size=5), min_size=c, max_size=c).map(tuple), min_size=1,
        max_size=4).map(tuple)), min_size=1))
@settings(max_examples=40, deadline=None)
def test_link_text_round_trips_any_typed_tables(tables):
    assert losses.decode(losses.encode(tables)) == tables


@pytest.mark.parametrize("text", ["", "x", "inputs", "1x:1", "a:1,2;3", "a:1!a:2",
                                  "%%%", "inputs:1!"])
def test_a_bad_link_text_decodes_to_none(text):
    assert losses.decode(text) is None


# ---- The script the page shows prints the same numbers --------------------------------------

def printed(script: str) -> dict[str, list]:
    values = {}
    for line in printed_lines(script):
        name, value = line.split(" ", 1)
        values[name] = eval(value, {"nan": float("nan"), "inf": float("inf")})  # noqa: S307
    return values


@pytest.mark.parametrize("preset", PRESETS)
def test_every_presets_script_prints_what_the_page_shows(preset):
    cfg, _ = losses.validate(losses.from_preset(preset))
    result = losses.run(cfg)
    shown = printed(losses.to_script(cfg))
    close(torch.tensor(shown["none"]), torch.tensor(result.none))
    close(shown["sum"], result.losses["sum"])
    close(shown["mean"], result.losses["mean"])
    for name in losses.entry(cfg).differentiable:
        autograd = result.gradients[result.gradients["table"] == name]["autograd"]
        close(torch.tensor(shown[f"grad_{name}"]).flatten(), autograd.to_numpy())


@settings(max_examples=6, deadline=None)
@given(cfg=valid_configs())
def test_generated_script_reproduces_core(cfg):
    cfg, _ = losses.validate(cfg)
    result = losses.run(cfg)
    shown = printed(losses.to_script(cfg))
    close(torch.tensor(shown["none"]), torch.tensor(result.none))
    close(shown["mean"], result.losses["mean"])


def test_course_script_prints_the_course_numbers():
    shown = printed(losses.to_script(losses.from_preset("CrossEntropyLoss")))
    assert shown["none"] == pytest.approx([1.3133, 0.1269, 0.1269], abs=1e-4)
    assert shown["mean"] == pytest.approx(0.5224, abs=1e-4)
    assert F.cross_entropy(COURSE_INPUTS, COURSE_TARGET).item() == pytest.approx(shown["mean"])


def test_compare_runs_the_regression_family_on_the_same_errors():
    errors = losses.from_preset("HuberLoss, errors in [-3, 3]").tables
    cfg = losses.config("HuberLoss", dict(errors), {"delta": 2.0})
    assert losses.comparable(cfg) == ["HuberLoss", "L1Loss", "MSELoss", "SmoothL1Loss"]
    found = losses.compare(cfg)
    x = torch.tensor([[-3.0], [-2], [-1], [-0.5], [0], [0.5], [1], [2], [3]])
    zero = torch.zeros_like(x)
    expected = {"HuberLoss": nn.HuberLoss(delta=2.0), "L1Loss": nn.L1Loss(),
                "MSELoss": nn.MSELoss(), "SmoothL1Loss": nn.SmoothL1Loss()}
    for name, module in expected.items():
        row = found.totals.set_index("loss").loc[name]
        assert row["mean"] == pytest.approx(module(x, zero).item())
        module.reduction = "none"
        close(found.elements[name].to_numpy(), module(x, zero).flatten())
    assert set(found.curves["loss"]) == set(expected)
    classification = losses.compare(losses.from_preset("CrossEntropyLoss"))
    assert list(classification.totals["loss"]) == ["CrossEntropyLoss", "MultiMarginLoss"]
    expected = nn.MultiMarginLoss()(COURSE_INPUTS, COURSE_TARGET)
    assert classification.totals["mean"][1] == pytest.approx(expected.item())
    # −log p and the margin share no curve of their own: they are drawn together along the
    # score of sample 0's true class (test_compare_draws_classification_along_the_true_score)
    assert classification.axis == "true_score"
    assert set(classification.curves["loss"]) == {"CrossEntropyLoss", "MultiMarginLoss"}


def test_kl_div_shows_the_course_call_beside_the_one_kldivloss_expects():
    """The course passes probabilities where KLDivLoss wants their logs: both calls' reductions
    are torch's own, and only the intended one is a divergence (not negative)."""
    inputs = torch.tensor([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    target = torch.tensor([[0.9, 0.05, 0.05], [0.1, 0.7, 0.2]])
    result = losses.run(losses.from_preset("KLDivLoss, the course's call (inputs not logged)"))
    for reduction in ("sum", "mean", "batchmean"):
        close(result.losses[reduction], F.kl_div(inputs, target, reduction=reduction))
        close(result.alternative[reduction], F.kl_div(inputs.log(), target, reduction=reduction))
    assert result.losses["batchmean"] < 0 < result.alternative["batchmean"]
    assert not losses.run(losses.from_preset("CrossEntropyLoss")).alternative


# ---- Bounds: one move stays under 300 ms of CPU (bench/loss.py times each loss at them) -------

def test_a_wider_table_is_cut_to_its_bound_with_a_notice():
    """A link's table of 40 columns (the page's C stops at 20, a link does not)."""
    wide = losses.config("CrossEntropyLoss", {"inputs": (("1",) * 40,) * 2,
                                              "target": (("0",), ("1",))})
    checked, notices = losses.validate(wide)
    assert len(checked.table("inputs")[0]) == losses.MAX_COLUMNS
    assert "inputs: 40 columns is more than the page computes at once; using the first 32." \
        in map(str, notices)
    weights = losses.config("LinearCrossEntropyLoss", {
        "inputs": (("1", "2"),), "linear_weight": (("1", "0"),) * 30, "target": (("0",),)})
    checked, notices = losses.validate(weights)
    assert len(checked.table("linear_weight")) == losses.CLASSES.high == 20
    assert "linear_weight: 30 rows is more than the page shows; using the first 20." \
        in map(str, notices)


def test_ctc_refuses_more_time_steps_than_a_move_computes_and_says_why():
    from core.losses.sequence import MAX_STEPS

    cfg = losses.config("CTCLoss", {"logits": (("0", "0"),) * (MAX_STEPS + 1),
                                    "targets": (("1",),), "input_lengths": (("2",),),
                                    "target_lengths": (("1",),)})
    with pytest.raises(InputError) as caught:
        losses.validate(cfg)
    assert str(caught.value).startswith("logits: 801 rows (N·T time steps) are more than the "
                                         "800 one view computes at once")


@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_the_benchmark_times_each_loss_at_its_bounds(name):
    """bench/loss.py's largest view of each loss is at the bounds: validating it cuts nothing."""
    from bench.loss import heaviest

    checked, notices = losses.validate(heaviest(losses.LOSSES[name]))
    assert not notices
    widths = {len(rows[0]) for _, rows in checked.tables}
    assert losses.MAX_COLUMNS in widths or widths == {1}  # a loss of single values: no C
