"""The course's learning-rate lesson: y = 4x², plain gradient descent from x₀ for a grid of rates,
each run's verdict, and the two thresholds 1/8 and 1/4 run by torch."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from core.errors import InputError, Notice
from core.optim.common import RATE, START
from core.settings import setting, settings_of, validate_settings

ONE_STEP_LR = 1 / 8  # 1 − 8·lr = 0: x₁ = 0
LIMIT_LR = 1 / 4  # 1 − 8·lr = −1: x bounces between ±x₀ forever; beyond it, |x| grows
# The four verdicts, in the order the page counts them.
VERDICTS = ("converges", "oscillates_converging", "oscillates_forever", "diverges")


@dataclass(frozen=True)
class LrConfig:
    """The course's multi-lr run: linspace(0.01, 0.2, 10), 100 iterations from x = 2."""

    lr_min: float = setting(0.01, **RATE, step=0.01, format="%.4f")
    lr_max: float = setting(0.2, **RATE, step=0.01, format="%.4f")
    lr_count: int = setting(10, low=1, high=30, step=1)
    iterations: int = setting(100, low=1, high=500, step=1)
    x0: float = setting(2.0, **START, step=0.5)
    thresholds: bool = setting(False)  # True: the course's 1/8 and 1/4 join the grid

    @property
    def lrs(self) -> list[float]:
        grid = torch.linspace(self.lr_min, self.lr_max, self.lr_count).tolist()
        return sorted({*grid, ONE_STEP_LR, LIMIT_LR}) if self.thresholds else grid


SETTINGS = settings_of(LrConfig)
LR_COUNT, ITERATIONS = SETTINGS["lr_count"].bound, SETTINGS["iterations"].bound


def validate_lr(config: LrConfig) -> tuple[LrConfig, list[Notice]]:
    """Every setting of kind and in range, and the range of rates in order."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    if config.lr_max < config.lr_min:
        raise InputError("error.optim.order", low="lr_min", high="lr_max",
                         low_value=config.lr_min, high_value=config.lr_max)
    return config, notices


def verdict(xs: list[float]) -> str:
    """diverges (|x| ends above where it started, or stops being finite); oscillates_forever (x
    changes sign and |x| ends where it started: lr = 1/4); oscillates_converging (x changes sign
    while |x| shrinks: 1/8 < lr < 1/4); converges (|x| shrinks without changing sign)."""
    if not all(math.isfinite(x) for x in xs) or abs(xs[-1]) > abs(xs[0]):
        return "diverges"
    if any(a * b < 0 for a, b in zip(xs, xs[1:], strict=False)):
        return "oscillates_forever" if abs(xs[-1]) == abs(xs[0]) else "oscillates_converging"
    return "converges"


def descend_all(lrs: list[float], iterations: int, x0: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The course's loop for every learning rate at once, one element of x per lr:
    y = (2x)², y.backward(), x.data.sub_(lr * x.grad), x.grad.zero_(). Element by element the
    same float32 operations as the course's scalar x, so the same numbers, at a fraction of the
    cost. Returns x and y, (iterations + 1, lrs): before each iteration and after the last."""
    lr = torch.tensor(lrs)
    x = torch.full((len(lrs),), x0, requires_grad=True)
    xs, losses = [x.detach().clone()], []
    for _ in range(iterations):
        y = torch.pow(2 * x, 2)
        y.backward(torch.ones_like(y))
        x.data.sub_(lr * x.grad)
        x.grad.zero_()
        xs.append(x.detach().clone())
        losses.append(y.detach())
    losses.append(torch.pow(2 * x, 2).detach())
    return torch.stack(xs), torch.stack(losses)


@dataclass(frozen=True)
class LrResult:
    curves: pd.DataFrame  # lr, iteration, x, loss
    summary: pd.DataFrame  # lr, factor (1 − 8·lr), verdict, final_x, final_loss, reached
    checks: pd.DataFrame  # the analytic thresholds, run by torch: lr, x1, final_x, verdict


def threshold_checks(config: LrConfig) -> pd.DataFrame:
    """Run the thresholds themselves: 1/8 (x₁ = 0), 1/4 (|x| stays x₀) and just beyond 1/4."""
    lrs = [ONE_STEP_LR, LIMIT_LR, LIMIT_LR * 1.04]
    xs = descend_all(lrs, config.iterations, config.x0)[0].T.tolist()
    return pd.DataFrame([{"lr": lr, "x1": x[1], "final_x": x[-1], "verdict": verdict(x)}
                         for lr, x in zip(lrs, xs, strict=True)])


def run_lr(config: LrConfig) -> LrResult:
    lrs = config.lrs
    xs, losses = (v.T.tolist() for v in descend_all(lrs, config.iterations, config.x0))
    curves = pd.concat([pd.DataFrame({"lr": lr, "iteration": range(len(x)), "x": x, "loss": y})
                        for lr, x, y in zip(lrs, xs, losses, strict=True)], ignore_index=True)
    summary = pd.DataFrame([{"lr": lr, "factor": 1 - 8 * lr, "verdict": verdict(x),
                             "final_x": x[-1], "final_loss": y[-1],
                             "reached": abs(x[-1]) <= 1e-3 * abs(config.x0)}
                            for lr, x, y in zip(lrs, xs, losses, strict=True)])
    return LrResult(curves, summary, threshold_checks(config))


def lr_script(config: LrConfig) -> str:
    grid = f"torch.linspace({config.lr_min!r}, {config.lr_max!r}, {config.lr_count}).tolist()"
    if config.thresholds:
        grid = f"sorted({{*{grid}, 1 / 8, 1 / 4}})  # with the thresholds 1/8 and 1/4"
    return f'''import torch

lrs = {grid}
for lr in lrs:
    x = torch.tensor([{config.x0!r}], requires_grad=True)
    for i in range({config.iterations}):
        y = torch.pow(2 * x, 2)  # y = 4x^2
        y.backward()
        x.data.sub_(lr * x.grad)
        x.grad.zero_()
    print(f"lr={{lr}} final x={{x.item()}} loss={{torch.pow(2 * x, 2).item()}}")
'''
