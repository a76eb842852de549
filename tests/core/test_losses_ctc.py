"""CTCLoss by hand against torch: the course's seeded example and its script, α and the loss
for every sample, the gradient against autograd (presets and generated inputs run through the
generic tests in test_losses.py), the lattice view, bad input named; and
TripletMarginWithDistanceLoss's cosine distance."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings

from core import losses
from core.charts import loss as charts
from core.errors import InputError
from core.losses import sequence
from tests.core.loss_inputs import ctc_configs
from tests.core.test_losses import printed, within

COURSE = "CTCLoss, the course's T=50, C=20, N=16, S=30 (seeded)"
SMALL = "CTCLoss, small: T=8, C=4, target [1, 2, 2]"


def course_script_tensors():
    """The course's own script, as it is written, with torch.manual_seed."""
    torch.manual_seed(sequence.COURSE_SEED)
    T, C, N, S, S_min = 50, 20, 16, 30, 10  # noqa: N806 (the course's names)
    inputs = torch.randn(T, N, C).log_softmax(2).detach().requires_grad_()
    target = torch.randint(low=1, high=C, size=(N, S), dtype=torch.long)
    input_lengths = torch.full(size=(N,), fill_value=T, dtype=torch.long)
    target_lengths = torch.randint(low=S_min, high=S, size=(N,), dtype=torch.long)
    return inputs, target, input_lengths, target_lengths


def test_the_course_preset_is_the_course_scripts_draw():
    inputs, target, input_lengths, target_lengths = course_script_tensors()
    t = losses.parse(losses.validate(losses.from_preset(COURSE))[0])
    torch.testing.assert_close(sequence.log_probs(t), inputs.detach(), rtol=0, atol=0)
    assert torch.equal(t["targets"], target) and torch.equal(t["input_lengths"], input_lengths)
    assert torch.equal(t["target_lengths"], target_lengths)
    course = nn.CTCLoss()(inputs, target, input_lengths, target_lengths)
    assert losses.run(losses.from_preset(COURSE)).losses["mean"] == pytest.approx(course.item())


def test_the_shown_course_script_is_seeded_and_prints_the_pages_numbers():
    cfg, _ = losses.validate(losses.from_preset(COURSE))
    script = losses.to_script(cfg)
    assert "torch.manual_seed(1)" in script and "torch.randn(T, N, C)" in script
    shown, result = printed(script), losses.run(cfg)
    torch.testing.assert_close(torch.tensor(shown["none"]), torch.tensor(result.none))
    assert shown["mean"] == result.losses["mean"] and shown["sum"] == result.losses["sum"]
    grad = result.gradients["autograd"].to_numpy()
    torch.testing.assert_close(torch.tensor(shown["grad_logits"]).flatten(),
                               torch.tensor(grad, dtype=torch.float32))


def test_an_edited_course_table_gets_the_literal_script():
    cfg = losses.from_preset(SMALL)
    assert "manual_seed" not in losses.to_script(cfg)
    assert "torch.tensor([[1, 2, 2]])" in losses.to_script(cfg)


def alpha_by_recursion(lp: torch.Tensor, target: list[int], blank: int) -> torch.Tensor:
    """α in probability space, the textbook recursion, cell by cell (float64)."""
    states = sequence.extended(target, blank)
    alpha = torch.zeros(len(lp), len(states), dtype=torch.float64)
    p = lp.exp()
    alpha[0, 0] = p[0, blank]
    if len(states) > 1:
        alpha[0, 1] = p[0, states[1]]
    for t in range(1, len(lp)):
        for s, label in enumerate(states):
            total = alpha[t - 1, s] + (alpha[t - 1, s - 1] if s >= 1 else 0)
            if s >= 2 and label != blank and label != states[s - 2]:
                total = total + alpha[t - 1, s - 2]
            alpha[t, s] = total * p[t, label]
    return alpha


@pytest.mark.parametrize("preset", [SMALL, COURSE])
def test_alpha_and_the_loss_of_every_sample_against_torch(preset):
    cfg, _ = losses.validate(losses.from_preset(preset))
    t, result = losses.parse(cfg), losses.run(cfg)
    lp = sequence.log_probs(t).double()
    torch_none = F.ctc_loss(sequence.log_probs(t), t["targets"], t["input_lengths"],
                            t["target_lengths"], reduction="none")
    for i in range(len(t["input_lengths"])):
        target = t["targets"][i, :t["target_lengths"][i]].tolist()
        alpha = sequence.forward(lp[:, i], sequence.extended(target, 0), 0)
        if preset == SMALL:  # the log-space recursion = the textbook one in probabilities
            torch.testing.assert_close(alpha.exp(), alpha_by_recursion(lp[:, i], target, 0))
        loss = -alpha[-1, -2:].logsumexp(0)  # −log(α_T(last) + α_T(last − 1))
        assert loss.item() == pytest.approx(torch_none[i].item(), rel=1e-5)
        assert result.steps["loss"][i] == pytest.approx(torch_none[i].item(), rel=1e-5)
    assert result.checks["agrees"].all(), result.checks


def test_torchs_mean_divides_each_loss_by_its_target_length():
    result = losses.run(losses.from_preset(COURSE))
    per_length = (torch.tensor(result.none) / torch.tensor(
        result.steps["target_length"].to_numpy())).mean()
    assert result.losses["mean"] == pytest.approx(per_length.item(), rel=1e-6)
    assert result.losses["mean"] != pytest.approx(result.losses["sum"] / 16, rel=1e-2)
    assert result.reduction_text == "loss.reduction_math_target_lengths"


@settings(max_examples=15, deadline=None)
@given(cfg=ctc_configs())
def test_generated_inputs_loss_and_gradient_against_torch(cfg):
    cfg, _ = losses.validate(cfg)
    t, result = losses.parse(cfg), losses.run(cfg)
    logits = t["logits"].clone().requires_grad_()
    loss_f = nn.CTCLoss(blank=int(losses.options_of(cfg)["blank"]), reduction=cfg.reduction,
                        zero_infinity=bool(losses.options_of(cfg)["zero_infinity"]))
    out = loss_f(sequence.log_probs({**t, "logits": logits}), t["targets"], t["input_lengths"],
                 t["target_lengths"])
    out.sum().backward()
    within(result.gradients["closed_form"].to_numpy(), logits.grad.flatten().double(),
           result.gradients["tolerance"].to_numpy())
    assert result.checks["agrees"].all(), result.checks


def test_zero_infinity_zeroes_an_infeasible_sample():
    cfg = losses.from_preset(SMALL)
    short = losses.config("CTCLoss", {**dict(cfg.tables), "input_lengths": (("3",),)},
                          {"zero_infinity": True})
    result = losses.run(losses.validate(short)[0])
    assert result.none == [0.0] and (result.gradients["closed_form"] == 0).all()
    assert result.checks["agrees"].all()


def test_the_lattice_is_alpha_and_the_best_path_walks_allowed_moves():
    cfg, _ = losses.validate(losses.from_preset(SMALL))
    result, t = losses.run(cfg), losses.parse(cfg)
    cells, path = result.views[0].frames
    lp = t["logits"].double().log_softmax(1)  # one sample: its T rows
    alpha = sequence.forward(lp, sequence.extended([1, 2, 2], 0), 0)
    for row in cells.itertuples():
        assert row.log_alpha == alpha[row.time, row.s].item()
    assert len(cells) == int(torch.isfinite(alpha).sum())  # unreachable cells left out
    assert list(path["time"]) == list(range(8))
    moves = path["s"].diff().dropna()
    assert moves.isin([0, 1, 2]).all() and path["s"].iloc[-1] >= 5 and path["s"].iloc[0] <= 1
    # the best path's probability is one of the alignments the loss adds up
    assert path["log_prob"].sum() <= -result.none[0] + 1e-9
    chart = charts.ctc_lattices(*result.views[0].frames, **{k: k for k in result.views[0].texts})
    assert len(chart.to_dict()["layer"]) == 5  # each lattice's cells and path, and a heading


@pytest.mark.parametrize(("table", "rows", "options", "key", "where"), [
    ("targets", (("1", "0", "2"),), {}, "error.loss.ctc_blank_in_target", "row 0, column 1"),
    ("targets", (("1", "2", "x"),), {}, "error.loss.not_a_number", "row 0, column 2"),
    ("targets", (("1", "2", "4"),), {}, "error.loss.index_range", "row 0, column 2"),
    ("target_lengths", (("4",),), {}, "error.loss.ctc_target_length", "row 0, column 0"),
    ("target_lengths", (("-1",),), {}, "error.loss.ctc_target_length", "row 0, column 0"),
    ("input_lengths", (("9",),), {}, "error.loss.ctc_input_length", "row 0, column 0"),
    ("input_lengths", (("0",),), {}, "error.loss.ctc_input_length", "row 0, column 0"),
    ("input_lengths", (("3",),), {}, "error.loss.ctc_too_short", "row 0, column 0"),
    ("input_lengths", (("8",), ("8",)), {}, "error.loss.rows", None),
    ("logits", (("0", "0", "0", "0"),) * 7, {}, "error.loss.not_integer", None),
    (None, None, {"blank": 4}, "error.loss.ctc_blank_range", None),
])
def test_bad_input_names_table_row_column_and_rule(table, rows, options, key, where):
    cfg = losses.from_preset(SMALL)
    tables = {**dict(cfg.tables), **({table: rows} if table else {})}
    if table == "logits":  # 7 rows for N = 2 samples (two rows of targets)
        tables.update(targets=(("1",), ("1",)), input_lengths=(("1",),) * 2,
                      target_lengths=(("1",),) * 2)
        key = "error.loss.ctc_rows"
    with pytest.raises(InputError) as caught:
        losses.validate(losses.config("CTCLoss", tables, options))
    assert caught.value.key == key
    message = str(caught.value)
    if table:
        assert message.startswith(table)
    if where:
        assert where in message
    if key == "error.loss.ctc_too_short":
        assert "at least 4 steps" in message  # 3 labels, one repeated neighbour


def test_fit_widens_only_the_logits():
    cfg = losses.from_preset(SMALL)
    wider = losses.fit_tables(cfg, dict(cfg.tables), 5)
    assert wider["logits"][0] == ("2", "0.5", "0", "0", "0")
    assert wider["targets"] == cfg.table("targets")
    assert losses.fit_tables(cfg, wider, 4) == dict(cfg.tables)


# ---- TripletMarginWithDistanceLoss: the cosine distance ----------------------------------------

def test_cosine_distance_against_torch():
    name = "TripletMarginWithDistanceLoss, 1 - cosine_similarity"
    cfg, _ = losses.validate(losses.from_preset(name))
    result, t = losses.run(cfg), losses.parse(cfg)
    leaves = {k: t[k].clone().requires_grad_() for k in ("anchor", "positive", "negative")}
    out = nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: 1 - F.cosine_similarity(a, b))(*leaves.values())
    out.backward()
    assert result.losses["mean"] == pytest.approx(out.item(), rel=1e-6)
    assert set(result.checks["check"]) >= {"cosine_distance_ap", "cosine_distance_an"}
    assert result.checks["agrees"].all()
    for name_, leaf in leaves.items():
        shown = result.gradients[result.gradients["table"] == name_]["closed_form"]
        torch.testing.assert_close(torch.tensor(shown.to_numpy(), dtype=torch.float32),
                                   leaf.grad.flatten(), rtol=1e-4, atol=1e-6)
    assert "1 - F.cosine_similarity(a, b)" in losses.to_script(cfg)


# ---- The paths that add up to the loss (issue 14's audit) ------------------------------------

def occupancy_by_torch(t, sample: int) -> torch.Tensor:
    """(T, C): exp(log_probs) − torch's gradient of the summed loss w.r.t. its log-probabilities,
    the share of all alignments that emit each class at each step, of one sample."""
    leaf = sequence.log_probs(t).detach().clone().requires_grad_()
    F.ctc_loss(leaf, t["targets"], t["input_lengths"], t["target_lengths"],
               reduction="sum").backward()
    return (leaf.exp() - leaf.grad)[:int(t["input_lengths"][sample]), sample].detach()


def lattice_cells(cfg, sample: int = 0):
    (view,) = losses.views(cfg, sample)
    return view, *view.frames


def test_cells_on_no_complete_path_are_marked_and_uncoloured():
    """T = 4 and target [1, 2, 2] need every step: states 0-2 at the last step are reached
    forward but cannot finish (they were coloured as if they could)."""
    cfg, _ = losses.validate(losses.config("CTCLoss", {
        "logits": (("1", "0.5", "0", "0"), ("0", "2", "0.5", "0"), ("0.5", "0", "2", "0"),
                   ("1", "0", "2", "0")),
        "targets": (("1", "2", "2"),), "input_lengths": (("4",),),
        "target_lengths": (("3",),)}))
    view, cells, path = lattice_cells(cfg)
    last = cells[cells["time"] == 3].set_index("s")
    assert not last.loc[[0, 1, 2], "complete"].any()
    assert (last.loc[[0, 1, 2], "occupancy"] == 0).all()
    # on a complete path exactly where α and β are both non-zero
    t = losses.parse(cfg)
    lp = sequence.log_probs(t)[:, 0].double()
    states = sequence.extended([1, 2, 2], 0)
    alpha, beta = sequence.forward(lp, states, 0), sequence.backward(lp, states, 0)
    for row in cells.itertuples():
        assert row.complete == bool(torch.isfinite(alpha[row.time, row.s])
                                    & torch.isfinite(beta[row.time, row.s]))
    # in 4 steps the only alignment is 1 2 ∅ 2 (states 1, 3, 4, 5): every share is 0 or 1
    assert sorted(set(cells["occupancy"].round(9))) == [0.0, 1.0]
    assert path["s"].tolist() == [1, 3, 4, 5]


@pytest.mark.parametrize(("preset", "sample"), [(SMALL, 0), (COURSE, 0), (COURSE, 3),
                                                (COURSE, 15)])
def test_the_share_of_alignments_adds_up_and_is_torchs(preset, sample):
    cfg, _ = losses.validate(losses.from_preset(preset))
    t = losses.parse(cfg)
    view, cells, _ = lattice_cells(cfg, sample)
    assert view.note_params["sample"] == sample
    steps = cells.groupby("time")["occupancy"].sum()
    assert steps.tolist() == pytest.approx([1.0] * len(steps), abs=1e-9)
    theirs = occupancy_by_torch(t, sample)
    target = t["targets"][sample, :int(t["target_lengths"][sample])].tolist()
    labels = sequence.extended(target, 0)
    mine = torch.zeros_like(theirs, dtype=torch.float64)
    for row in cells.itertuples():
        mine[row.time, labels[row.s]] += row.occupancy
    # torch works in float32: exp(α + β − lp − log p) with log p in the hundreds for the course
    torch.testing.assert_close(mine.float(), theirs, atol=2e-4, rtol=1e-4)
    expected = F.ctc_loss(sequence.log_probs(t), t["targets"], t["input_lengths"],
                          t["target_lengths"], reduction="none")[sample].item()
    assert view.note_params["torch_loss"] == expected
    assert -view.note_params["log_p"] == pytest.approx(expected, rel=1e-6)


def test_the_occupancy_check_is_torchs_gradient():
    for preset in (SMALL, COURSE):
        checks = losses.run(losses.validate(losses.from_preset(preset))[0]).checks
        row = checks.set_index("check").loc["ctc_occupancy"]
        assert row["agrees"]


def test_the_lattices_chart_draws_both_values_in_one_chart():
    cfg, _ = losses.validate(losses.from_preset(SMALL))
    (view,) = losses.run(cfg).views
    assert view.chart == "ctc_lattices"
    spec = getattr(charts, view.chart)(*view.frames, **{k: k for k in view.texts}).to_dict()
    assert spec["title"] == "title"
    colours = [layer["encoding"]["color"]["condition"]["field"] for layer in spec["layer"]
               if "color" in layer.get("encoding", {}) and "condition" in
               layer["encoding"]["color"]]
    assert colours == ["log_alpha", "occupancy"]
