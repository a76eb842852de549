"""What every part of the optimiser lesson shares: the named bounds of its sizes, how a divergence
is recognised, and the checks on a typed number."""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from core.bounds import Bound
from core.errors import InputError, Notice

LR_COUNT = Bound("lr_count", 1, 30)
ITERATIONS = Bound("iterations", 1, 500)
BETA_POINTS = Bound("points", 2, 1000)
STEPS = Bound("steps", 1, 800)
GRID = Bound("grid", 2, 100)
SWEEP_STEPS = Bound("sweep_steps", 1, 500)
CONDITION = Bound("condition", 1.0, 1000.0)
START = Bound("start", -100.0, 100.0)
SEED = Bound("seed", 0, 2**31 - 1)
MAX_RUNS = 4
# Any rate or coefficient a user types: past this torch cannot take it as a float32 scalar.
SETTING_MAX = 1e6
SETTING = Bound("setting", -SETTING_MAX, SETTING_MAX)  # clamped under the setting's own name
# A run has diverged once its loss is not finite or has grown this many times above where it began.
ESCAPE = 1e6


def escaped(loss: torch.Tensor, first: torch.Tensor) -> torch.Tensor:
    """True where a loss has diverged (works on one loss or a batch of them)."""
    return ~torch.isfinite(loss) | (loss > ESCAPE * first.clamp(min=1.0))


def first_index(flags: torch.Tensor) -> torch.Tensor:
    """Per column of a (steps, cells) bool tensor, the first row that is True, or -1."""
    hit = flags.any(dim=0)
    return torch.where(hit, flags.byte().argmax(dim=0), torch.full_like(hit, -1, dtype=torch.long))


def upper(name: str, value: float, notices: list[Notice], low: float = -SETTING_MAX) -> float:
    """value, clamped to what torch can take as a float32 scalar, under the field's own name;
    low = 0 for a rate or a coefficient that cannot be negative (the notice says 0 to 1e6)."""
    return replace(SETTING, field=name, low=low).clamp(float(value), notices)


def number(name: str, value) -> None:
    """Refuse anything that is not a finite number, naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError("error.not_a_number", field=name, value=value)
