"""Pieces the hand computations share."""

from __future__ import annotations

import pandas as pd
import torch

from core.losses.registry import Tensors


def reduce_grad(per_element_grad: torch.Tensor, reduction: str, denominator: torch.Tensor,
                valid: torch.Tensor | None = None) -> torch.Tensor:
    """d loss / d input for a reduction; for "none" the gradient of the sum (what
    loss.backward(torch.ones_like(loss)) computes). Ignored samples get exactly 0, even when the
    mean's denominator is 0 (torch skips them; the others then get 0/0 = nan, as in torch)."""
    if reduction != "mean":
        return per_element_grad
    reduced = per_element_grad / denominator if denominator != 0 \
        else torch.full_like(per_element_grad, torch.nan)  # torch's mean is nan: so is its grad
    if valid is None:
        return reduced
    return torch.where(valid.reshape(valid.shape + (1,) * (reduced.dim() - valid.dim())),
                       reduced, 0.0)


FLOAT32_EPS = torch.finfo(torch.float32).eps


def cancelling_tolerance(norm: torch.Tensor, like: torch.Tensor, reduction: str,
                         denominator: torch.Tensor, terms: int = 1) -> torch.Tensor:
    """How far float32 may take a cosine's gradient from its closed form: the gradient w.r.t. a
    vector is the difference of terms of size 1/‖x‖ (norm: one per row), which cancel for
    parallel vectors and leave a few of their last digits, in torch's order and in any other.
    8 float32 steps of each such term (terms: how many distances of the row pass through that
    vector), on top of the usual 1e-5."""
    steps = 8 * terms * FLOAT32_EPS / norm.reshape(-1, 1)
    return 1e-5 + reduce_grad(steps.expand_as(like), reduction, denominator)


def columns(prefix: str, values: torch.Tensor) -> dict[str, list[float]]:
    """An N x C tensor as C columns prefix[c] of a per-sample table."""
    return {f"{prefix}[{c}]": values[:, c].tolist() for c in range(values.shape[1])}


def per_element(stages: dict[str, torch.Tensor]) -> pd.DataFrame:
    """One row per (sample, class) element, for the element-wise losses."""
    first = next(iter(stages.values()))
    n, c = first.shape if first.dim() == 2 else (first.shape[0], 1)
    index = {"sample": torch.arange(n).repeat_interleave(c).tolist(),
             "class": torch.arange(c).repeat(n).tolist()}
    return pd.DataFrame({**index, **{k: v.expand(first.shape).flatten().tolist()
                                     for k, v in stages.items()}})


def weight_of(t: Tensors, name: str, shape: torch.Size) -> torch.Tensor:
    """The optional weight table broadcast to shape (ones when it is off), as torch broadcasts."""
    weight = t.get(name)
    return torch.ones(shape) if weight is None else weight.expand(shape)


def count(tensor: torch.Tensor) -> torch.Tensor:
    return torch.tensor(float(tensor.numel()))

