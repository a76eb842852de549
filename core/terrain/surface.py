"""The loss surface around the weights: a 2-D slice through them, the training path projected onto
it, and the 1-D interpolation from the initial weights to the current ones.

The slice (Li et al., "Visualizing the Loss Landscape of Neural Nets", NeurIPS 2018) is
L(θ + a·d₁ + b·d₂) over a grid of (a, b). Its two directions are either
- random, filter-normalised: a Gaussian draw per parameter, each filter (a Linear weight's row:
  one neuron's incoming weights) rescaled to the norm of the same filter of θ, so that a = 1 moves
  every neuron's weights by as much as they are long, whatever the layer's scale; biases and
  BatchNorm's parameters (one dimension) get zero, as the paper does (its "biasbn" option): the
  slice moves the weights only;
- or the path's two principal directions (the paper's section 7): random directions in many
  dimensions are nearly orthogonal to the path, whose projection on them is then a smudge at the
  centre; the top two principal components of the path's weights (minus the current ones) show
  as much of it as any plane can (their share of its variance is reported).
The path is projected by least squares onto the two directions; a point of it lies off the plane
in general, so the slice's loss under it is not the loss the run had there."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.errors import Notice
from core.lab.train import one_thread
from core.terrain.objective import Objective
from core.terrain.run import Run

LINE_POINTS = 81  # the interpolation's alphas, from −0.5 to 1.5 (fewer on a network too large)
LINE_RANGE = (-0.5, 1.5)
# The slice's cost: grid² + line evaluations of the loss on the training set, about 2 flops per
# weight and point each; a finer grid than fits this is clamped with a notice (the default
# network's 41 × 41 and its line are 0.15 GFLOP, 10 layers of 32 fit an 11 × 11 grid)
SLICE_FLOPS = 1.5e9
PATH_MARGIN = 1.25  # the path's slice spans its farthest point this many times


@dataclass(frozen=True)
class Slice:
    cells: pd.DataFrame  # a, b, loss: one row per grid point (a and b: the directions' steps)
    path: pd.DataFrame  # epoch, a, b, loss (the run's own loss at that epoch), one row a point
    centre_loss: float  # the loss at the current weights (a = b = 0)
    explained: tuple[float, float] | None  # the path directions' shares of the path's variance
    line: pd.DataFrame  # alpha, loss: L((1 − α)·θ₀ + α·θ), θ₀ the initial weights
    grid: int  # the grid used (odd, so that its middle point is the weights themselves)
    notices: tuple[Notice, ...] = ()


def filter_normalised(objective: Objective, weights: torch.Tensor,
                      generator: torch.Generator) -> torch.Tensor:
    """A random direction, flat: each filter scaled to the norm of θ's same filter; zero for
    every parameter of one dimension (biases, BatchNorm's weight and bias)."""
    parts = []
    for theta in objective.unflat(weights):
        d = torch.randn(theta.shape, generator=generator)
        if theta.dim() <= 1:
            d.zero_()
        else:
            norms = theta.reshape(len(theta), -1).norm(dim=1)
            d = d * (norms / (d.reshape(len(d), -1).norm(dim=1) + 1e-10)).view(
                -1, *([1] * (d.dim() - 1)))
        parts.append(d.reshape(-1))
    return torch.cat(parts)


def path_directions(path: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, tuple]:
    """The top two principal directions of the path's weights (rows) minus its last row (the
    current weights), unit vectors, and each one's share of the path's variance. Float64: the
    differences can be small against the weights."""
    moves = (path[:-1] - path[-1]).double()
    centred = moves - moves.mean(0)
    _, values, vectors = torch.linalg.svd(centred, full_matrices=False)
    variance = values ** 2
    share = variance / variance.sum() if float(variance.sum()) > 0 else variance
    pad = [0.0, 0.0]
    shares = tuple(float(s) for s in share[:2]) + tuple(pad[: 2 - min(2, len(share))])
    return vectors[0].float(), vectors[1].float(), shares


def project(points: torch.Tensor, centre: torch.Tensor, d1: torch.Tensor,
            d2: torch.Tensor) -> torch.Tensor:
    """Each point's (a, b): the least-squares solution of a·d₁ + b·d₂ = point − centre."""
    basis = torch.stack([d1, d2], 1).double()
    solution = torch.linalg.lstsq(basis, (points - centre).double().T).solution
    return solution.T.float()


def slice_size(grid: int, flops_per_loss: float, notices: list[Notice]) -> tuple[int, int]:
    """The grid, odd (its middle point is the weights), and the line's points, within
    SLICE_FLOPS (the line gets at most a quarter of it), with a notice when the grid changed."""
    evaluations = SLICE_FLOPS / flops_per_loss
    line = int(min(LINE_POINTS, max(11, evaluations // 4)))
    used = grid + 1 - grid % 2
    while used > 3 and used * used + line > evaluations:
        used -= 2
    if used != grid:
        notices.append(Notice("notice.terrain.grid", {"grid": grid, "used": used}))
    return used, line


def run_slice(run: Run, directions: str, grid: int, span: float) -> Slice:
    """The slice of a run at its current weights (its random directions drawn from a generator
    seeded with the run's seed: the same Config and epoch give the same slice)."""
    with run.lock, one_thread():
        epochs, path = run.path_points()
        losses = [run.trainer.history[epoch]["train_loss"] for epoch in epochs]
        return loss_slice(run.objective, epochs, path, losses, run.initial, directions, grid,
                          span, run.config.seed)


def loss_slice(objective: Objective, path_epochs: list[int], path: torch.Tensor,
               path_losses: list[float], initial: torch.Tensor, directions: str, grid: int,
               span: float, seed: int) -> Slice:
    """The slice through path's last row (the current weights) along two directions ("random"
    or "path"), its path, and the line from initial to the current weights. span: the random
    directions' reach (a and b from −span to span); the path's slice spans the path. The random
    directions are drawn, the first then the second, from a generator seeded with seed."""
    notices: list[Notice] = []
    centre = path[-1]
    grid, line_points = slice_size(grid, 2.0 * len(objective.x) * objective.size, notices)
    explained = None
    if directions == "path" and len(path) >= 3:
        d1, d2, explained = path_directions(path)
    else:
        if directions == "path":
            notices.append(Notice("notice.terrain.path_too_short", {"epochs": len(path) - 1}))
        generator = torch.Generator().manual_seed(seed)
        d1, d2 = (filter_normalised(objective, centre, generator) for _ in range(2))
    coords = project(path, centre, d1, d2)
    if explained is not None:
        span = PATH_MARGIN * float(coords.abs().max()) or 1.0
    steps = torch.linspace(-span, span, grid)
    steps[grid // 2] = 0.0  # exactly: the middle point is the weights themselves
    a, b = torch.meshgrid(steps, steps, indexing="xy")
    weights = centre + a.reshape(-1, 1) * d1 + b.reshape(-1, 1) * d2
    losses = objective.losses_at(weights)
    cells = pd.DataFrame({"a": a.reshape(-1).numpy(), "b": b.reshape(-1).numpy(),
                          "loss": losses.numpy()})
    route = pd.DataFrame({"epoch": path_epochs, "a": coords[:, 0].numpy(),
                          "b": coords[:, 1].numpy(), "loss": path_losses})
    return Slice(cells, route, float(losses[(grid // 2) * grid + grid // 2]), explained,
                 interpolation(objective, initial, centre, line_points), grid, tuple(notices))


def interpolation(objective: Objective, start: torch.Tensor, end: torch.Tensor,
                  points: int = LINE_POINTS) -> pd.DataFrame:
    """L((1 − α)·start + α·end) for α from −0.5 to 1.5 (Goodfellow et al., 2015): a straight
    line through both, a little beyond each (points: odd numbers of the form 4k + 1 put α = 0
    and α = 1 on it)."""
    points = 4 * ((points - 1) // 4) + 1
    alphas = torch.linspace(*LINE_RANGE, points)
    losses = objective.losses_at(start + alphas.reshape(-1, 1) * (end - start))
    return pd.DataFrame({"alpha": alphas.numpy(), "loss": losses.numpy()})


LEVELS = 9  # filled contour bands of the slice (a legend of ten rows fits its height)


def contour_levels(*losses: pd.Series) -> tuple[float, ...]:
    """LEVELS + 1 boundaries spaced evenly in log between the smallest and the largest finite,
    positive loss of all the slices given (two pinned runs share one scale)."""
    values = pd.concat(losses)
    values = values[values.map(lambda v: math.isfinite(v) and v > 0)]
    if not len(values):
        return ()
    low, high = math.log10(values.min()), math.log10(values.max())
    high = high if high > low else low + 1e-6
    return tuple(10 ** (low + (high - low) * i / LEVELS) for i in range(LEVELS + 1))


def banded(cells: pd.DataFrame, levels: tuple[float, ...], nonfinite: str) -> pd.DataFrame:
    """cells with each loss's band: its order and its label ("0.012–0.025"), or nonfinite (and
    order −1) for a loss that is not a finite positive number (a region that overflowed)."""
    losses = cells["loss"].to_numpy()
    good = np.isfinite(losses) & (losses > 0)
    order = np.full(len(losses), -1)
    if levels:
        order[good] = np.clip(np.searchsorted(levels, losses[good], side="right") - 1, 0,
                              len(levels) - 2)
    labels = [band_label(levels, i) if i >= 0 else nonfinite for i in order]
    return cells.assign(band=order, level=labels)


def band_label(levels: tuple[float, ...], i: int) -> str:
    return f"{levels[i]:.3g}–{levels[i + 1]:.3g}"


def barrier(line: pd.DataFrame) -> tuple[float, float] | None:
    """The highest loss strictly between the initial weights (alpha 0) and the current ones
    (alpha 1), and its alpha, where it rises above both ends (a barrier on the straight line);
    None where the line stays at or below its ends (or is not finite)."""
    losses = dict(zip(line["alpha"].round(6), line["loss"], strict=True))
    inner = line[(line["alpha"] > 0) & (line["alpha"] < 1)]
    if not len(inner) or 0.0 not in losses or 1.0 not in losses:
        return None
    top = inner.loc[inner["loss"].idxmax()] if inner["loss"].notna().all() else None
    ends = max(losses[0.0], losses[1.0])
    if top is None or not math.isfinite(top["loss"]) or not top["loss"] > ends:
        return None
    return float(top["loss"]), float(top["alpha"])
