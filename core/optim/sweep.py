"""The sweep: SGD over a learning rate × momentum grid on a landscape, every cell at once as one
batched tensor computation with exactly torch.optim.SGD's update rule."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from core.errors import InputError, Notice
from core.optim.common import ESCAPE, RATE, escaped, first_index
from core.optim.paths import OnLandscape
from core.settings import setting, settings_of, validate_settings

POSITIVE = {"low": 1e-12, "below_low": "refuse", "high": 1e6}  # a rate or tolerance above 0
GRID = {"low": 2, "high": 100, "step": 1}  # lr values or momentum values


@dataclass(frozen=True)
class SweepConfig(OnLandscape):
    """SGD over a grid of learning rate (log-spaced) × momentum on one landscape: by default
    Rosenbrock's suggested range, 40 × 40 cells of 200 steps."""

    lr_min: float = setting(1e-5, **POSITIVE, format="%.3g")
    lr_max: float = setting(3e-3, **POSITIVE, format="%.3g")
    lr_count: int = setting(40, **GRID)
    momentum_min: float = setting(0.0, **RATE, step=0.05, format="%.3f")
    momentum_max: float = setting(0.99, **RATE, step=0.05, format="%.3f")
    momentum_count: int = setting(40, **GRID)
    steps: int = setting(200, low=1, high=500, step=50)
    dampening: float = setting(0.0, low=-1e6, high=1e6, step=0.1, format="%.3g")
    nesterov: bool = setting(False)
    tol: float = setting(1e-3, **POSITIVE, format="%.3g")  # steps to tolerance: first below it

    def grid(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per cell, learning rate (log-spaced, fastest-varying) and momentum."""
        lrs = torch.logspace(math.log10(self.lr_min), math.log10(self.lr_max), self.lr_count)
        moms = torch.linspace(self.momentum_min, self.momentum_max, self.momentum_count)
        m, lr = torch.meshgrid(moms, lrs, indexing="ij")
        return lr.flatten(), m.flatten()


SETTINGS = settings_of(SweepConfig)
GRID_SIZE, SWEEP_STEPS = SETTINGS["lr_count"].bound, SETTINGS["steps"].bound


def validate_sweep(config: SweepConfig) -> tuple[SweepConfig, list[Notice]]:
    """Every setting of kind and in range; both ranges in order; nesterov as torch.optim.SGD
    takes it."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    for low, high in (("lr_min", "lr_max"), ("momentum_min", "momentum_max")):
        if getattr(config, high) < getattr(config, low):
            raise InputError("error.optim.order", low=low, high=high,
                             low_value=getattr(config, low), high_value=getattr(config, high))
    if config.nesterov and (config.momentum_min <= 0 or config.dampening != 0):
        raise InputError("error.optim.sweep_nesterov")
    return config, notices


def sweep_losses(config: SweepConfig, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Loss of every cell before each step and after the last, (steps + 1, cells), all cells at
    once. The update is torch.optim.SGD's (_single_tensor_sgd) with a per-cell lr and momentum:
    buf = g on the first step, then buf = momentum·buf + (1 − dampening)·g; the step is buf (or
    g + momentum·buf with nesterov), or g itself where momentum is 0; p −= lr·step."""
    surface, c = config.surface, config.condition
    lr, m = (v.to(dtype) for v in config.grid())
    no_momentum = m == 0
    p = torch.tensor(config.start, dtype=dtype).unsqueeze(1).repeat(1, lr.shape[0])  # (2, cells)
    buf = None
    with torch.inference_mode():
        # Each step's losses as it goes (the path itself is not kept): the peak memory is the
        # losses alone, and every operation stays under torch's parallel grain (32768 elements)
        # at the largest grid, so a busy second core cannot stall the computation.
        losses = [surface.f(p[0], p[1], c)]
        for _ in range(config.steps):
            g = torch.stack(surface.grad(p[0], p[1], c))
            buf = g.clone() if buf is None else buf.mul_(m).add_(g, alpha=1 - config.dampening)
            direction = g.add(buf * m) if config.nesterov else buf
            if config.dampening:  # with momentum 0, torch.optim.SGD steps by g itself
                direction = torch.where(no_momentum, g, direction)
            p = torch.addcmul(p, lr, direction, value=-1)
            losses.append(surface.f(p[0], p[1], c))
        return torch.stack(losses)


def sweep_reference(config: SweepConfig, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The same (steps + 1, cells) losses, one torch.optim.SGD per cell with autograd: slow."""
    surface, c = config.surface, config.condition
    columns = []
    for lr, m in zip(*config.grid(), strict=True):
        p = torch.tensor(config.start, dtype=dtype, requires_grad=True)
        optimizer = torch.optim.SGD([p], lr=lr.item(), momentum=m.item(),
                                    dampening=config.dampening, nesterov=config.nesterov)
        losses = []
        for step in range(config.steps + 1):
            optimizer.zero_grad()
            loss = surface.f(p[0], p[1], c)
            losses.append(loss.detach())
            if step < config.steps:
                loss.backward()
                optimizer.step()
        columns.append(torch.stack(losses))
    return torch.stack(columns, dim=1)


@dataclass(frozen=True)
class SweepResult:
    # lr, momentum, lr_lo, lr_hi, m_lo, m_hi (cell edges), final_loss, diverged_at (-1: never),
    # steps_to_tol (-1: never)
    cells: pd.DataFrame


def summarise(config: SweepConfig, losses: torch.Tensor) -> SweepResult:
    lr, m = config.grid()
    bad = escaped(losses, losses[0])
    diverged_at = first_index(bad)
    before = torch.arange(len(losses)).unsqueeze(1) < diverged_at.where(diverged_at >= 0,
                                                                         len(losses))
    reached = first_index((losses < config.tol) & before)
    lr_log = torch.log10(lr)
    lr_half = (math.log10(config.lr_max) - math.log10(config.lr_min)) / max(
        config.lr_count - 1, 1) / 2 or 0.5
    m_half = (config.momentum_max - config.momentum_min) / max(
        config.momentum_count - 1, 1) / 2 or 0.005
    final = losses[-1].double()
    return SweepResult(pd.DataFrame({
        "lr": lr.tolist(), "momentum": m.tolist(),
        "lr_lo": (10 ** (lr_log - lr_half)).tolist(), "lr_hi": (10 ** (lr_log + lr_half)).tolist(),
        "m_lo": (m - m_half).tolist(), "m_hi": (m + m_half).tolist(),
        "final_loss": torch.where(diverged_at >= 0, torch.nan, final).tolist(),
        "diverged_at": diverged_at.tolist(), "steps_to_tol": reached.tolist(),
    }))


def run_sweep(config: SweepConfig) -> SweepResult:
    return summarise(config, sweep_losses(config))


@dataclass(frozen=True)
class Edge:
    """Where the divergence edge lies, row by row of the sweep: at each momentum whose row has a
    diverged cell, the smallest lr that diverged; and where the theory holds (the quadratic,
    plain heavy-ball: no dampening, no nesterov), its stability limit lr < 2(1 + m)/L, L the
    larger curvature (c, or 1 when c < 1)."""
    first_diverging: pd.Series  # index momentum: the smallest diverging lr of that row
    limits: pd.Series | None  # index momentum: 2(1 + m)/L, or None where the theory is not this


def divergence_edge(config: SweepConfig, cells: pd.DataFrame) -> Edge:
    diverged = cells[cells["diverged_at"] >= 0]
    first = diverged.groupby("momentum")["lr"].min()
    limits = None
    if config.landscape == "quadratic" and not config.dampening and not config.nesterov:
        curvature = max(1.0, config.condition)
        limits = pd.Series(2 * (1 + first.index) / curvature, index=first.index)
    return Edge(first, limits)


def sweep_script(config: SweepConfig) -> str:
    surface = config.surface
    f = surface.source(surface.code, config.condition)
    gx, gy = (surface.source(code, config.condition) for code in surface.grad_code)
    step = "g.add(buf * m)" if config.nesterov else "buf"
    return f'''import math

import torch

# Every (lr, momentum) cell at once, with torch.optim.SGD's update rule and the closed-form
# gradient; torch.optim.SGD run cell by cell gives the same losses.
lrs = torch.logspace(math.log10({config.lr_min!r}), math.log10({config.lr_max!r}),
                     {config.lr_count})
moms = torch.linspace({config.momentum_min!r}, {config.momentum_max!r}, {config.momentum_count})
m, lr = torch.meshgrid(moms, lrs, indexing="ij")
lr, m = lr.flatten(), m.flatten()
p = torch.tensor({list(config.start)!r}).unsqueeze(1).repeat(1, lr.shape[0])  # (2, cells)
buf = None
path = [p]
for step in range({config.steps}):
    x, y = p
    g = torch.stack([{gx}, {gy}])
    buf = g.clone() if buf is None else buf.mul_(m).add_(g, alpha={1 - config.dampening!r})
    p = torch.addcmul(p, lr, torch.where(m == 0, g, {step}), value=-1)  # p -= lr * step
    path.append(p)
x, y = torch.stack(path).unbind(1)
losses = {f}
bad = ~torch.isfinite(losses) | (losses > {ESCAPE!r} * losses[0].clamp(min=1.0))
for cell in range(lr.shape[0]):
    if bad[:, cell].any():
        print(f"lr={{lr[cell].item():.6g}} momentum={{m[cell].item():.4f}} "
              f"diverged at step {{int(bad[:, cell].int().argmax())}}")
    else:
        print(f"lr={{lr[cell].item():.6g}} momentum={{m[cell].item():.4f}} "
              f"final loss {{losses[-1, cell].item()!r}}")
'''


