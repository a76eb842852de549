"""What every part of the optimiser lesson shares: the ranges of its settings, how a divergence
is recognised, and the first index where it happens."""

from __future__ import annotations

import torch

MAX_RUNS = 4
# Any rate or coefficient a user types: past this torch cannot take it as a float32 scalar.
SETTING_MAX = 1e6
# A rate or a coefficient (core.settings.setting's bounds): below 0 torch refuses it, above
# SETTING_MAX it is clamped with a notice.
RATE = {"low": 0.0, "below_low": "refuse", "high": SETTING_MAX}
START = {"low": -100.0, "high": 100.0}  # a start point's coordinate
CONDITION = {"low": 1.0, "high": 1000.0}  # the quadratic's ratio of its two curvatures
# A run has diverged once its loss is not finite or has grown this many times above where it began.
ESCAPE = 1e6


def escaped(loss: torch.Tensor, first: torch.Tensor) -> torch.Tensor:
    """True where a loss has diverged (works on one loss or a batch of them)."""
    return ~torch.isfinite(loss) | (loss > ESCAPE * first.clamp(min=1.0))


def first_index(flags: torch.Tensor) -> torch.Tensor:
    """Per column of a (steps, cells) bool tensor, the first row that is True, or -1."""
    hit = flags.any(dim=0)
    return torch.where(hit, flags.byte().argmax(dim=0), torch.full_like(hit, -1, dtype=torch.long))
