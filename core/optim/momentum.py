"""Momentum: the weights of an exponentially weighted average, and SGD on the course's y = 4x²
with and without momentum."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import torch

from core.errors import InputError, Notice
from core.optim.common import BETA_POINTS, ITERATIONS, START, number, upper


@dataclass(frozen=True)
class MomentumConfig:
    betas: tuple[float, ...] = (0.98, 0.95, 0.9, 0.8)
    points: int = 100
    momentum: float = 0.9  # on the first run, lr = 0.01 (the course also tries 0.63)
    lr_momentum: float = 0.01
    lr_plain: float = 0.03
    iterations: int = 100
    x0: float = 2.0


def validate_momentum(config: MomentumConfig) -> tuple[MomentumConfig, list[Notice]]:
    if not config.betas:
        raise InputError("error.optim.empty_list", field="betas")
    for beta in config.betas:
        number("betas", beta)
        if not 0 <= beta < 1:
            raise InputError("error.optim.beta_range", field="betas", value=beta)
    for name in ("momentum", "lr_momentum", "lr_plain", "x0"):
        number(name, getattr(config, name))
    for name in ("momentum", "lr_momentum", "lr_plain"):
        if getattr(config, name) < 0:
            raise InputError("error.optim.negative", field=name, value=getattr(config, name))
    notices: list[Notice] = []
    return replace(config, points=BETA_POINTS.clamp(config.points, notices),
                   momentum=upper("momentum", config.momentum, notices, low=0.0),
                   lr_momentum=upper("lr_momentum", config.lr_momentum, notices, low=0.0),
                   lr_plain=upper("lr_plain", config.lr_plain, notices, low=0.0),
                   x0=START.clamp(config.x0, notices),
                   iterations=ITERATIONS.clamp(config.iterations, notices)), notices


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


