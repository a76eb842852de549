"""Losses over one yes/no per element: BCELoss (probabilities), BCEWithLogitsLoss (logits) and
SoftMarginLoss (logits against ±1 labels). BCELoss through sigmoid and BCEWithLogitsLoss are drawn
together along the logit of the true label, with their gradients: where float32 rounds σ(z),
BCELoss's loss jumps to its clamp and its gradient dies, and BCEWithLogitsLoss's does not."""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.losses.common import count, per_element, reduce_grad, weight_of
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

LOG_CLAMP = -100.0  # BCELoss clamps its logs at -100 (torch docs), so a wrong 0/1 costs 100
BCE_EPS = 1e-12  # torch's BCELoss backward divides by max(x(1-x), 1e-12)
WEIGHT = TableSpec("weight", "weights", rows="1", optional=True)
COURSE_INPUTS = (("1", "2"), ("2", "2"), ("3", "4"), ("4", "5"))
COURSE_TARGET = (("1", "0"), ("1", "0"), ("0", "1"), ("0", "1"))
COURSE = {"inputs": COURSE_INPUTS, "target": COURSE_TARGET, "weight": (("1", "1"),)}
# confidently wrong, and right, at logits out to ±30: each row a target 1 and a target 0
SATURATED = {"inputs": (("-30", "30"), ("-17", "17"), ("5", "-5")),
             "target": (("1", "0"),) * 3}
LOGIT_SPAN = 8.0  # the logit axis's half-width, wider where a typed logit is


def _float32_edge(holds: Callable[[torch.Tensor], bool], low: float, high: float) -> float:
    """The smallest float32 z in [low, high] where holds(z), for a test false at low and true
    at high that flips once: bisection down to neighbouring float32 numbers."""
    low_t, high_t = torch.tensor(low), torch.tensor(high)
    while torch.nextafter(low_t, high_t) != high_t:
        middle = ((low_t.double() + high_t.double()) / 2).float()
        if middle in (low_t, high_t):  # no float32 between them but the ends
            break
        low_t, high_t = (low_t, middle) if holds(middle) else (middle, high_t)
    return high_t.item()


@functools.cache
def float32_edges() -> dict[str, float]:
    """Where float32 changes BCELoss(sigmoid(z)), found with torch.sigmoid itself: one, the
    smallest z whose σ(z) is exactly 1 (from there log(1 − σ(z)) is −inf, clamped at −100, and
    the gradient 0); zero, the smallest z whose σ(z) is above 0 (below it, exactly 0); fades,
    the smallest z whose σ(z)·(1 − σ(z)) reaches the 1e-12 BCELoss's backward divides by at
    least (below it the gradient through sigmoid shrinks towards 0)."""
    def sigmoid(z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(z.reshape(1))[0]

    return {"one": _float32_edge(lambda z: bool(sigmoid(z) == 1), 0.0, 100.0),
            "zero": _float32_edge(lambda z: bool(sigmoid(z) > 0), -200.0, 0.0),
            "fades": _float32_edge(
                lambda z: bool((1 - sigmoid(z)) * sigmoid(z) >= BCE_EPS), -200.0, 0.0)}


def _true_logit(t: Tensors) -> torch.Tensor:
    """Each element's logit of its true label: z where the target is 1, −z where it is 0."""
    return torch.where(t["target"] >= 0.5, t["inputs"], -t["inputs"])


def _logit_span(t: Tensors) -> tuple[float, float]:
    """±LOGIT_SPAN, wider where a typed element's true logit is (with room for its point)."""
    m = _true_logit(t)
    return min(-LOGIT_SPAN, m.min().item() - 2.0), max(LOGIT_SPAN, m.max().item() + 2.0)


def _logit_probe(t: Tensors, xs: torch.Tensor) -> Tensors:
    """Each x twice, as the true label's logit of a target 1 (z = x) and of a target 0
    (z = −x); no weights (the curves are for weight 1)."""
    return {"inputs": torch.stack([xs, -xs], 1),
            "target": torch.tensor([[1.0, 0.0]]).expand(len(xs), 2)}


def _on_logit_curve(t: Tensors) -> torch.Tensor:
    """The elements the curves pass through: a target of exactly 0 or 1, weights 1."""
    y = t["target"]
    plain = (y == 0) | (y == 1)
    for name in ("weight", "pos_weight"):
        plain = plain & (weight_of(t, name, y.shape) == 1)
    return plain.flatten()


register_family(Family(
    "binary", "logit", _logit_span, _logit_probe, at=lambda t: _true_logit(t).flatten(),
    on_curve=_on_logit_curve, together=True, columns=("y=1", "y=0"),
    gradient=lambda t, grad: torch.where(t["target"] >= 0.5, grad, -grad),
    member_options={"BCELoss": {"through_sigmoid": True}}))


def _logit_curve(options: Options) -> Curve:
    return Curve("logit", -LOGIT_SPAN, LOGIT_SPAN, lambda z: F.softplus(-z))


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
    curve_x = _true_logit(t) if through_sigmoid else torch.where(y >= 0.5, x, 1 - x)
    notes = (("loss.grad_float32_edges", float32_edges()),) if through_sigmoid else ()
    return Steps(per_element(stages), loss, denominator, "elements",
                 {"inputs": reduce_grad(grad, reduction, denominator)}, checks, curve_x,
                 curve_y=loss, grad_notes=notes)


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
                 _true_logit(t), curve_y=loss)


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
    options=(Setting("through_sigmoid", "bool", False, passed=False),),
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
    presets=(Preset("BCELoss(sigmoid(x)), weight=[1, 1]", COURSE, {"through_sigmoid": True}),
             Preset("BCELoss(sigmoid(x)), logits ±30", SATURATED, {"through_sigmoid": True},
                    label="bce_saturated")),
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
