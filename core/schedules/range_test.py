"""The learning-rate range test (torch-lr-finder's method): train a small network while the rate
grows exponentially from start_lr to end_lr over num_iter steps, one batch per step; smooth the
loss, stop once it exceeds `diverge` times the best smoothed loss, and suggest the rate where the
smoothed loss falls fastest (its steepest negative gradient along the run, the first skip_start
and last skip_end points left out, as torch-lr-finder's plot does).

The rate follows torch's own LambdaLR:
lr_i = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1)).
The smoothing is an exponential moving average with bias correction:
avg_i = beta * avg_(i-1) + (1 - beta) * loss_i, smoothed_i = avg_i / (1 - beta ** (i + 1)).
(torch-lr-finder's own default, smooth_f = 0.05, is the same average with beta = 0.95 and no bias
correction; the correction keeps the first points from starting near 0.)

The data: 256 points drawn uniformly in [-2, 2]², labelled by whether they lie inside the circle
of radius 1.3 (a boundary a linear model cannot draw); the network 2-16-2 with ReLU; batches of 32
in a fixed shuffled order, cycled. Every draw comes from a generator seeded with the Config's seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F

from core.errors import InputError, Notice
from core.optim.registry import Spec
from core.settings import setting, settings_of, validate_settings

POINTS, HIDDEN, BATCH, RADIUS = 256, 16, 32, 1.3
SKIP_START, SKIP_END = 10, 5  # torch-lr-finder's plot leaves these out of the suggestion
MOMENTUM = 0.9


@dataclass(frozen=True)
class RangeConfig:
    """torch-lr-finder's range_test: the rate from 1e-7 to 10 over 100 steps, the lesson's seed."""
    seed: int = setting(1, low=0, high=2**31 - 1, step=1)
    start_lr: float = setting(1e-7, low=1e-10, high=1.0, format="%.3g")
    end_lr: float = setting(10.0, low=1e-6, high=100.0, format="%.3g")
    num_iter: int = setting(100, low=10, high=500, step=10)
    beta: float = setting(0.98, low=0.0, high=0.999, step=0.01, format="%.3f")
    diverge: float = setting(5.0, low=1.1, high=100.0, step=0.5)


SETTINGS = settings_of(RangeConfig)


def validate(config: RangeConfig) -> tuple[RangeConfig, list[Notice]]:
    """Its settings of kind and in range, and a range that grows."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    if config.end_lr <= config.start_lr:
        raise InputError("error.schedules.range_order", start_lr=config.start_lr,
                         end_lr=config.end_lr)
    return config, notices


def data(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.rand((POINTS, 2), generator=generator) * 4 - 2
    return x, (x.norm(dim=1) < RADIUS).long()


def network(generator: torch.Generator) -> list[torch.Tensor]:
    """w1, b1, w2, b2 drawn as nn.Linear draws them (uniform in ±1/sqrt(fan_in))."""
    def uniform(shape, fan_in):
        bound = 1 / math.sqrt(fan_in)
        return (torch.rand(shape, generator=generator) * 2 - 1) * bound

    params = [uniform((2, HIDDEN), 2), uniform((HIDDEN,), 2), uniform((HIDDEN, 2), HIDDEN),
              uniform((2,), HIDDEN)]
    return [p.requires_grad_() for p in params]


def forward(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    w1, b1, w2, b2 = params
    return torch.relu(x @ w1 + b1) @ w2 + b2


def optimizer_spec(config: RangeConfig) -> Spec:
    """The test's optimiser, SGD with momentum, from the optimiser lesson's registry; its rate
    starts at start_lr and the LambdaLR schedule multiplies it."""
    return Spec.of("SGD", lr=config.start_lr, momentum=MOMENTUM)


@dataclass(frozen=True)
class RangeResult:
    steps: pd.DataFrame  # step, lr, loss (the batch's), smoothed
    stopped_at: int | None  # the step whose smoothed loss passed diverge × best, or None
    suggested: int | None  # the step of the steepest fall, or None (too few points)
    best: float  # the best smoothed loss

    @property
    def suggested_lr(self) -> float | None:
        return None if self.suggested is None else float(self.steps["lr"][self.suggested])


def run(config: RangeConfig) -> RangeResult:
    generator = torch.Generator().manual_seed(config.seed)
    x, y = data(generator)
    order = torch.randperm(POINTS, generator=generator)
    params = network(generator)
    optimizer = optimizer_spec(config).make(params)
    growth = config.end_lr / config.start_lr
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda i: growth ** (i / (config.num_iter - 1)))
    rows, average, best, stopped = [], 0.0, math.inf, None
    for step in range(config.num_iter):
        batch = order[(step * BATCH) % POINTS:][:BATCH]
        lr = schedule.get_last_lr()[0]
        loss = F.cross_entropy(forward(params, x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        average = config.beta * average + (1 - config.beta) * loss.item()
        smoothed = average / (1 - config.beta ** (step + 1))
        rows.append((step, lr, loss.item(), smoothed))
        best = min(best, smoothed)
        if not math.isfinite(smoothed) or smoothed > config.diverge * best:
            stopped = step
            break
    steps = pd.DataFrame(rows, columns=["step", "lr", "loss", "smoothed"])
    return RangeResult(steps, stopped, steepest(steps["smoothed"]), best)


def steepest(smoothed: pd.Series) -> int | None:
    """The step where the smoothed loss falls fastest: the most negative torch.gradient of the
    smoothed losses (the steps are evenly spaced in log lr), skipping the first SKIP_START and the
    last SKIP_END points as torch-lr-finder does. None if fewer than two points remain."""
    kept = torch.tensor(smoothed.tolist()[SKIP_START:len(smoothed) - SKIP_END],
                        dtype=torch.float64)
    if len(kept) < 2 or not torch.isfinite(kept).all():
        return None
    return SKIP_START + int(torch.gradient(kept)[0].argmin())


def to_script(config: RangeConfig) -> str:
    return f'''import math

import torch
import torch.nn.functional as F

torch.manual_seed({config.seed})
x = torch.rand(({POINTS}, 2)) * 4 - 2
y = (x.norm(dim=1) < {RADIUS!r}).long()  # inside the circle or not
order = torch.randperm({POINTS})


def uniform(shape, fan_in):  # as nn.Linear draws its weights
    return (torch.rand(shape) * 2 - 1) * (1 / math.sqrt(fan_in))


params = [uniform((2, {HIDDEN}), 2), uniform(({HIDDEN},), 2), uniform(({HIDDEN}, 2), {HIDDEN}),
          uniform((2,), {HIDDEN})]
for p in params:
    p.requires_grad_()
w1, b1, w2, b2 = params
optimizer = {optimizer_spec(config).code('params')}
growth = {config.end_lr!r} / {config.start_lr!r}
schedule = torch.optim.lr_scheduler.LambdaLR(
    optimizer, lambda i: growth ** (i / {config.num_iter - 1}))
beta, average, best, smoothed_losses = {config.beta!r}, 0.0, math.inf, []
for step in range({config.num_iter}):
    batch = order[(step * {BATCH}) % {POINTS}:][:{BATCH}]
    lr = schedule.get_last_lr()[0]
    loss = F.cross_entropy(torch.relu(x[batch] @ w1 + b1) @ w2 + b2, y[batch])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    schedule.step()
    average = beta * average + (1 - beta) * loss.item()
    smoothed = average / (1 - beta ** (step + 1))  # bias correction
    smoothed_losses.append(smoothed)
    print(f"step {{step}} lr {{lr}} loss {{loss.item()}} smoothed {{smoothed}}")
    best = min(best, smoothed)
    if not math.isfinite(smoothed) or smoothed > {config.diverge!r} * best:
        print(f"stopped at step {{step}}: the loss diverged")
        break
kept = torch.tensor(smoothed_losses[{SKIP_START}:len(smoothed_losses) - {SKIP_END}],
                    dtype=torch.float64)
if len(kept) >= 2:
    print(f"steepest fall at step {{{SKIP_START} + int(torch.gradient(kept)[0].argmin())}}")
'''
