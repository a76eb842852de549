"""A schedule applied: the chosen scheduler driving an optimiser on a landscape of the optimiser
lesson and on the course's y = 4x², beside the same optimiser at a constant rate.

The scheduler is stepped after every optimiser step here (one step = one epoch of the schedule),
so the course's schedules, set in epochs, shape a run of max_epoch steps.

Gradient noise stands for a mini-batch's: each step adds noise·N(0, 1) to every entry of p.grad
before optimizer.step(), drawn from a generator seeded with the Config's seed, the same draws for
the scheduled run and the constant one. Without noise a decaying rate has nothing to settle (a
constant rate that converges keeps converging); with it, a constant rate keeps bouncing at a
level that grows with the rate, and a decay brings that level down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from core.errors import Notice
from core.landscapes import LANDSCAPES
from core.optim.paths import PathConfig, surface_grid
from core.optim.registry import Spec
from core.schedules.course import ScheduleConfig, refused
from core.settings import setting, validate_settings

ESCAPE = 1e6  # a run has diverged once its loss grows this many times above where it began
COURSE_X0 = 2.0  # the course's 4x² starts at x = 2
CONDITION = 10.0  # the quadratic's condition number, as the optimiser lesson's default
TAIL = 20  # the last steps whose mean loss says where a run ended up (one step's loss is noisy)


def make_optimizer(params: list[torch.Tensor], lr: float, momentum: float):
    """The course's optimiser, SGD with momentum, from the optimiser lesson's registry."""
    return Spec.of("SGD", lr=lr, momentum=momentum).make(params)


def optimizer_code(lr_name: str, momentum: float) -> str:
    """The same, as the shown script writes it with its rate in the variable lr_name."""
    return f"torch.optim.SGD([p], lr={lr_name}, momentum={momentum!r})"


def suggested_lr(landscape: str) -> float:
    """A rate the landscape's SGD with momentum tolerates: a tenth of the top of its sweep
    range."""
    return LANDSCAPES[landscape].lr_range[1] / 10


@dataclass(frozen=True)
class ApplyConfig:
    """The curves tab's schedule on a landscape and on 4x², with gradient noise: by default the
    quadratic, where a constant rate bounces in the noise and StepLR's decay settles it."""
    schedule: ScheduleConfig = ScheduleConfig()
    landscape: str = setting("quadratic", choices=LANDSCAPES.keys(),
                             choice_text="optim.land_{choice}")
    landscape_lr: float = setting(0.1, low=1e-8, high=10.0, format="%.4g")  # suggested_lr's
    momentum: float = setting(0.9, low=0.0, high=0.999, step=0.05, format="%.3f")
    noise: float = setting(1.0, low=0.0, high=100.0, step=0.5, format="%.3g")
    noise_seed: int = setting(1, low=0, high=2**31 - 1, step=1)

    @property
    def start(self) -> tuple[float, float]:
        return LANDSCAPES[self.landscape].start


def validate(config: ApplyConfig) -> tuple[ApplyConfig, list[Notice]]:
    """Its own settings of kind and in range (the schedule is the curves tab's, validated
    there)."""
    notices: list[Notice] = []
    return validate_settings(config, notices), notices


def descend(config: ApplyConfig, f, start: list[float], lr: float,
            scheduled: bool) -> tuple[pd.DataFrame, int | None]:
    """max_epoch optimiser steps on f from start, the gradient noise added to p.grad before each;
    with the schedule stepped after each (its loss is the step's loss, for ReduceLROnPlateau), or
    at a constant rate. Rows: step, lr (the rate of that step), x (and y), loss before the step;
    stops at the first escaped loss, and returns that step (None when the run did not
    diverge)."""
    schedule = config.schedule
    entry, values = schedule.entry, schedule.values()
    generator = torch.Generator().manual_seed(config.noise_seed)
    p = torch.tensor(start, requires_grad=True)
    optimizer = make_optimizer([p], lr, config.momentum)
    scheduler = None
    if scheduled:
        try:
            scheduler = entry.build(optimizer, values, schedule.max_epoch)
        except (ValueError, ZeroDivisionError) as error:
            raise refused(schedule.scheduler, error) from None
    rows, first, stop = [], None, None
    for step in range(schedule.max_epoch + 1):
        loss = f(p)
        first = loss.item() if first is None else first
        rate = optimizer.param_groups[0]["lr"]
        rows.append((step, rate, *p.tolist(), loss.item()))
        if not math.isfinite(loss.item()) or loss.item() > ESCAPE * max(first, 1.0):
            stop = step
            break
        if step == schedule.max_epoch:
            break
        loss.backward()
        p.grad.add_(torch.randn(p.shape, generator=generator), alpha=config.noise)
        optimizer.step()
        optimizer.zero_grad()
        if scheduler is not None:
            try:
                entry.step(scheduler, step, values, loss.item())
            except (ValueError, ZeroDivisionError) as error:
                raise refused(schedule.scheduler, error) from None
    axes = ["x", "y"][:len(start)]
    return pd.DataFrame(rows, columns=["step", "lr", *axes, "loss"]), stop


@dataclass(frozen=True)
class Applied:
    landscape: pd.DataFrame  # run ("scheduled" / "constant"), step, lr, x, y, loss
    parabola: pd.DataFrame  # run, step, lr, x, loss: the course's 4x² from x = 2
    surface: pd.DataFrame  # the landscape's contour grid, as the optimiser lesson draws it
    diverged: pd.DataFrame  # function ("landscape" / "parabola"), run, step: where a loss escaped
    # function, scheduled, constant: each run's mean loss over its last TAIL steps (inf where it
    # diverged), what the page's sentence on which run ends lower is computed from
    ends: pd.DataFrame


def tail_means(frame: pd.DataFrame, stop: int | None) -> float:
    """A run's mean loss over its last TAIL rows (summed in order, as the script does); inf where
    it diverged."""
    last = frame["loss"].iloc[-TAIL:].tolist()
    return math.inf if stop is not None else sum(last) / len(last)


def run(config: ApplyConfig) -> Applied:
    surface = LANDSCAPES[config.landscape]
    c = CONDITION

    def on_landscape(p):
        return surface.f(p[0], p[1], c)

    def parabola(p):
        return torch.pow(2 * p[0], 2)

    frames, diverged, ends = {}, [], []
    for name, f, start, lr in (("landscape", on_landscape, list(config.start), config.landscape_lr),
                               ("parabola", parabola, [COURSE_X0], config.schedule.lr)):
        runs, means = [], {}
        for run_name, scheduled in (("scheduled", True), ("constant", False)):
            frame, stop = descend(config, f, start, lr, scheduled)
            runs.append(frame.assign(run=run_name))
            means[run_name] = tail_means(frame, stop)
            if stop is not None:
                diverged.append((name, run_name, stop))
        frames[name] = pd.concat(runs, ignore_index=True)
        ends.append({"function": name, **means})
    return Applied(frames["landscape"], frames["parabola"],
                   surface_grid(PathConfig(landscape=config.landscape, condition=c)),
                   pd.DataFrame(diverged, columns=["function", "run", "step"]),
                   pd.DataFrame(ends, columns=["function", "scheduled", "constant"]))


def to_script(config: ApplyConfig) -> str:
    """Both runs on both functions; prints each run's final position and loss, and its mean loss
    over the last TAIL steps (the page's comparison), or that it diverged."""
    schedule = config.schedule
    entry, values = schedule.entry, schedule.values()
    surface = LANDSCAPES[config.landscape]
    formula = surface.source(surface.code, CONDITION)
    step_code = "\n".join(entry.step_code(values, "loss.item()"))
    return f'''import torch


def landscape(x, y):
    return {formula}


def parabola(x):
    return torch.pow(2 * x, 2)  # the course's y = 4x^2


runs = [("landscape", lambda p: landscape(p[0], p[1]), {list(config.start)!r}, \
{config.landscape_lr!r}),
        ("parabola", lambda p: parabola(p[0]), [{COURSE_X0!r}], {schedule.lr!r})]
for name, f, start, LR in runs:
    for scheduled in (True, False):
        generator = torch.Generator().manual_seed({config.noise_seed})  # both runs: same noise
        p = torch.tensor(start, requires_grad=True)
        optimizer = {optimizer_code("LR", config.momentum)}
        scheduler = {entry.constructor(values, schedule.max_epoch)} if scheduled else None
        losses = []
        for epoch in range({schedule.max_epoch} + 1):
            loss = f(p)
            losses.append(loss.item())
            diverged = not torch.isfinite(loss) or loss.item() > {ESCAPE!r} * max(losses[0], 1.0)
            if diverged or epoch == {schedule.max_epoch}:
                break
            loss.backward()
            p.grad.add_(torch.randn(p.shape, generator=generator), alpha={config.noise!r})
            optimizer.step()
            optimizer.zero_grad()
            if scheduled:
                {step_code}
        tail = "diverged" if diverged else sum(losses[-{TAIL}:]) / len(losses[-{TAIL}:])
        print(f"{{name}} scheduled={{scheduled}} step {{epoch}}: p={{p.tolist()}} "
              f"loss={{loss.item()}} last {TAIL} steps' mean loss={{tail}}")
'''
