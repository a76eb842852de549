"""The course's loop: torch.manual_seed(1), lr = 0.1, max_epoch = 200, iteration = 10 steps per
epoch, SGD(momentum=0.9) on w = randn(1) with loss (w - 0)²; each epoch records
scheduler.get_last_lr(), runs the iterations, then scheduler.step(). Here the draw comes from a
private torch.Generator seeded like the course (core never touches torch's global RNG).

The rates come from the real scheduler stepping a real torch.optim.SGD. The weight's steps are
SGD's own update written out with the same torch operations (grad = 2w, as autograd computes the
derivative of (w - 0)²; buf = buf·m + grad; w = w - lr·buf), which gives torch.optim.SGD's weight
bit for bit without autograd's and the optimiser's per-step bookkeeping: 2,000 steps cost a fifth
of what they did (python -m bench.schedules)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import torch

from core.errors import InputError, Notice
from core.schedules.registry import SCHEDULERS, Scheduler
from core.settings import setting, settings_of, validate_settings

# The loop's steps: max_epoch × iteration at most this many, the rest of the epochs cut with a
# notice (one computation stays under its CPU budget: python -m bench.schedules).
STEP_BUDGET = 20_000


@dataclass(frozen=True)
class ScheduleConfig:
    """A scheduler in the course's setting. settings: (name, value) pairs that differ from the
    entry's preset (none: the preset itself), each checked by the entry's own Setting."""

    scheduler: str = setting("StepLR", choices=SCHEDULERS.keys())
    settings: tuple[tuple[str, object], ...] = ()
    lr: float = setting(0.1, low=1e-8, high=10.0, format="%.6g")
    max_epoch: int = setting(200, low=1, high=1000, step=10)
    iteration: int = setting(10, low=1, high=50, step=1)
    seed: int = setting(1, low=0, high=2**31 - 1, step=1)

    @property
    def entry(self) -> Scheduler:
        return SCHEDULERS[self.scheduler]

    def values(self) -> dict:
        return self.entry.preset() | dict(self.settings)

    def compared(self) -> dict:
        """The scheduler with every setting at its value (the preset's too) as one call, for
        core.compare.differences: "StepLR(step_size=50, gamma=0.1) → StepLR(step_size=50,
        gamma=0.37)". Compared setting by setting, a change of scheduler listed every setting
        one of the two lacks ("settings.step_size: 50 → —")."""
        values = self.values() if self.scheduler in SCHEDULERS else dict(self.settings)
        return {"scheduler": f"{self.scheduler}(" + ", ".join(
            f"{name}={_short(value)}" for name, value in values.items()) + ")", "settings": ()}


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(_short, value)) + "]"
    return str(value)


SETTINGS = settings_of(ScheduleConfig)
MAX_EPOCH = SETTINGS["max_epoch"].bound


def validate(config: ScheduleConfig) -> tuple[ScheduleConfig, list[Notice]]:
    """The scheduler and the loop's settings of kind and in range, each of the scheduler's own
    settings checked by its Setting (named "<Scheduler>.<setting>", as its widget is), and the
    loop cut to the step budget."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    offered = {s.name: s for s in config.entry.settings}
    unknown = [name for name, _ in config.settings if name not in offered]
    if unknown:
        raise InputError("error.unknown_choice", field=f"{config.scheduler} setting",
                         value=unknown[0])
    settings = tuple((name, offered[name].parse(value, notices, f"{config.scheduler}.{name}"))
                     for name, value in config.settings)
    epochs = min(config.max_epoch, STEP_BUDGET // config.iteration)
    if epochs < config.max_epoch:
        notices.append(Notice("notice.schedules.step_budget", {
            "max_epoch": config.max_epoch, "iteration": config.iteration, "used": epochs,
            "budget": STEP_BUDGET}))
    return replace(config, settings=settings, max_epoch=epochs), notices


@dataclass(frozen=True)
class ScheduleResult:
    rates: pd.DataFrame  # epoch, group, lr (recorded before scheduler.step(), as the course does)
    rates_after: pd.DataFrame  # epoch, group, lr (recorded after scheduler.step())
    events: pd.DataFrame  # epoch, event: what a step reported (ReduceLROnPlateau)
    weights: pd.DataFrame  # epoch, w: the trained weight at the end of each epoch
    initial_w: float


def course_parameters(entry: Scheduler, generator: torch.Generator) -> tuple[list, torch.Tensor]:
    """The course's parameter groups and the weight it trains: w = randn(1); for the two-group
    example (LambdaLR) also w1 = randn(6, 3, 5, 5) and w2 = ones(5, 5), one group each (w itself
    is then in none, and stays where it was drawn)."""
    weights = torch.randn((1,), generator=generator, requires_grad=True)
    if entry.groups == 2:
        w1 = torch.randn((6, 3, 5, 5), generator=generator)
        return [{"params": [w1]}, {"params": [torch.ones((5, 5))]}], weights
    return [weights], weights


def refused(scheduler: str, error: Exception) -> InputError:
    """torch refused a combination of settings the bounds let through (OneCycleLR with fewer total
    steps than epochs, a cosine period of 0...): its own words, naming the scheduler."""
    return InputError("error.schedules.refused", scheduler=scheduler, message=str(error))


def sgd_steps(weight: torch.Tensor, buffer: torch.Tensor | None, group: dict,
              steps: int) -> torch.Tensor | None:
    """steps of torch.optim.SGD's update on the course's loss (w - 0)², at the group's lr and
    momentum: torch's own operations in _single_tensor_sgd's order (grad = 2w is autograd's
    derivative of the square, exactly); weight changes in place; the momentum buffer after."""
    momentum, rate = group["momentum"], group["lr"]
    with torch.no_grad():
        for _ in range(steps):
            grad = weight * 2
            if momentum:
                buffer = grad.clone() if buffer is None else buffer.mul_(momentum).add_(grad)
                grad = buffer
            weight.add_(grad, alpha=-rate)
    return buffer


def run(config: ScheduleConfig) -> ScheduleResult:
    """The course's loop with the real scheduler: every epoch record get_last_lr(), run the
    iterations, step the scheduler, record get_last_lr() again."""
    entry, values = config.entry, config.values()
    generator = torch.Generator().manual_seed(config.seed)
    groups, weights = course_parameters(entry, generator)
    initial = weights.item()
    optimizer = torch.optim.SGD(groups, lr=config.lr, momentum=0.9)
    trains = entry.groups == 1  # the two-group example only steps parameters without gradients
    before, after, events, trained, buffer = [], [], [], [], None
    try:
        scheduler = entry.build(optimizer, values, config.max_epoch)
        optimizer.step()  # no gradient: nothing moves, and the scheduler sees its optimiser step
        for epoch in range(config.max_epoch):
            before += [(epoch, g, lr) for g, lr in enumerate(scheduler.get_last_lr())]
            if trains:
                buffer = sgd_steps(weights, buffer, optimizer.param_groups[0], config.iteration)
            trained.append((epoch, weights.item()))
            events += [(epoch, event) for event in entry.step(scheduler, epoch, values, None)]
            after += [(epoch, g, lr) for g, lr in enumerate(scheduler.get_last_lr())]
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise refused(config.scheduler, error) from None
    columns = ["epoch", "group", "lr"]
    return ScheduleResult(pd.DataFrame(before, columns=columns),
                          pd.DataFrame(after, columns=columns),
                          pd.DataFrame(events, columns=["epoch", "event"]),
                          pd.DataFrame(trained, columns=["epoch", "w"]), initial)
