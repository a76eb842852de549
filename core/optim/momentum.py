"""Momentum: the weights of an exponentially weighted average, and SGD on the course's y = 4x²
with and without momentum."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch

from core.errors import Notice
from core.optim.common import RATE, START
from core.settings import setting, validate_settings


@dataclass(frozen=True)
class MomentumConfig:
    """The course's momentum demo: the average's weights for four betas over 100 points, then
    SGD on 4x² from x = 2 for 100 iterations, lr 0.01 with momentum 0.9 against lr 0.03."""

    # each beta of an average: below 0 refused, 1 or more clamped just below 1
    betas: tuple[float, ...] = setting((0.98, 0.95, 0.9, 0.8), low=0.0, below_low="refuse",
                                       high=0.999)
    points: int = setting(100, low=2, high=1000, step=10)
    momentum: float = setting(0.9, **RATE, step=0.01, format="%.3f")  # the course also tries 0.63
    lr_momentum: float = setting(0.01, **RATE, step=0.005, format="%.4f")
    lr_plain: float = setting(0.03, **RATE, step=0.005, format="%.4f")
    iterations: int = setting(100, low=1, high=500, step=10)
    x0: float = setting(2.0, **START, step=0.5)


def validate_momentum(config: MomentumConfig) -> tuple[MomentumConfig, list[Notice]]:
    notices: list[Notice] = []
    return validate_settings(config, notices), notices


@dataclass(frozen=True)
class Race:
    """The two runs compared, as the page states it: where the run with momentum is ahead."""
    ahead: tuple[tuple[int, int], ...]  # (first, last) iterations where its loss is the lower
    last: int  # the last iteration
    loss_momentum: float  # each run's loss at the last iteration
    loss_plain: float
    sign_changes: int  # how often the run with momentum's x changes sign (overshoots 0)


@dataclass(frozen=True)
class MomentumResult:
    weights: pd.DataFrame  # beta, t, weight = (1 − β)·β^t
    runs: pd.DataFrame  # run, iteration, x, loss
    race: Race


def race(runs: pd.DataFrame) -> Race:
    """Where the first run (with momentum) has the lower loss, iteration by iteration, as runs of
    consecutive iterations; both losses at the last iteration; how often its x changes sign."""
    half = len(runs) // 2  # the run with momentum's rows, then the other's
    first, second = runs.iloc[:half].reset_index(drop=True), runs.iloc[half:].reset_index(
        drop=True)
    below = (first["loss"] < second["loss"]).tolist()
    ahead, start = [], None
    for i, lower in enumerate([*below, False]):
        if lower and start is None:
            start = i
        elif not lower and start is not None:
            ahead.append((int(first["iteration"][start]), int(first["iteration"][i - 1])))
            start = None
    xs = first["x"].tolist()
    return Race(tuple(ahead), int(first["iteration"].iloc[-1]), float(first["loss"].iloc[-1]),
                float(second["loss"].iloc[-1]),
                sum(a * b < 0 for a, b in zip(xs, xs[1:], strict=False)))


def buffer_factor(momentum: float) -> float:
    """What SGD's momentum buffer b ← m·b + g tends to with a constant gradient, in gradients:
    1 + m + m² + … = 1/(1 − m), an unnormalised sum (10 at m = 0.9), not an average."""
    return 1 / (1 - momentum)


def run_momentum(config: MomentumConfig) -> MomentumResult:
    t = torch.arange(config.points, dtype=torch.float32)
    weights = pd.concat([pd.DataFrame({"beta": beta, "t": t.int().tolist(),
                                       "weight": ((1 - beta) * beta ** t).tolist()})
                         for beta in config.betas], ignore_index=True)
    runs = []
    for lr, momentum in ((config.lr_momentum, config.momentum), (config.lr_plain, 0.0)):
        x = torch.tensor([config.x0], requires_grad=True)
        optimizer = torch.optim.SGD([x], lr=lr, momentum=momentum)
        xs, losses = [], []
        for _ in range(config.iterations):
            y = torch.pow(2 * x, 2)
            y.backward()
            xs.append(x.item())
            losses.append(y.item())
            optimizer.step()
            optimizer.zero_grad()
        runs.append(pd.DataFrame({"lr": lr, "momentum": momentum,
                                  "iteration": range(config.iterations), "x": xs,
                                  "loss": losses}))
    runs = pd.concat(runs, ignore_index=True)
    return MomentumResult(weights, runs, race(runs))


def momentum_script(config: MomentumConfig) -> str:
    return f'''import torch

for beta in {list(config.betas)!r}:
    t = torch.arange({config.points}, dtype=torch.float32)
    weights = (1 - beta) * beta ** t
    print(f"beta={{beta}} first weights {{weights[:3].tolist()}} sum={{weights.sum().item()}}")

for lr, momentum in [({config.lr_momentum!r}, {config.momentum!r}), ({config.lr_plain!r}, 0.0)]:
    x = torch.tensor([{config.x0!r}], requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=lr, momentum=momentum)
    for i in range({config.iterations}):
        y = torch.pow(2 * x, 2)
        y.backward()
        loss = y.item()
        optimizer.step()
        optimizer.zero_grad()
    print(f"lr={{lr}} momentum={{momentum}} last loss={{loss}}")
'''


