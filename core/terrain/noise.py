"""Gradient noise: per-example gradients at the current weights (torch.func: vmap of grad), the
simple noise scale of McCandlish et al. ("An Empirical Model of Large-Batch Training", 2018),
B_simple = tr(Σ)/|G|², and mini-batch gradients drawn around the full-batch one.

G is the full-batch gradient (the mean of the per-example gradients, plus the penalty's, which
every batch shares) and Σ the covariance of the per-example gradients over the training set
(divided by n: the set is the whole population a batch is drawn from). A batch of B examples
drawn at random has gradient noise E|G_B − G|² = tr(Σ)/B · (n − B)/(n − 1) (drawn without
replacement, as the lab draws them; the last factor is 1 − B/n, nearly, and 0 for the full
batch): at B = B_simple the noise is as large as the signal |G|²."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
from torch.func import grad, vmap

from core.errors import Notice
from core.lab.train import one_thread
from core.terrain.objective import Objective
from core.terrain.run import Run


@dataclass(frozen=True)
class Noise:
    scale: float  # B_simple = tr(Σ)/|G|²
    trace: float  # tr(Σ)
    signal: float  # |G|²
    examples: int  # n, the training set
    batch: int  # B, the run's batch size
    predicted: float  # E|G_B − G|² for batches of B: tr(Σ)/B · (n − B)/(n − 1)
    measured: float  # the mean of |G_B − G|² over the batches drawn
    spread: pd.DataFrame  # kind ("batch" or "full"), along, across: gradients in the plane of
    # G (along: the component along G) and the batches' widest spread across it
    notices: tuple[Notice, ...] = ()


# The picture's cost: batches × examples × weights multiply-adds (a matrix product); more batches
# than fit are clamped with a notice (the default network's 200 batches are 8 M; 10 layers of 32
# fit 259)
PICTURE_WORK = 1e9


def picture_batches(batches: int, examples: int, size: int, notices: list[Notice]) -> int:
    used = int(max(2, min(batches, PICTURE_WORK // (examples * size))))
    if used != batches:
        notices.append(Notice("notice.terrain.batches", {"batches": batches, "used": used}))
    return used


def per_example_gradients(objective: Objective) -> torch.Tensor:
    """Each training example's gradient of the loss (no penalty), flat: n rows."""
    params = [p.detach() for p in objective.current()]

    def one(weights, x, y):
        return objective.loss(weights, x[None], y[None], penalty=False)

    chunk = objective.chunk(16 * objective.size)  # each example's gradient and its work
    rows = vmap(grad(one), in_dims=(None, 0, 0), chunk_size=chunk)(params, objective.x,
                                                                    objective.y)
    return torch.cat([r.reshape(len(objective.x), -1) for r in rows], 1)


def penalty_gradient(objective: Objective) -> torch.Tensor:
    """The gradient of the L1 and L2 penalties, flat (zero without them)."""
    leaves = [p.detach().clone().requires_grad_(True) for p in objective.current()]
    total = objective.penalty(dict(zip(objective.names, leaves, strict=True)))
    if not isinstance(total, torch.Tensor):
        return torch.zeros(objective.size)
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(total, leaves)])


def run_noise(run: Run, batch: int, batches: int) -> Noise:
    """The gradient noise of a run at its current weights, with batches mini-batches of batch
    examples (drawn from a generator seeded with the run's seed)."""
    with run.lock, one_thread():
        return gradient_noise(run.objective, batch, batches, run.config.seed)


def per_batch(batch: int, examples: int) -> float:
    """How much of tr(Σ) a batch of batch examples drawn without replacement from examples
    keeps as noise, E|G_B − G|² = tr(Σ)·(n − B)/(B·(n − 1)); times B_simple, the noise over
    the signal |G|²."""
    batch = min(batch, examples)
    return (examples - batch) / (batch * (examples - 1)) if examples > 1 else 0.0


def gradient_noise(objective: Objective, batch: int, batches: int, seed: int) -> Noise:
    """The noise scale at the current weights, and batches mini-batch gradients of batch
    examples each (every batch drawn without replacement, from a generator seeded with seed)."""
    generator = torch.Generator().manual_seed(seed)
    notices: list[Notice] = []
    with torch.no_grad():
        rows = per_example_gradients(objective)
        mean = rows.mean(0)
        full = mean + penalty_gradient(objective)
        trace = float(((rows - mean) ** 2).sum(1).mean())
        signal = float(full @ full)
        n = len(rows)
        batch = min(batch, n)
        predicted = trace * per_batch(batch, n)
        batches = picture_batches(batches, n, objective.size, notices)
        drawn = batch_means(rows, batch, batches, generator) + (full - mean)
        measured = float(((drawn - full) ** 2).sum(1).mean())
        scale = trace / signal if signal > 0 else float("inf")
    return Noise(scale, trace, signal, n, batch, predicted, measured, plane(drawn, full),
                 tuple(notices))


def batch_means(rows: torch.Tensor, batch: int, batches: int,
                generator: torch.Generator) -> torch.Tensor:
    """The mean of batch rows drawn without replacement, batches times (each draw the first
    batch of a random permutation): one matrix product, a row of 1/batch where a row is drawn
    (gathering the rows copied batches × batch of them, ten times slower)."""
    n = len(rows)
    drawn = torch.rand(batches, n, generator=generator).argsort(1)[:, :batch]
    return torch.zeros(batches, n).scatter_(1, drawn, 1.0 / batch) @ rows


def plane(drawn: torch.Tensor, full: torch.Tensor) -> pd.DataFrame:
    """The drawn gradients and the full one in two dimensions: along G's direction, and across
    it along the drawn ones' widest spread (their top principal direction once G's is removed)."""
    norm = float(full.norm())
    along = full / norm if norm > 0 else torch.zeros_like(full)
    deviations = drawn - full
    deviations = deviations - (deviations @ along)[:, None] * along
    if float(deviations.abs().max()) > 0:  # the top right singular vector, from the small
        # Gram matrix of the batches (batches², not weights²)
        top = torch.linalg.eigh((deviations @ deviations.T).double())[1][:, -1].float()
        across = deviations.T @ top
        across = across / across.norm()
    else:
        across = torch.zeros_like(full)
    points = torch.cat([drawn, full[None]])
    return pd.DataFrame({"kind": ["batch"] * len(drawn) + ["full"],
                         "along": (points @ along).numpy(), "across": (points @ across).numpy()})
