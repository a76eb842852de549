"""What issue 14's audit added to the loss registry, against torch: a family's losses drawn
together (L1, MSE, SmoothL1 and Huber on one chart with beta and delta), the comparison of the
losses picked along a quantity they share (CrossEntropy against MultiMargin along the true
class's score), per-loss option help, PoissonNLLLoss's hand check of element 0, the mean's
denominator of the losses averaged over samples, and the words of messages and checks."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from core import losses, text
from core.errors import InputError

HUBER = "HuberLoss, errors in [-3, 3]"
SMOOTH = "SmoothL1Loss, errors in [-3, 3]"
ERRORS = torch.tensor([-3.0, -2, -1, -0.5, 0, 0.5, 1, 2, 3])


def checked(cfg: losses.LossConfig) -> losses.LossConfig:
    return losses.validate(cfg)[0]


def with_options(preset: str, **options) -> losses.LossConfig:
    cfg = losses.from_preset(preset)
    return checked(losses.config(cfg.loss, dict(cfg.tables), {**dict(cfg.options), **options},
                                 cfg.reduction))


# ---- L1, MSE, SmoothL1 and Huber on one chart ------------------------------------------------

def test_a_regression_loss_draws_its_family_as_torch_computes_each():
    result = losses.run(with_options(SMOOTH, beta=0.5))
    curve = result.curve
    assert list(dict.fromkeys(curve["series"])) == ["SmoothL1Loss", "L1Loss", "MSELoss",
                                                    "HuberLoss"]  # its own first, under the rest
    assert curve.groupby("series")["own"].all().to_dict() == {
        "SmoothL1Loss": True, "L1Loss": False, "MSELoss": False, "HuberLoss": False}
    modules = {"SmoothL1Loss": nn.SmoothL1Loss(beta=0.5, reduction="none"),  # beta as chosen
               "L1Loss": nn.L1Loss(reduction="none"), "MSELoss": nn.MSELoss(reduction="none"),
               "HuberLoss": nn.HuberLoss(reduction="none")}  # delta at its default, 1
    for name, module in modules.items():
        line = curve[curve["series"] == name]
        x = torch.tensor(line["x"].to_numpy(), dtype=torch.float32)
        torch.testing.assert_close(torch.tensor(line["loss"].to_numpy(), dtype=torch.float32),
                                   module(x, torch.zeros_like(x)))
        assert (line["x"].min(), line["x"].max()) == (-3.0, 3.0)  # the course's linspace
    # the typed elements sit on this loss's line, at their errors
    assert result.marks["x"].tolist() == ERRORS.tolist()
    torch.testing.assert_close(torch.tensor(result.marks["loss"].to_numpy(), dtype=torch.float32),
                               modules["SmoothL1Loss"](ERRORS, torch.zeros(9)))
    assert result.curve_axis == "error"
    assert result.curve_top == 3.0  # where L1 ends: MSE's 9 would squash the rest
    rules = sorted(zip(result.thresholds["option"], result.thresholds["x"], strict=True))
    assert rules == [("beta", -0.5), ("beta", 0.5), ("delta", -1.0), ("delta", 1.0)]


def test_the_span_widens_to_a_typed_error_and_the_top_with_it():
    cfg = losses.from_preset("MSELoss")  # inputs 1, target 3: errors of −2
    wide = losses.config("MSELoss", {"inputs": (("1", "5"), ("1", "1")),
                                     "target": (("3", "0"), ("3", "3"))})
    result = losses.run(checked(wide))
    assert (result.curve["x"].min(), result.curve["x"].max()) == (-3.0, 5.0)
    assert result.curve_top == 5.0
    assert losses.run(checked(cfg)).curve_top == 3.0


def test_beta_zero_is_marked_nowhere_and_a_loss_outside_the_family_draws_alone():
    result = losses.run(with_options(SMOOTH, beta=0.0))
    assert set(result.thresholds["option"]) == {"delta"}  # a rule at ±0 would say nothing
    ce = losses.run(checked(losses.from_preset("CrossEntropyLoss")))
    assert "series" not in ce.curve and ce.curve_top is None and ce.thresholds.empty


# ---- The comparison: the losses picked, along the quantity they share -----------------------

def test_compare_draws_classification_along_the_true_score():
    """CrossEntropyLoss and MultiMarginLoss of sample 0 as its true class's score moves, each
    computed by torch on the sample with that score; sample 0 marked on both."""
    cfg = checked(losses.config("CrossEntropyLoss", {
        "inputs": (("0.5", "2", "-1"), ("1", "3", "0"), ("0.5", "2", "-1")),
        "target": (("0",), ("1",), ("0",))}))
    found = losses.compare(cfg)
    assert found.axis == "true_score"
    x = torch.tensor([[0.5, 2.0, -1.0], [1.0, 3.0, 0.0], [0.5, 2.0, -1.0]])
    target = torch.tensor([0, 1, 0])
    for name, module in {"CrossEntropyLoss": nn.CrossEntropyLoss(reduction="none"),
                         "MultiMarginLoss": nn.MultiMarginLoss(reduction="none")}.items():
        line = found.curves[found.curves["loss"] == name]
        scores = torch.tensor(line["x"].to_numpy(), dtype=torch.float32)
        probe = x[0].repeat(len(scores), 1)
        probe[:, 0] = scores
        torch.testing.assert_close(torch.tensor(line["value"].to_numpy(), dtype=torch.float32),
                                   module(probe, torch.zeros(len(scores), dtype=torch.long)))
        assert (line["x"].min(), line["x"].max()) == (-4.0, 5.0)  # sample 0's scores ± 3
        marks = found.marks[found.marks["loss"] == name]
        # sample 2 is sample 0 again: on the same curve; sample 1 is not
        assert marks["sample"].tolist() == [0, 2]
        assert marks["x"].tolist() == [0.5, 0.5]
        assert marks["value"].tolist() == pytest.approx(module(x, target)[[0, 2]].tolist())
    assert found.elements["x"].tolist() == [0.5, 3.0, 0.5]  # each sample's true score
    assert found.elements["MultiMarginLoss"].tolist() == pytest.approx(
        nn.MultiMarginLoss(reduction="none")(x, target).tolist())


def test_compare_keeps_a_weight_and_the_options_it_shares():
    cfg = checked(losses.config("MultiMarginLoss", {
        "inputs": (("0.1", "0.2", "0.7"), ("0.2", "0.5", "0.3")), "target": (("1",), ("2",)),
        "weight": (("1", "2", "3"),)}, {"margin": 0.5}))
    found = losses.compare(cfg)
    w = torch.tensor([1.0, 2.0, 3.0])
    line = found.curves[found.curves["loss"] == "MultiMarginLoss"]
    scores = torch.tensor(line["x"].to_numpy(), dtype=torch.float32)
    probe = torch.tensor([0.1, 0.2, 0.7]).repeat(len(scores), 1)
    probe[:, 1] = scores
    expected = nn.MultiMarginLoss(margin=0.5, weight=w, reduction="none")(
        probe, torch.ones(len(scores), dtype=torch.long))
    torch.testing.assert_close(torch.tensor(line["value"].to_numpy(), dtype=torch.float32),
                               expected)
    ce = found.curves[found.curves["loss"] == "CrossEntropyLoss"]
    torch.testing.assert_close(torch.tensor(ce["value"].to_numpy(), dtype=torch.float32),
                               nn.CrossEntropyLoss(weight=w, reduction="none")(
                                   probe, torch.ones(len(scores), dtype=torch.long)))


def test_compare_only_the_losses_picked():
    cfg = checked(losses.from_preset(HUBER))
    found = losses.compare(cfg, ("HuberLoss", "MSELoss"))
    assert list(found.totals["loss"]) == ["HuberLoss", "MSELoss"]
    assert list(found.elements.columns) == ["sample", "class", "x", "HuberLoss", "MSELoss"]
    assert set(found.curves["loss"]) == {"HuberLoss", "MSELoss"}
    assert set(found.marks["loss"]) == {"HuberLoss", "MSELoss"}
    assert found.marks[found.marks["loss"] == "MSELoss"]["value"].tolist() == pytest.approx(
        (ERRORS ** 2).tolist())  # every element is on every regression curve
    assert set(found.thresholds["option"]) == {"delta"}  # SmoothL1's beta is not drawn
    assert found.top == 3.0
    one = losses.compare(cfg, ("L1Loss",))
    assert list(one.totals["loss"]) == ["L1Loss"] and one.curves.empty  # one line compares none
    assert losses.compare(cfg, ()).totals.empty


def test_bce_and_bce_with_logits_compare_along_the_true_labels_logit():
    """BCELoss(sigmoid) and BCEWithLogitsLoss share the logit of the true label: each computed
    by torch on one element whose logit is set to each x, for a target of 1."""
    cfg = checked(losses.from_preset("BCELoss(sigmoid(x)), weight=[1, 1]"))
    found = losses.compare(cfg)
    assert found.axis == "logit"
    assert found.elements["x"].tolist() == [1, -2, 2, -2, -3, 4, -4, 5]  # z, or −z for y = 0
    assert set(found.curves["loss"]) == {"BCELoss", "BCEWithLogitsLoss"}
    for name, module in {"BCELoss": lambda z: nn.BCELoss(reduction="none")(
            torch.sigmoid(z), torch.ones_like(z)),
            "BCEWithLogitsLoss": lambda z: nn.BCEWithLogitsLoss(reduction="none")(
                z, torch.ones_like(z))}.items():
        line = found.curves[found.curves["loss"] == name]
        z = torch.tensor(line["x"].to_numpy(), dtype=torch.float32)
        torch.testing.assert_close(torch.tensor(line["value"].to_numpy(), dtype=torch.float32),
                                   module(z))


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.lists(st.floats(-4, 4, width=32), min_size=3, max_size=3),
                     min_size=1, max_size=4),
       targets=st.lists(st.integers(0, 2), min_size=4, max_size=4),
       margin=st.floats(0.1, 2.0), p=st.sampled_from([1, 2]))
def test_generated_classification_curves_equal_torch(rows, targets, margin, p):
    tables = {"inputs": tuple(tuple(repr(v) for v in row) for row in rows),
              "target": tuple((str(c),) for c in targets[:len(rows)])}
    cfg = checked(losses.config("MultiMarginLoss", tables, {"margin": margin, "p": p}))
    found = losses.compare(cfg)
    x, y0 = torch.tensor(rows), targets[0]
    for name, module in {"MultiMarginLoss": nn.MultiMarginLoss(p=p, margin=margin,
                                                               reduction="none"),
                         "CrossEntropyLoss": nn.CrossEntropyLoss(reduction="none")}.items():
        line = found.curves[found.curves["loss"] == name]
        scores = torch.tensor(line["x"].to_numpy(), dtype=torch.float32)
        probe = x[0].repeat(len(scores), 1)
        probe[:, y0] = scores
        torch.testing.assert_close(
            torch.tensor(line["value"].to_numpy(), dtype=torch.float32),
            module(probe, torch.full((len(scores),), y0)))
        assert 0 in found.marks[found.marks["loss"] == name]["sample"].tolist()


# ---- Each option explained for the loss it belongs to ----------------------------------------

def help_key(option) -> str:
    """The text an option is explained by on the page: its own, or the one of its name."""
    return option.help or f"loss.options_{option.name}_help"


def test_every_option_of_every_loss_has_its_label_and_help_in_both_languages():
    for loss in losses.LOSSES.values():
        for option in loss.options:
            for key in (f"loss.options_{option.name}", help_key(option)):
                for lang in text.LANGUAGES:
                    assert key in text.strings(lang), (lang, key)
    poisson, gaussian, triplet = (losses.LOSSES[n] for n in (
        "PoissonNLLLoss", "GaussianNLLLoss", "TripletMarginLoss"))
    eps = {loss.name: text.strings("en")[help_key(
        next(o for o in loss.options if o.name == "eps"))] for loss in (poisson, gaussian,
                                                                        triplet)}
    assert "log(x + eps)" in eps["PoissonNLLLoss"] and "variance" in eps["GaussianNLLLoss"]
    assert "norm" in eps["TripletMarginLoss"] and len(set(eps.values())) == 3
    margins = {name: text.strings("en")[help_key(
        next(o for o in losses.LOSSES[name].options if o.name == "margin"))]
               for name in ("MultiMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss")}
    assert "true class" in margins["MultiMarginLoss"] and "cos" in margins["CosineEmbeddingLoss"]
    assert "pair" in margins["MarginRankingLoss"]


def test_poissons_eps_is_hidden_and_not_passed_where_it_has_no_effect():
    loss = losses.LOSSES["PoissonNLLLoss"]
    eps = next(o for o in loss.options if o.name == "eps")
    assert not eps.applies({"log_input": True, "full": False})
    assert eps.applies({"log_input": False, "full": False})
    cfg = checked(losses.config("PoissonNLLLoss", dict(losses.from_preset(
        "PoissonNLLLoss, randn((2, 2)), seed 0").tables), {"eps": 0.5}))
    t = losses.parse(cfg)
    assert "eps" not in loss.constructor(t, losses.options_of(cfg))  # no effect: left out
    x, y = t["inputs"], t["target"]
    assert losses.run(cfg).losses["mean"] == pytest.approx(
        F.poisson_nll_loss(x, y, log_input=True, eps=0.5).item())


# ---- PoissonNLLLoss: the course's hand check of element 0 ------------------------------------

@pytest.mark.parametrize("full", [False, True])
def test_poisson_hand_check_of_element_0_against_torch(full):
    cfg = with_options("PoissonNLLLoss, randn((2, 2)), seed 0", full=full)
    result, t = losses.run(cfg), losses.parse(cfg)
    x, y = t["inputs"], t["target"]
    steps = result.steps
    torch.testing.assert_close(torch.tensor(steps["exp_x"].to_numpy(), dtype=torch.float32),
                               x.exp().flatten())
    torch.testing.assert_close(torch.tensor(steps["y_times_x"].to_numpy(),
                                            dtype=torch.float32), (y * x).flatten())
    ((key, params),) = result.notes
    assert key == "loss.hand_PoissonNLLLoss_log"
    x0, y0 = x[0, 0].item(), y[0, 0].item()
    assert params["first"] == math.exp(x0) and params["second"] == y0 * x0  # the course's
    theirs = F.poisson_nll_loss(x, y, full=full, reduction="none")[0, 0].item()
    assert params["torch"] == theirs
    assert params["value"] == pytest.approx(theirs, rel=1e-6)
    check = result.checks.set_index("check").loc["poisson_element_0"]
    assert check["agrees"] and check["max_abs_diff"] < 1e-6


def test_poisson_hand_check_without_log_input():
    cfg = checked(losses.config("PoissonNLLLoss", {"inputs": (("2", "0.5"),),
                                                   "target": (("3", "1"),)},
                                {"log_input": False, "eps": 0.01}))
    result = losses.run(cfg)
    ((key, params),) = result.notes
    assert key == "loss.hand_PoissonNLLLoss_rate"
    assert params["value"] == pytest.approx(2 - 3 * math.log(2.01))
    assert params["torch"] == pytest.approx(F.poisson_nll_loss(
        torch.tensor([2.0]), torch.tensor([3.0]), log_input=False, eps=0.01).item())
    assert result.steps["y_times_log_x_plus_eps"].tolist()[0] == pytest.approx(3 * math.log(2.01))
    assert result.checks["agrees"].all()


# ---- Words: the mean's denominator, messages, checks -----------------------------------------

@pytest.mark.parametrize("preset", [
    "MarginRankingLoss", "TripletMarginLoss, margin=1.0, p=1",
    "TripletMarginWithDistanceLoss, 1 - cosine_similarity", "CosineEmbeddingLoss, margin=0",
    "MultiMarginLoss", "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss"])
def test_losses_averaged_over_samples_say_so(preset):
    cfg = losses.LossConfig(**{**losses.from_preset(preset).__dict__, "reduction": "mean"})
    result = losses.run(checked(cfg))
    assert result.denominator_kind == "samples"
    assert result.denominator == result.none_shape[0]
    assert result.losses["mean"] == pytest.approx(result.losses["sum"] / result.denominator)
    assert "non-ignored" not in text.strings("en")["loss.denominator_samples"]
    ce = losses.run(checked(losses.from_preset("CrossEntropyLoss")))
    assert ce.denominator_kind == "count"  # its own text: non-ignored samples


def test_a_ctc_length_table_of_the_wrong_rows_names_the_targets():
    cfg = losses.from_preset("CTCLoss, small: T=8, C=4, target [1, 2, 2]")
    bad = losses.config("CTCLoss", {**dict(cfg.tables), "input_lengths": (("8",), ("8",))})
    with pytest.raises(InputError) as caught:
        losses.validate(bad)
    assert str(caught.value) == ("input_lengths: has 2 rows but must have 1 (one per sample of "
                                 "targets).")
    ce = losses.from_preset("CrossEntropyLoss")
    with pytest.raises(InputError, match=r"one per sample of inputs\)"):
        losses.validate(losses.config(ce.loss, {**dict(ce.tables), "target": (("0",),)}))


def test_each_gradient_check_names_its_table():
    cfg = checked(losses.from_preset("TripletMarginWithDistanceLoss, pairwise_distance(p=1)"))
    checks = losses.run(cfg).checks
    gradients = checks[checks["check"] == "gradient"]
    assert gradients["table"].tolist() == ["anchor", "positive", "negative"]
    assert (checks[checks["check"] != "gradient"]["table"] == "").all()
    shown = {text.lookup("en", "loss.check_gradient", table=name)
             for name in gradients["table"]}
    assert len(shown) == 3 and "w.r.t. negative" in text.lookup(
        "en", "loss.check_gradient", table="negative")


def test_columns_c_out_of_bounds_is_named_as_the_control():
    used, notices = losses.classes(25)
    assert used == 20
    assert [text.lookup("en", n.key, **n.params) for n in notices] == [
        "Columns C: 25 is outside 1 to 20; using 20."]


def test_every_worded_preset_has_its_label_in_both_languages():
    labelled = [p for _, p in losses.presets().values() if p.label]
    assert {p.name for p in labelled} >= {"KLDivLoss, the course's call (inputs not logged)",
                                          "CTCLoss, small: T=8, C=4, target [1, 2, 2]"}
    for preset in labelled:
        assert text.strings("en")[f"loss.preset_{preset.label}"] == preset.name
        assert text.strings("zh")[f"loss.preset_{preset.label}"] != preset.name
