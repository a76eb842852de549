"""Losses over class indices: CrossEntropyLoss (logits) and NLLLoss (log-probabilities)."""

from __future__ import annotations

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.losses.common import columns, reduce_grad
from core.losses.registry import (
    Curve,
    Family,
    Loss,
    Options,
    Preset,
    Steps,
    Tensors,
    register,
    register_family,
)
from core.losses.tables import TableSpec
from core.settings import Setting

WEIGHT = TableSpec("weight", "weights", rows="1", optional=True)
IGNORE_INDEX = Setting("ignore_index", "int", -100, low=-1000, high=1000, step=1,
                       shown=lambda o: not o.get("soft_target", False))
# CrossEntropyLoss's options (LinearCrossEntropyLoss takes them too)
CE_OPTIONS = (Setting("soft_target", "bool", False, passed=False),
              Setting("label_smoothing", "float", 0.0, low=0.0, high=1.0, step=0.05),
              IGNORE_INDEX)
COURSE_INPUTS = (("1", "2"), ("1", "3"), ("1", "3"))
COURSE_TARGET = (("0",), ("1",), ("1",))


def _ce_tables(options: Options) -> tuple[TableSpec, ...]:
    target = TableSpec("target", "unit") if options["soft_target"] \
        else TableSpec("target", "indices", columns="1")
    return TableSpec("inputs", "logits"), target, WEIGHT


def cross_entropy(t: Tensors, options: Options, reduction: str) -> Steps:
    """CrossEntropyLoss by hand on the logits t["inputs"]."""
    z, target = t["inputs"], t["target"]
    n, classes = z.shape
    shifted = z - z.max(dim=1, keepdim=True).values
    exp = shifted.exp()
    softmax = exp / exp.sum(dim=1, keepdim=True)
    log_softmax = shifted - exp.sum(dim=1, keepdim=True).log()
    weight = t.get("weight")
    w = weight if weight is not None else torch.ones(classes)
    eps = float(options["label_smoothing"])
    ignore_index = int(options["ignore_index"])
    if options["soft_target"]:
        q = w * (target * (1 - eps) + eps / classes)  # what multiplies each -log p
        valid = torch.ones(n, dtype=torch.bool)
        picked_weight = torch.ones(n)
        denominator, kind = torch.tensor(float(n)), "count"
        picked = (target * log_softmax).sum(dim=1)
        true_class = target.argmax(dim=1)
        target_cols = columns("target", target)
    else:
        valid = target != ignore_index
        safe = torch.where(valid, target, 0)
        picked_weight = w[safe] * valid
        one_hot = F.one_hot(safe, classes).float()
        q = valid[:, None] * ((1 - eps) * picked_weight[:, None] * one_hot + eps / classes * w)
        denominator = picked_weight.sum()
        kind = "weights" if weight is not None else "count"
        picked = log_softmax.gather(1, safe[:, None])[:, 0]
        true_class = safe
        target_cols = {"target": target.tolist()}
    per_sample = -(q * log_softmax).sum(dim=1)
    grad = reduce_grad(q.sum(dim=1, keepdim=True) * softmax - q, reduction, denominator, valid)
    table = pd.DataFrame({
        "sample": range(n), **columns("z", z), **columns("softmax", softmax),
        **columns("log_softmax", log_softmax), **target_cols,
        "picked": torch.where(valid, picked, torch.nan).tolist(),
        "weight": picked_weight.tolist(), "ignored": (~valid).tolist(),
        "loss": per_sample.tolist(),
    })
    checks = [("softmax", softmax, F.softmax(z, dim=1)),
              ("log_softmax", log_softmax, F.log_softmax(z, dim=1))]
    if eps == 0 and not options["soft_target"]:
        kwargs = {"weight": weight, "ignore_index": ignore_index}
        checks.append(("ce_is_nll", F.cross_entropy(z, target, reduction="none", **kwargs),
                       F.nll_loss(nn.LogSoftmax(dim=1)(z), target, reduction="none", **kwargs)))
    weights = () if weight is None or options["soft_target"] else _picked(picked_weight, valid)
    return Steps(table, per_sample, denominator, kind, {"inputs": grad}, checks,
                 softmax.gather(1, true_class[:, None])[:, 0],
                 curve=probability_curve(options, weights), curve_y=per_sample)


def _picked(picked_weight: torch.Tensor, valid: torch.Tensor) -> tuple[float, ...]:
    """The class weights the samples that count pick: a line of the curve each."""
    return tuple(picked_weight[valid].tolist())


def _nll(t: Tensors, options: Options, reduction: str) -> Steps:
    x, target = t["inputs"], t["target"]
    n, classes = x.shape
    weight = t.get("weight")
    w = weight if weight is not None else torch.ones(classes)
    valid = target != int(options["ignore_index"])
    safe = torch.where(valid, target, 0)
    picked_weight = w[safe] * valid
    picked = x.gather(1, safe[:, None])[:, 0]
    per_sample = -picked_weight * picked
    denominator = picked_weight.sum()
    # only the picked entries get a gradient (exactly 0 elsewhere, even when the mean is 0/0)
    picked_grad = reduce_grad(-picked_weight[:, None], reduction, denominator, valid)
    grad = torch.where(F.one_hot(safe, classes).bool(), picked_grad, 0.0)
    table = pd.DataFrame({
        "sample": range(n), **columns("input", x), "target": target.tolist(),
        "picked": torch.where(valid, picked, torch.nan).tolist(),
        "weight": picked_weight.tolist(), "ignored": (~valid).tolist(),
        "loss": per_sample.tolist(),
    })
    weights = () if weight is None else _picked(picked_weight, valid)
    return Steps(table, per_sample, denominator, "weights" if weight is not None else "count",
                 {"inputs": grad}, [], picked, curve=_input_curve(options, weights),
                 curve_y=per_sample)


def probability_curve(options: Options, weights: tuple[float, ...] = ()) -> Curve:
    return Curve("probability", 0.001, 1.0, lambda p: -p.log(), weights)


def _input_curve(options: Options, weights: tuple[float, ...] = ()) -> Curve:
    return Curve("input", -6.0, 6.0, lambda x: -x, weights)


# ---- The family compared: each loss of sample 0 as its true class's score moves ------------

def _true_class(t: Tensors) -> torch.Tensor:
    """Each sample's true class: its index, or the most probable class of a soft target; an
    index that is no class (ignore_index) stands for class 0, whose loss torch makes 0."""
    target, classes = t["target"], t["inputs"].shape[1]
    if target.dim() == 2:
        return target.argmax(dim=1)
    return torch.where((target >= 0) & (target < classes), target, 0)


def _score_span(t: Tensors) -> tuple[float, float]:
    """Sample 0's scores, with room on both sides: its true score from well below its other
    scores (a wrong answer) to well above them (right by any margin)."""
    row = t["inputs"][0]
    return row.min().item() - 3.0, row.max().item() + 3.0


def _score_probe(t: Tensors, xs: torch.Tensor) -> Tensors:
    """Sample 0 once per x, its true class's score set to x, its other scores and target kept."""
    y0 = int(_true_class(t)[0])
    inputs = t["inputs"][0].repeat(len(xs), 1)
    inputs[:, y0] = xs
    target = t["target"][:1].expand(len(xs), *t["target"].shape[1:])
    return {**t, "inputs": inputs, "target": target}


def _on_score_curve(t: Tensors) -> torch.Tensor:
    """The samples whose curve is sample 0's: the same target and the same other scores."""
    x, y = t["inputs"], _true_class(t)
    others = ~torch.nn.functional.one_hot(y[:1], x.shape[1]).bool()
    same = ((x == x[:1]) | ~others).all(dim=1) & (y == y[0])
    return same & (t["target"] == t["target"][:1]).reshape(len(x), -1).all(dim=1)


register_family(Family(
    "classification", "true_score", _score_span, _score_probe,
    at=lambda t: t["inputs"].gather(1, _true_class(t)[:, None])[:, 0],
    on_curve=_on_score_curve))


register(Loss(
    name="CrossEntropyLoss", module=nn.CrossEntropyLoss, tables=_ce_tables,
    options=CE_OPTIONS,
    steps=cross_entropy, curve=probability_curve, family="classification",
    functional=lambda t, o, r: F.cross_entropy(
        t["inputs"], t["target"], weight=t.get("weight"),
        ignore_index=-100 if o["soft_target"] else int(o["ignore_index"]),
        label_smoothing=float(o["label_smoothing"]), reduction=r),
    presets=(Preset("CrossEntropyLoss", {"inputs": COURSE_INPUTS, "target": COURSE_TARGET}),
             Preset("CrossEntropyLoss, weight=[1, 2]",
                    {"inputs": COURSE_INPUTS, "target": COURSE_TARGET,
                     "weight": (("1", "2"),)})),
))

register(Loss(
    name="NLLLoss", module=nn.NLLLoss,
    tables=lambda o: (TableSpec("inputs", "log_probs"),
                      TableSpec("target", "indices", columns="1"), WEIGHT),
    options=(IGNORE_INDEX,), steps=_nll, family="classification",
    curve=_input_curve,
    functional=lambda t, o, r: F.nll_loss(t["inputs"], t["target"], weight=t.get("weight"),
                                          ignore_index=int(o["ignore_index"]), reduction=r),
    presets=(Preset("NLLLoss, weight=[1, 1]", {"inputs": COURSE_INPUTS, "target": COURSE_TARGET,
                                               "weight": (("1", "1"),)}),),
))
