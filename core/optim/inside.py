"""Inside the optimiser, step by step: for one run and one step, every entry of the optimiser's
`state` (and the parameter) recomputed by its registry entry's rule (core.optim.rules) from the
previous state, the step's gradient and the update formulas of torch's documentation, beside the
values torch holds after its own step.

The float32 arithmetic is torch's own, and where the order of rounding decides (a moment whose
two terms nearly cancel) the rules call torch's fused operations (lerp, addcmul); elsewhere an
expression in the documentation's order can round its last bit differently: agreement is judged
to float32's precision (AGREE), which a wrong formula misses by orders of magnitude.
"""

from __future__ import annotations

import copy

import pandas as pd
import torch

from core.optim.paths import PathConfig

# float32 has 24 bits: a few roundings apart is ~1e-6 relative; a wrong formula is far beyond.
AGREE = {"rtol": 1e-5, "atol": 1e-7}


def step_inside(config: PathConfig, run: int, k: int) -> pd.DataFrame:
    """Run `run`'s step k (1-based): each entry the rule gives (key, formula, ours) beside torch's
    (torch) and whether they agree; an empty frame when the optimiser has no rule here."""
    spec = config.runs[run - 1]
    rule = spec.entry.rule
    columns = ["key", "formula", "ours", "torch", "agree"]
    if rule is None:
        return pd.DataFrame(columns=columns)
    surface, c = config.surface, config.condition
    p = torch.tensor(config.start, requires_grad=True)
    optimizer = spec.make([p])
    for _ in range(k):
        if config.zero_grad:
            optimizer.zero_grad()
        surface.f(p[0], p[1], c).backward()
        before = copy.deepcopy(optimizer.state[p])
        position, grad = p.detach().clone(), p.grad.clone()
        optimizer.step()
    group = {key: value for key, value in optimizer.param_groups[0].items() if key != "params"}
    with torch.no_grad():
        entries = rule(grad, position, before, group)
    after = {**optimizer.state[p], "param": p.detach()}
    rows = []
    for entry in entries:
        held = after[entry.key]
        rows.append({"key": entry.key, "formula": entry.formula, "ours": _show(entry.value),
                     "torch": _show(held),
                     "agree": agree(entry.value, held)})
    return pd.DataFrame(rows, columns=columns)


def agree(ours: torch.Tensor, held: torch.Tensor) -> bool:
    """Equal to float32's precision where torch's value is finite; where it is not (the run has
    overflowed), ours is not finite either (inf against torch's nan counts: the order of
    operations decides which of the two an overflow becomes)."""
    ours, held = ours.float().broadcast_to(held.shape), held.float()
    finite = torch.isfinite(held)
    return bool(torch.allclose(ours[finite], held[finite], **AGREE)
                and not torch.isfinite(ours[~finite]).any())


def _show(value: torch.Tensor) -> str:
    return ", ".join(f"{v:.8g}" for v in value.flatten().tolist())
