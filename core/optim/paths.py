"""Optimisers on 2-D landscapes, with torch.optim itself: up to four runs from one start point,
each run's trajectory, where it diverged, and (for an optimiser whose step takes a closure, LBFGS)
every evaluation of the loss inside a step."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd
import torch

from core.errors import InputError, Notice
from core.landscapes import LANDSCAPES, Landscape
from core.optim.common import CONDITION, ESCAPE, MAX_RUNS, START, escaped
from core.optim.registry import Spec, validate_spec
from core.settings import setting, settings_of, validate_settings


def takes_condition(values: dict) -> bool:
    """Whether the chosen landscape has a condition number (the quadratic)."""
    return LANDSCAPES[values.get("landscape", "rosenbrock")].takes_condition


@dataclass(frozen=True)
class OnLandscape:
    """A landscape, its condition number where its formula has one, and a start point: the
    landscape tab's and the sweep's first settings (by default Rosenbrock from (-1.5, 2))."""

    landscape: str = setting("rosenbrock", choices=LANDSCAPES.keys(),
                             choice_text="optim.land_{choice}")
    condition: float = setting(10.0, **CONDITION, step=1.0, shown=takes_condition)
    start_x: float = setting(-1.5, **START, step=0.1)
    start_y: float = setting(2.0, **START, step=0.1)

    @property
    def surface(self) -> Landscape:
        return LANDSCAPES[self.landscape]

    @property
    def start(self) -> tuple[float, float]:
        return self.start_x, self.start_y


@dataclass(frozen=True)
class PathConfig(OnLandscape):
    """Up to four optimisers from one start on one landscape: by default the course's SGD with
    and without momentum beside Adam and RMSprop on Rosenbrock, 300 steps."""

    steps: int = setting(300, low=1, high=800, step=50)
    runs: tuple[Spec, ...] = (
        Spec.of("SGD", lr=1e-3), Spec.of("SGD", lr=1e-3, momentum=0.9),
        Spec.of("Adam", lr=0.05), Spec.of("RMSprop", lr=0.01),
    )
    forget_zero_grad: bool = setting(False)  # True: the loop leaves out optimizer.zero_grad()

    @property
    def zero_grad(self) -> bool:
        return not self.forget_zero_grad


STEPS = settings_of(PathConfig)["steps"].bound
# The runs' steps together, in plain optimiser steps (Spec.step_cost): 1,200, the course's four
# runs of 300 steps, keep a change of the landscape, the start or the steps, which reruns every
# run, at about 0.3 s of CPU on one thread (python -m bench.optim).
STEP_BUDGET = 1200


def validate_path(config: PathConfig) -> tuple[PathConfig, list[Notice]]:
    """Every setting of kind and in range, each run's settings as torch takes them, and the
    steps cut, with a notice, where the runs together would pass the step budget."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    if not config.runs:
        raise InputError("error.optim.no_runs")
    runs = tuple(validate_spec(spec, i + 1, notices)
                 for i, spec in enumerate(config.runs[:MAX_RUNS]))
    cost = sum(spec.step_cost() for spec in runs)
    if config.steps * cost > STEP_BUDGET:
        allowed = max(1, int(STEP_BUDGET // cost))
        notices.append(Notice("notice.optim.step_budget", {
            "steps": config.steps, "runs": len(runs), "cost": cost, "used": allowed,
            "budget": STEP_BUDGET}))
        config = replace(config, steps=allowed)
    return replace(config, runs=runs), notices


@dataclass(frozen=True)
class PathResult:
    # run, label, step, x, y, loss, grad_x, grad_y (p.grad that step), vel_x, vel_y (the velocity
    # buffer after the step; nan when the optimiser keeps none)
    paths: pd.DataFrame
    diverged_at: tuple[int | None, ...]  # per run: the step whose loss escaped, or None
    surface: pd.DataFrame  # x, x2, y, y2 (cell edges), loss: the contour grid
    evaluations: pd.DataFrame  # run, label, step, evaluation, x, y, loss: inside step(closure)


@dataclass
class Point:
    """One point of a trajectory, as trajectory() yields it."""
    step: int
    position: torch.Tensor
    loss: torch.Tensor
    grad: torch.Tensor | None  # p.grad there; None where the loss escaped (the path ends)
    optimizer: torch.optim.Optimizer
    evaluations: list[tuple[float, float, float]]  # (x, y, loss) the step's closure evaluated


def trajectory(config: PathConfig, spec: Spec, steps: int | None = None):
    """Run one optimiser from the start point for `steps` steps (the Config's by default); yields
    a Point before each step and after the last, and stops at the first escaped loss."""
    surface, c = config.surface, config.condition
    p = torch.tensor(config.start, requires_grad=True)
    optimizer = spec.make([p])
    steps = config.steps if steps is None else steps
    first = None
    evaluations: list[tuple[float, float, float]] = []

    def closure():
        if config.zero_grad:
            optimizer.zero_grad()
        loss = surface.f(p[0], p[1], c)
        loss.backward()
        evaluations.append((*p.detach().tolist(), loss.item()))
        return loss

    for step in range(steps + 1):
        if config.zero_grad:
            optimizer.zero_grad()
        loss = surface.f(p[0], p[1], c)
        first = loss.detach() if first is None else first
        position = p.detach().clone()
        if escaped(loss.detach(), first):
            yield Point(step, position, loss.detach(), None, optimizer, [])
            return
        loss.backward()
        grad = p.grad.clone()
        evaluations = []
        if step < steps:
            optimizer.step(closure) if spec.entry.closure else optimizer.step()
        yield Point(step, position, loss.detach(), grad, optimizer, evaluations)


def run_path(config: PathConfig, spec: Spec) -> tuple[pd.DataFrame, int | None, pd.DataFrame]:
    """One run's trajectory (step, x, y, loss, grad_x, grad_y, vel_x, vel_y), the step at which
    it diverged (None if it did not) and the closure's evaluations (step, evaluation, x, y,
    loss)."""
    rows, inner, stop = [], [], None
    for point in trajectory(config, spec):
        if point.grad is None:
            stop = point.step
        velocity = _velocity(spec, point.optimizer) if point.grad is not None else [math.nan] * 2
        grad = point.grad.tolist() if point.grad is not None else [math.nan] * 2
        rows.append((point.step, *point.position.tolist(), point.loss.item(), *grad, *velocity))
        inner += [(point.step, i, *values) for i, values in enumerate(point.evaluations)]
    return (pd.DataFrame(rows, columns=["step", "x", "y", "loss", "grad_x", "grad_y", "vel_x",
                                        "vel_y"]), stop,
            pd.DataFrame(inner, columns=["step", "evaluation", "x", "y", "loss"]))


def combine(config: PathConfig, runs: list[tuple]) -> PathResult:
    """The runs' trajectories in one tidy frame, labelled "1: SGD(lr=0.001)" and so on."""
    labels = [f"{i + 1}: {spec.label()}" for i, spec in enumerate(config.runs)]
    frames = [frame.assign(run=i + 1, label=label)
              for i, (label, (frame, _, _)) in enumerate(zip(labels, runs, strict=True))]
    inner = [frame.assign(run=i + 1, label=label)
             for i, (label, (_, _, frame)) in enumerate(zip(labels, runs, strict=True))]
    return PathResult(pd.concat(frames, ignore_index=True), tuple(stop for _, stop, _ in runs),
                      surface_grid(config), pd.concat(inner, ignore_index=True))


def _velocity(spec: Spec, optimizer: torch.optim.Optimizer) -> list[float]:
    state = next(iter(optimizer.state.values()), {})
    buffer = state.get(spec.entry.velocity or "")
    return buffer.tolist() if isinstance(buffer, torch.Tensor) and buffer.numel() == 2 \
        else [math.nan, math.nan]


def arrows(paths: pd.DataFrame, step: int, view: tuple[float, float, float, float],
           length: float = 0.12) -> pd.DataFrame:
    """At each run's point at `step`: the descent direction −grad and the velocity −buffer, as
    arrows of a fixed length (a fraction of the view) so that directions compare; `size` keeps
    the true magnitude and `angle` turns an arrow head (degrees clockwise from up)."""
    x_span, y_span = view[1] - view[0], view[3] - view[2]
    rows = []
    for row in paths[paths["step"] == step].itertuples():
        for kind, (dx, dy) in (("gradient", (-row.grad_x, -row.grad_y)),
                               ("velocity", (-row.vel_x, -row.vel_y))):
            u, v = dx / x_span, dy / y_span  # in screen proportions
            size = math.hypot(u, v)
            if not math.isfinite(size) or size == 0:
                continue
            rows.append({"label": row.label, "kind": kind, "x": row.x, "y": row.y,
                         "x2": row.x + length * u / size * x_span,
                         "y2": row.y + length * v / size * y_span,
                         "angle": math.degrees(math.atan2(u, v)) % 360,
                         "size": math.hypot(dx, dy)})
    return pd.DataFrame(rows, columns=["label", "kind", "x", "y", "x2", "y2", "angle", "size"])


def surface_grid(config: PathConfig, cells: int = 60) -> pd.DataFrame:
    x_min, x_max, y_min, y_max = config.surface.view
    xs = torch.linspace(x_min, x_max, cells + 1, dtype=torch.float64)
    ys = torch.linspace(y_min, y_max, cells + 1, dtype=torch.float64)
    cx, cy = (xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2
    gx, gy = torch.meshgrid(cx, cy, indexing="ij")
    loss = config.surface.f(gx, gy, config.condition)
    ex, ey = torch.meshgrid(torch.arange(cells), torch.arange(cells), indexing="ij")
    return pd.DataFrame({"x": xs[ex.flatten()].numpy(), "x2": xs[ex.flatten() + 1].numpy(),
                         "y": ys[ey.flatten()].numpy(), "y2": ys[ey.flatten() + 1].numpy(),
                         "loss": loss.flatten().numpy()})


def path_script(config: PathConfig) -> str:
    f = config.surface.source(config.surface.code, config.condition)
    runs = ",\n    ".join(f"(lambda p: {spec.code('[p]')}, {spec.entry.closure})"
                          for spec in config.runs)
    clear = "optimizer.zero_grad()" if config.zero_grad else \
        "pass  # the loop forgets optimizer.zero_grad()"
    return f'''import torch


def f(x, y):
    return {f}


optimizers = [  # (the optimizer, whether its step takes a closure)
    {runs},
]
for run, (make, needs_closure) in enumerate(optimizers, start=1):
    p = torch.tensor({list(config.start)!r}, requires_grad=True)
    optimizer = make(p)

    def closure():  # LBFGS evaluates the loss several times per step
        {clear}
        loss = f(p[0], p[1])
        loss.backward()
        return loss

    first = None
    for step in range({config.steps} + 1):
        {clear}
        loss = f(p[0], p[1])
        first = loss.item() if first is None else first
        if not torch.isfinite(loss) or loss.item() > {ESCAPE!r} * max(first, 1.0):
            print(f"run {{run}}: diverged at step {{step}}")
            break
        loss.backward()
        x, y = p.tolist()
        print(f"run {{run}} step {{step}}: x={{x}} y={{y}} loss={{loss.item()}}")
        if step < {config.steps}:
            optimizer.step(closure) if needs_closure else optimizer.step()
'''
