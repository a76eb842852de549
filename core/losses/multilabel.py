"""Losses over several labels per sample: MultiLabelSoftMarginLoss (a yes/no per class, averaged
over the classes) and MultiLabelMarginLoss (each target class above each other class by 1; the
targets as class indices padded with -1)."""

from __future__ import annotations

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.losses.common import columns, reduce_grad
from core.losses.registry import Curve, Loss, Options, Preset, Steps, Tensors, register
from core.losses.tables import TableSpec


def _soft_margin(t: Tensors, options: Options, reduction: str) -> Steps:
    x, y = t["inputs"], t["target"]
    n, classes = x.shape
    w = t.get("weight", torch.ones(classes))
    terms = -w * (y * F.logsigmoid(x) + (1 - y) * F.logsigmoid(-x)) / classes
    loss = terms.sum(1)
    denominator = torch.tensor(float(n))
    grad = w * (torch.sigmoid(x) - y) / classes
    true_logit = torch.where(y >= 0.5, x, -x)
    table = pd.DataFrame({"sample": range(n), **columns("x", x), **columns("target", y),
                          **columns("term", terms), "loss": loss.tolist()})
    return Steps(table, loss, denominator, "samples",
                 {"inputs": reduce_grad(grad, reduction, denominator)}, [],
                 true_logit.mean(1), curve_y=loss)


def _targets(y: torch.Tensor) -> torch.Tensor:
    """Which classes are targets: the indices before the first -1 of each row."""
    padded = (y == -1).long().cumsum(1) > 0
    is_target = torch.zeros_like(y, dtype=torch.bool)
    rows, cols = torch.nonzero(~padded, as_tuple=True)
    is_target[rows, y[rows, cols]] = True
    return is_target


def _margin(t: Tensors, options: Options, reduction: str) -> Steps:
    x, y = t["inputs"], t["target"]
    n, classes = x.shape
    is_target = _targets(y)
    # z[n, j, i] = 1 − (x[j] − x[i]) for a target j and a non-target i
    z = 1 - x[:, :, None] + x[:, None, :]
    pair = is_target[:, :, None] & ~is_target[:, None, :]
    active = pair & (z > 0)  # torch's kernel: only z > 0 counts
    loss = torch.where(active, z, 0.0).sum((1, 2)) / classes
    per_pair = active.float() / classes
    grad = per_pair.sum(1) - per_pair.sum(2)  # + for the non-target i, − for the target j
    denominator = torch.tensor(float(n))
    pairs = pair.sum((1, 2)).clamp(min=1)
    mean_gap = torch.where(pair, x[:, :, None] - x[:, None, :], 0.0).sum((1, 2)) / pairs
    table = pd.DataFrame({"sample": range(n), **columns("x", x),
                          **columns("is_target", is_target.float()),
                          "pairs": pair.sum((1, 2)).tolist(),
                          "active_pairs": active.sum((1, 2)).tolist(), "loss": loss.tolist()})
    k0 = float(pair[0].sum())
    curve = Curve("label_gap", -2.0, 3.0, lambda g: k0 * (1 - g).clamp(min=0) / classes)
    return Steps(table, loss, denominator, "samples",
                 {"inputs": reduce_grad(grad, reduction, denominator)}, [], mean_gap,
                 curve=curve, curve_y=loss)


register(Loss(
    name="MultiLabelSoftMarginLoss", module=nn.MultiLabelSoftMarginLoss,
    tables=lambda o: (TableSpec("inputs", "logits"), TableSpec("target", "unit"),
                      TableSpec("weight", "weights", rows="1", optional=True)),
    options=(), steps=_soft_margin, family="multilabel",
    curve=lambda o: Curve("mean_logit", -6.0, 6.0, lambda z: F.softplus(-z)),
    functional=lambda t, o, r: F.multilabel_soft_margin_loss(
        t["inputs"], t["target"], weight=t.get("weight"), reduction=r),
    presets=(Preset("MultiLabelSoftMarginLoss", {"inputs": (("0.3", "0.7", "0.8"),),
                                                 "target": (("0", "1", "1"),)}),),
))

register(Loss(
    name="MultiLabelMarginLoss", module=nn.MultiLabelMarginLoss,
    tables=lambda o: (TableSpec("inputs", "values"), TableSpec("target", "index_lists")),
    options=(), steps=_margin, family="multilabel",
    curve=lambda o: Curve("label_gap", -2.0, 3.0, lambda g: (1 - g).clamp(min=0)),
    functional=lambda t, o, r: F.multilabel_margin_loss(t["inputs"], t["target"], reduction=r),
    presets=(Preset("MultiLabelMarginLoss", {"inputs": (("0.1", "0.2", "0.4", "0.8"),),
                                             "target": (("0", "3", "-1", "-1"),)}),),
))
