"""Losses over one yes/no per element: BCELoss (probabilities), BCEWithLogitsLoss (logits) and
SoftMarginLoss (logits against ±1 labels)."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.losses.common import count, per_element, reduce_grad, weight_of
from core.losses.registry import Curve, Loss, Option, Options, Preset, Steps, Tensors, register
from core.losses.tables import TableSpec

LOG_CLAMP = -100.0  # BCELoss clamps its logs at -100 (torch docs), so a wrong 0/1 costs 100
BCE_EPS = 1e-12  # torch's BCELoss backward divides by max(x(1-x), 1e-12)
WEIGHT = TableSpec("weight", "weights", rows="1", optional=True)
COURSE_INPUTS = (("1", "2"), ("2", "2"), ("3", "4"), ("4", "5"))
COURSE_TARGET = (("1", "0"), ("1", "0"), ("0", "1"), ("0", "1"))
COURSE = {"inputs": COURSE_INPUTS, "target": COURSE_TARGET, "weight": (("1", "1"),)}


def _logit_curve(options: Options) -> Curve:
    return Curve("logit", -8.0, 8.0, lambda z: F.softplus(-z))


def _bce(t: Tensors, options: Options, reduction: str) -> Steps:
    through_sigmoid = bool(options["through_sigmoid"])
    x = torch.sigmoid(t["inputs"]) if through_sigmoid else t["inputs"]
    y = t["target"]
    w = weight_of(t, "weight", x.shape)
    log_x = x.log().clamp(min=LOG_CLAMP)
    log_1mx = (1 - x).log().clamp(min=LOG_CLAMP)
    loss = -w * (y * log_x + (1 - y) * log_1mx)
    denominator = count(loss)
    # Through sigmoid the course's closed form is w·(σ(z) − y); on probabilities it is torch's
    # BCELoss backward, w·(x − y) / max(x(1 − x), 1e-12).
    grad = w * (x - y) if through_sigmoid else w * (x - y) / (x * (1 - x)).clamp(min=BCE_EPS)
    stages = {"input": t["inputs"], **({"sigmoid": x} if through_sigmoid else {}),
              "target": y, "log_x": log_x, "log_1mx": log_1mx, "weight": w, "loss": loss}
    checks = []
    if through_sigmoid:
        checks += [("bce_is_bce_with_logits", loss, F.binary_cross_entropy_with_logits(
                        t["inputs"], y, weight=t.get("weight"), reduction="none")),
                   ("sigmoid", x, F.sigmoid(t["inputs"]))]
    true_p = torch.where(y >= 0.5, x, 1 - x)
    curve_x = torch.logit(true_p.double()).float() if through_sigmoid else true_p
    return Steps(per_element(stages), loss, denominator, "elements",
                 {"inputs": reduce_grad(grad, reduction, denominator)}, checks, curve_x)


def _bce_with_logits(t: Tensors, options: Options, reduction: str) -> Steps:
    z, y = t["inputs"], t["target"]
    w = weight_of(t, "weight", z.shape)
    pw = weight_of(t, "pos_weight", z.shape)
    softplus = (-z.abs()).exp().log1p()  # log(1 + e^{-|z|}), the stable part
    log_sigmoid = -(softplus + (-z).clamp(min=0))
    log_1m_sigmoid = -(softplus + z.clamp(min=0))
    loss = -w * (pw * y * log_sigmoid + (1 - y) * log_1m_sigmoid)
    sigmoid = z.sigmoid()
    denominator = count(loss)
    grad = w * ((pw * y + 1 - y) * sigmoid - pw * y)
    stages = {"input": z, "sigmoid": sigmoid, "target": y, "log_sigmoid": log_sigmoid,
              "log_1m_sigmoid": log_1m_sigmoid, "weight": w, "pos_weight": pw, "loss": loss}
    checks = [("log_sigmoid", log_sigmoid, F.logsigmoid(z)),
              ("log_1m_sigmoid", log_1m_sigmoid, F.logsigmoid(-z))]
    if "pos_weight" not in t:
        checks.append(("bce_with_logits_is_bce", loss, F.binary_cross_entropy(
            sigmoid, y, weight=t.get("weight"), reduction="none")))
    return Steps(per_element(stages), loss, denominator, "elements",
                 {"inputs": reduce_grad(grad, reduction, denominator)}, checks,
                 torch.where(y >= 0.5, z, -z))


def _soft_margin(t: Tensors, options: Options, reduction: str) -> Steps:
    x, y = t["inputs"], t["target"]
    margin = -y * x  # how far x is on the wrong side of its label
    loss = F.softplus(margin)  # log(1 + exp(−y·x))
    denominator = count(loss)
    grad = -y * torch.sigmoid(margin)
    stages = {"input": x, "target": y, "minus_yx": margin, "loss": loss}
    return Steps(per_element(stages), loss, denominator, "elements",
                 {"inputs": reduce_grad(grad, reduction, denominator)},
                 [("softplus", loss, torch.log1p(torch.exp(margin.double())).float())], y * x)


register(Loss(
    name="BCELoss", module=nn.BCELoss,
    tables=lambda o: (TableSpec("inputs", "logits" if o["through_sigmoid"] else "probabilities"),
                      TableSpec("target", "unit"), WEIGHT),
    options=(Option("through_sigmoid", "bool", False, to_torch=False),),
    steps=_bce, family="binary",
    curve=lambda o: _logit_curve(o) if o["through_sigmoid"]
    else Curve("probability", 0.001, 1.0, lambda p: -p.log()),
    feed=lambda t, o: [torch.sigmoid(t["inputs"]) if o["through_sigmoid"] else t["inputs"],
                       t["target"]],
    feed_code=lambda o: ["torch.sigmoid(inputs)" if o["through_sigmoid"] else "inputs",
                         "target"],
    functional=lambda t, o, r: F.binary_cross_entropy(
        torch.sigmoid(t["inputs"]) if o["through_sigmoid"] else t["inputs"], t["target"],
        weight=t.get("weight"), reduction=r),
    presets=(Preset("BCELoss(sigmoid(x)), weight=[1, 1]", COURSE, {"through_sigmoid": True}),),
))

register(Loss(
    name="BCEWithLogitsLoss", module=nn.BCEWithLogitsLoss,
    tables=lambda o: (TableSpec("inputs", "logits"), TableSpec("target", "unit"), WEIGHT,
                      TableSpec("pos_weight", "weights", rows="1", columns="C|1",
                                optional=True)),
    options=(), steps=_bce_with_logits, curve=_logit_curve, family="binary",
    functional=lambda t, o, r: F.binary_cross_entropy_with_logits(
        t["inputs"], t["target"], weight=t.get("weight"), pos_weight=t.get("pos_weight"),
        reduction=r),
    presets=(Preset("BCEWithLogitsLoss, weight=[1, 1]", COURSE),
             Preset("BCEWithLogitsLoss, pos_weight=[3]", {**COURSE, "pos_weight": (("3",),)})),
))

register(Loss(
    name="SoftMarginLoss", module=nn.SoftMarginLoss,
    tables=lambda o: (TableSpec("inputs", "logits"), TableSpec("target", "signs")),
    options=(), steps=_soft_margin, family="binary",
    curve=lambda o: Curve("margin", -4.0, 4.0, lambda m: F.softplus(-m)),
    functional=lambda t, o, r: F.soft_margin_loss(t["inputs"], t["target"], reduction=r),
    presets=(Preset("SoftMarginLoss", {"inputs": (("0.3", "0.7"), ("0.5", "0.5")),
                                       "target": (("-1", "1"), ("1", "-1"))}, reduction="none"),),
))
