"""The terrain's views against torch, each computed independently here: the slice through the
weights and its directions, the gradient noise from per-example gradients taken one example at
a time, one weight's last update against torch's step, and the shown scripts' printed numbers
against the page's."""

from __future__ import annotations

import copy
import dataclasses
import math
import re

import pandas as pd
import pytest
import torch
from torch import nn

from core.lab import plug
from core.lab.train import one_thread as torch_on_one_thread
from core.terrain import config as terrain_config
from core.terrain import noise, script, surface, weights
from core.terrain.run import Run
from harness.scripts import printed_lines

# float32 sums taken in another order (a batched vmap against one model call) differ in their
# last bits: 1e-6 relative is a few roundings; a wrong formula is far beyond
ROUNDING = 1e-6


pytestmark = pytest.mark.usefixtures("one_thread")


def trained(epochs: int = 30, **settings) -> Run:
    config = dataclasses.replace(terrain_config.TerrainConfig(), **settings)
    run = Run(terrain_config.lab_config(terrain_config.validate(config)[0])[0])
    run.train(epochs=epochs)
    return run


def plain_loss(run: Run, vector: torch.Tensor) -> float:
    """The training loss of a copy of the model with its weights set to vector, by a plain call."""
    model = copy.deepcopy(run.trainer.model).eval()
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(vector, model.parameters())
        return float(run.trainer.loss_fn(model(run.trainer.x_train), run.trainer.y_train))


@pytest.fixture(scope="module")
def run() -> Run:
    with torch_on_one_thread():  # the module's run, before the per-test fixture applies
        return trained(30)


# ---- the slice -------------------------------------------------------------------------------

@pytest.mark.parametrize("directions", ["random", "path"])
def test_the_slices_centre_is_the_training_loss(run, directions):
    found = surface.run_slice(run, directions, 41, 1.0)
    loss = run.trainer.history[-1]["train_loss"]
    assert found.centre_loss == pytest.approx(loss, rel=ROUNDING)
    middle = found.cells[(found.cells["a"] == 0) & (found.cells["b"] == 0)]
    assert len(middle) == 1 and float(middle["loss"].iloc[0]) == found.centre_loss
    assert len(found.cells) == 41 * 41
    assert found.path["epoch"].tolist()[-1] == run.epoch
    assert found.path[["a", "b"]].iloc[-1].abs().max() == 0  # the path ends at the centre


def test_random_directions_are_filter_normalised_and_leave_biases_alone(run):
    centre = run.objective.flat()
    direction = surface.filter_normalised(run.objective, centre,
                                          torch.Generator().manual_seed(5))
    start = 0
    for name, p in run.trainer.model.named_parameters():
        part = direction[start:start + p.numel()].view(p.shape)
        start += p.numel()
        if p.dim() == 1:
            assert not part.any(), name
        else:
            assert torch.allclose(part.norm(dim=1), p.detach().norm(dim=1), rtol=1e-5), name


def test_the_slices_cells_are_the_loss_at_their_weights(run):
    """Each cell's loss equals a plain forward pass of the model at centre + a·d₁ + b·d₂, the two
    directions drawn again here from the seed, in the order the slice draws them."""
    found = surface.run_slice(run, "random", 11, 2.0)
    centre = run.objective.flat()
    g = torch.Generator().manual_seed(run.config.seed)
    d1, d2 = (surface.filter_normalised(run.objective, centre, g) for _ in range(2))
    for row in found.cells.sample(6, random_state=0).itertuples():
        expected = plain_loss(run, centre + float(row.a) * d1 + float(row.b) * d2)
        assert row.loss == pytest.approx(expected, rel=1e-5)
    assert found.cells["a"].max() == pytest.approx(2.0)


def test_the_path_directions_are_the_paths_principal_axes(run):
    epochs, path = run.path_points()
    d1, d2, shares = surface.path_directions(path)
    moves = (path[:-1] - path[-1]).double()
    moves = moves - moves.mean(0)
    values, vectors = torch.linalg.eigh(moves.T @ moves)  # ascending
    assert abs(float(d1.double() @ vectors[:, -1])) == pytest.approx(1.0, abs=1e-5)
    assert abs(float(d2.double() @ vectors[:, -2])) == pytest.approx(1.0, abs=1e-5)
    assert shares[0] == pytest.approx(float(values[-1] / values.sum()), rel=1e-6)
    assert shares[0] >= shares[1] and sum(shares) <= 1 + 1e-9


def test_the_line_runs_from_the_initial_weights_to_the_current_ones(run):
    line = surface.interpolation(run.objective, run.initial, run.objective.flat())
    at = dict(zip(line["alpha"].round(6), line["loss"], strict=True))
    assert at[0.0] == pytest.approx(run.trainer.history[0]["train_loss"], rel=ROUNDING)
    assert at[1.0] == pytest.approx(run.trainer.history[-1]["train_loss"], rel=ROUNDING)


def test_a_grid_too_costly_is_made_coarser_with_a_notice():
    notices = []
    assert surface.slice_size(41, 1e3, notices) == (41, surface.LINE_POINTS) and not notices
    assert surface.slice_size(40, 1e3, notices)[0] == 41 and notices[-1].params["used"] == 41
    # room for 100 losses: a quarter for the line, the largest odd grid in the rest
    assert surface.slice_size(61, surface.SLICE_FLOPS / 100, notices) == (7, 25)
    assert notices[-1].params == {"grid": 61, "used": 7}


# ---- the gradient noise ----------------------------------------------------------------------

def gradients_one_at_a_time(run: Run) -> torch.Tensor:
    """Each training example's gradient by its own backward pass (no torch.func)."""
    model = copy.deepcopy(run.trainer.model).eval()
    rows = []
    for x, y in zip(run.trainer.x_train, run.trainer.y_train, strict=True):
        model.zero_grad()
        run.trainer.loss_fn(model(x[None]), y[None]).backward()
        rows.append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
    return torch.stack(rows).double()


@pytest.mark.parametrize("loss", ["MSELoss", "BCEWithLogitsLoss", "CrossEntropyLoss"])
def test_the_noise_scale_equals_a_direct_computation(loss):
    run = trained(20, loss=loss, full_batch=False, batch=25)
    rows = gradients_one_at_a_time(run)
    mean = rows.mean(0)
    trace = float(sum(((row - mean) ** 2).sum() for row in rows) / len(rows))
    found = noise.run_noise(run, 25, 50)
    # float32 per-example gradients summed in float64 here, in float32 there
    assert found.trace == pytest.approx(trace, rel=1e-4)
    assert found.signal == pytest.approx(float(mean @ mean), rel=1e-4)
    assert found.scale == pytest.approx(trace / float(mean @ mean), rel=1e-4)
    assert found.batch == 25 and found.examples == len(rows)


def test_mini_batch_noise_is_what_the_scale_predicts(run):
    """The drawn batches' mean squared distance from G against tr(Σ)/B·(n − B)/(n − 1): within
    the sampling error of 1000 draws (their relative standard error is a few per cent)."""
    objective = run.objective
    drawn = noise.gradient_noise(objective, 10, 1000, seed=1)
    assert drawn.measured == pytest.approx(drawn.predicted, rel=0.15)
    full = noise.gradient_noise(objective, len(objective.x), 20, seed=1)
    assert full.predicted == 0.0 and full.measured < 1e-9 * full.signal
    spread = full.spread
    assert (spread["kind"] == "full").sum() == 1
    along = float(spread.loc[spread["kind"] == "full", "along"].iloc[0])
    assert along == pytest.approx(math.sqrt(full.signal), rel=1e-5)


# ---- every weight open -----------------------------------------------------------------------

def evaluated(text: str) -> float:
    """The last clause of a written update as Python arithmetic: its result."""
    last = text.split("; ")[-1]
    last = last.replace("−", "-").replace("·", "*").replace("^", "**")
    last = re.sub(r"√(\(?[-+\d.e]+\)?)", r"math.sqrt(\1)", last)
    return eval(last, {"math": math})  # noqa: S307 - our own formula's text


@pytest.mark.parametrize("optimizer", plug.OPTIMIZERS)
def test_a_weights_written_update_is_torchs_step(optimizer):
    run = trained(2, optimizer=optimizer, full_batch=False, batch=40, lr=0.01, momentum=0.9)
    for picked in (weights.Picked(1, 3, 1), weights.Picked(2, 0, weights.BIAS)):
        opened = weights.open_weight(run, picked)
        parameter = dict(run.trainer.model.named_parameters())[opened.name]
        assert opened.value == float(parameter.detach()[picked.index])
        assert opened.grad == float(parameter.grad[picked.index])
        if optimizer == "Adafactor" and picked.source != weights.BIAS:
            assert not opened.written and opened.step.empty  # torch factors a matrix's moment
            continue
        assert opened.written, opened.step
        after = opened.step.set_index("key").loc["param"]
        assert float(after["torch"]) == pytest.approx(opened.value, rel=1e-7)
        if optimizer in ("SGD", "Adam", "RMSprop"):  # the numbers written redo the step
            assert evaluated(after["evaluated"]) == pytest.approx(opened.value, rel=1e-5)


def test_the_written_update_is_the_last_steps_with_its_own_numbers():
    """Plain SGD: θ − lr·g with the recorded θ and g; after it, torch's weight."""
    run = trained(3, optimizer="SGD", lr=0.25)
    picked = weights.Picked(2, 1, 4)
    opened = weights.open_weight(run, picked)
    record = run.last_step
    name = opened.name
    before, grad = float(record.before[name][1, 4]), float(record.grad[name][1, 4])
    assert record.epoch == 3
    assert opened.value == pytest.approx(before - 0.25 * grad, rel=1e-6)
    def written(value: float) -> str:  # a negative number in brackets
        return f"({value:.6g})" if value < 0 else f"{value:.6g}"

    assert opened.step["evaluated"].iloc[-1] == f"{written(before)} − 0.25·{written(grad)}"


def test_a_weight_outside_the_network_is_moved_in_with_a_notice(run):
    notices = []
    assert weights.pick(run, 9, 40, -7, notices) == weights.Picked(3, 0, weights.BIAS)
    assert notices[0].params == {"asked": "9.40.-7", "used": "3.0.-1"}
    assert weights.pick(run, 1, 2, 1, notices) == weights.Picked(1, 2, 1) and len(notices) == 1


def test_the_drawing_holds_every_neuron_and_connection(run):
    neurons, edges, hidden = weights.drawing(run)
    assert len(neurons) == 2 + 8 + 8 + 1 and len(edges) == 2 * 8 + 8 * 8 + 8 and hidden == 0
    edge = edges[(edges["layer"] == 2) & (edges["neuron"] == 1) & (edges["source"] == 4)]
    assert float(edge["weight"].iloc[0]) == float(run.trainer.model[2].weight[1, 4])


# ---- the shown scripts -----------------------------------------------------------------------

def numbers(lines: list[str], prefix: str) -> list[float]:
    return [float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(prefix)]


def shown(run: Run, view: str, **options) -> list[str]:
    return printed_lines(script.to_script(run.config, run.epoch, view, **options))


def test_the_sharpness_script_prints_the_runs_losses_and_sharpness(run):
    lines = shown(run, "sharpness")
    losses = [line for line in lines if "train loss" in line]
    printed = {int(line.split()[1][:-1]): line.split("train loss ")[1].split(",")[0]
               for line in losses}
    assert printed == {row["epoch"]: repr(row["train_loss"])
                       for row in run.trainer.history if row["epoch"] in printed}
    assert len(printed) == 11 and max(printed) == run.epoch
    sharp = {int(line.split()[1][:-1]): float(line.split("sharpness ")[1].split(",")[0])
             for line in lines if "sharpness" in line}
    checks = run.sharpness_frame().set_index("epoch")["sharpness"]
    for epoch, value in sharp.items():  # both converged: the page's to its tolerance
        assert checks[epoch] == pytest.approx(value, rel=2e-4), epoch


@pytest.mark.parametrize("directions", ["random", "path"])
def test_the_surface_script_prints_the_slice(run, directions):
    lines = shown(run, "surface", directions=directions, span=1.5)
    found = surface.run_slice(run, directions, 41, 1.5)
    corners = found.cells.iloc[[found.grid ** 2 // 2, 0, found.grid - 1,
                                found.grid * (found.grid - 1), found.grid ** 2 - 1]]
    assert numbers(lines, "slice at") == pytest.approx(corners["loss"].tolist(), rel=1e-5)
    line = found.line.set_index(found.line["alpha"].round(6))["loss"]
    assert numbers(lines, "line at") == pytest.approx(
        [line[-0.5], line[0.5], line[1.5]], rel=1e-5)
    if directions == "path":
        share = re.findall(r"([\d.]+)%", next(x for x in lines if x.startswith("path")))
        assert [float(s) / 100 for s in share] == pytest.approx(found.explained, abs=6e-4)


def test_the_noise_script_prints_the_noise_scale(run):
    lines = shown(run, "noise")
    found = noise.run_noise(run, 10, 20)
    assert numbers(lines, "B_simple") == pytest.approx([found.scale], rel=1e-5)


def test_the_weights_script_prints_the_opened_weights_last_step():
    run = trained(4, optimizer="Adam", lr=0.01, full_batch=False, batch=50)
    picked = weights.Picked(2, 5, 3)
    opened = weights.open_weight(run, picked)
    module = int(opened.name.split(".")[0])
    lines = shown(run, "weights", picked=picked, module=module)
    record = run.last_step
    before = float(record.before[opened.name][5, 3])
    assert lines[-5] == f"before the last step: {before:.8g}, " \
        f"gradient {float(record.grad[opened.name][5, 3]):.8g}"
    assert lines[-4] == f"after it: {opened.value:.8g}"
    state = dict(zip(opened.state["key"], opened.state["value"], strict=True))
    assert lines[-3:] == [f"state {key}: {float(value):.8g}" for key, value in state.items()]


def test_an_objective_of_a_network_with_no_hidden_layer():
    """No hidden layer (a linear model): every view still answers."""
    run = trained(3, depth=0)
    assert math.isfinite(run.checks[-1]["sharpness"])
    assert surface.run_slice(run, "path", 11, 1.0).grid == 11
    assert noise.run_noise(run, 10, 20).scale > 0
    assert weights.open_weight(run, weights.Picked(1, 0, 1)).written
    assert isinstance(run.trainer.model[0], nn.Linear)


def test_the_line_says_barrier_only_where_it_rises_above_both_ends():
    alphas = [round(-0.5 + 0.25 * i, 2) for i in range(9)]  # -0.5 ... 1.5, 0 and 1 on it
    bump = pd.DataFrame({"alpha": alphas, "loss": [3, 2, 1.0, 1.5, 2.5, 1.2, 0.5, 0.6, 0.9]})
    assert surface.barrier(bump) == (2.5, 0.5)
    falling = bump.assign(loss=[3, 2, 1.0, 0.9, 0.8, 0.7, 0.5, 0.6, 0.9])
    assert surface.barrier(falling) is None
    overflow = bump.assign(loss=[3, 2, 1.0, float("nan"), 2.5, 1.2, 0.5, 0.6, 0.9])
    assert surface.barrier(overflow) is None


def test_two_slices_share_their_bands_and_an_overflow_is_named():
    a = pd.Series([0.01, 0.1, 1.0])
    b = pd.Series([0.5, 10.0, float("inf")])
    levels = surface.contour_levels(a, b)
    assert levels[0] == pytest.approx(0.01) and levels[-1] == pytest.approx(10.0)
    assert len(levels) == surface.LEVELS + 1
    banded = surface.banded(pd.DataFrame({"loss": b}), levels, "not finite")
    assert banded["level"].iloc[-1] == "not finite" and banded["band"].iloc[-1] == -1
    assert banded["band"].iloc[1] == surface.LEVELS - 1  # the largest is in the top band
