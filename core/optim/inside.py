"""Inside the optimiser, step by step: for one run and one step, every entry of the optimiser's
`state` (and the parameter) recomputed by its registry entry's rule (core.optim.rules) from the
previous state, the step's gradient and the update formulas of torch's documentation, shown with
that step's numbers in the formula, beside the values torch holds after its own step.

The run is the landscape tab's trajectory (core.optim.paths.trajectory): it stops where the loss
escaped, as the tab's path and the anatomy do, and the step shown is then the last one the run
took (Inside.diverged_at says which).

The float32 arithmetic is torch's own, and where the order of rounding decides (a moment whose
two terms nearly cancel) the rules call torch's fused operations (lerp, addcmul); elsewhere an
expression in the documentation's order can round its last bit differently: agreement is judged
to float32's precision (AGREE), which a wrong formula misses by orders of magnitude.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pandas as pd
import torch

from core.optim.paths import PathConfig, trajectory
from core.optim.rules import stacked

# float32 has 24 bits: a few roundings apart is ~1e-6 relative; a wrong formula is far beyond.
AGREE = {"rtol": 1e-5, "atol": 1e-7}
COLUMNS = ["key", "formula", "evaluated", "ours", "torch", "agree"]


@dataclass(frozen=True)
class Inside:
    table: pd.DataFrame  # key, formula, evaluated (the formula with the step's numbers), ours,
    # torch, agree: one row per entry of state and the parameter
    step: int  # the step shown: k, or the last step the run took before its loss escaped
    diverged_at: int | None  # the step after which the loss escaped (paths.run_path's), or None


def inside_step(config: PathConfig, run: int, k: int) -> Inside:
    """Run `run`'s step k: each entry the rule gives (key, formula, evaluated, ours) beside
    torch's (torch) and whether they agree; an empty table when the optimiser has no rule or no
    step was taken."""
    spec = config.runs[run - 1]
    last, diverged = _last_step(config, spec, k)
    if diverged is not None and diverged < k:  # its last step was step `diverged`: run to it
        last, _ = _last_step(config, spec, diverged)
    if last is None or spec.entry.rule is None:
        return Inside(pd.DataFrame(columns=COLUMNS), 0 if last is None else last[0], diverged)
    step, position, grad, before, after, param, optimizer = last
    group = {key: value for key, value in optimizer.param_groups[0].items() if key != "params"}
    with torch.no_grad():
        extra = {"evaluate": _closure(config, position, grad)} if spec.entry.closure else {}
        entries = spec.entry.rule(grad, position, before, group, **extra)
    held = {**after, "param": param}
    rows = [{"key": entry.key, "formula": entry.formula,
             "evaluated": fill(entry.work, entry.numbers), "ours": _show(entry.value),
             "torch": _show(stacked(held[entry.key])),
             "agree": agree(entry.value, stacked(held[entry.key]))} for entry in entries]
    return Inside(pd.DataFrame(rows, columns=COLUMNS), step, diverged)


def _last_step(config: PathConfig, spec, k: int):
    """Step k of the trajectory, as (k, the point before it, its p.grad, the state before it, the
    state after it, the parameter after it, the optimiser), or None where no step was taken; and
    the step whose loss escaped, where that came at k or before. The state is copied only around
    step k (a copy of every step's cost as much as the run itself)."""
    start = torch.tensor(config.start, requires_grad=True)
    before = dict(spec.make([start]).state[start])  # what a constructor keeps (Adagrad's sum)
    last = None
    for point in trajectory(config, spec, steps=k):
        if point.grad is None:
            return last, point.step
        if point.step == k:
            break
        param = point.optimizer.param_groups[0]["params"][0]
        if point.step == k - 2:  # after step k - 1: the state step k starts from
            before = copy.deepcopy(point.optimizer.state[param])
        elif point.step == k - 1:
            last = (k, point.position, point.grad, before,
                    copy.deepcopy(point.optimizer.state[param]), param.detach().clone(),
                    point.optimizer)
    return last, None


def _closure(config: PathConfig, position: torch.Tensor, grad: torch.Tensor):
    """evaluate(x) -> (loss, gradient): what the trajectory's closure gives at x, on a copy of the
    point whose p.grad is what the step found there (the sum so far, when zero_grad is
    forgotten: the closure adds to it)."""
    q = position.clone().requires_grad_(True)
    q.grad = grad.clone()

    def evaluate(x: torch.Tensor) -> tuple[float, torch.Tensor]:
        with torch.no_grad():
            q.copy_(x)
        if config.zero_grad:
            q.grad = None
        with torch.enable_grad():
            loss = config.surface.f(q[0], q[1], config.condition)
            loss.backward()
        return float(loss), q.grad.clone()
    return evaluate


def agree(ours: torch.Tensor, held: torch.Tensor) -> bool:
    """Equal to float32's precision where torch's value is finite; where it is not (the run has
    overflowed), ours is not finite either (inf against torch's nan counts: the order of
    operations decides which of the two an overflow becomes)."""
    ours, held = stacked(ours).float(), stacked(held).float()
    if ours.shape != held.shape:
        ours = ours.broadcast_to(held.shape)
    finite = torch.isfinite(held)
    return bool(torch.allclose(ours[finite], held[finite], **AGREE)
                and not torch.isfinite(ours[~finite]).any())


def fill(work: str, numbers) -> str:
    """The work template with each named number written in: a pair as (x, y), a negative number
    in brackets, six significant digits (enough to redo the sum to what the table shows)."""
    return work.format_map({name: _number(value) for name, value in numbers.items()})


def _number(value) -> str:
    if isinstance(value, torch.Tensor):
        items = value.flatten().tolist()
        if len(items) == 1:
            return _number(items[0])
        return "(" + ", ".join(f"{v:.6g}" for v in items) + ")"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = f"{value:.6g}"
    return f"({text})" if value < 0 else text


def _show(value: torch.Tensor) -> str:
    """A value as the table shows it, number by number; a long history (LBFGS's) by its shape and
    its last element (a pair, or a number), the one the evaluated formula computes."""
    if value.numel() == 0:
        return "[]"
    if value.numel() > 4:
        shape = "×".join(map(str, value.shape))
        return f"[{shape}] …, " + _show(value[-1])
    return ", ".join(f"{v:.8g}" for v in value.flatten().tolist())
