"""KLDivLoss (how far a distribution is from a target one), CosineEmbeddingLoss (pairs of
embeddings, similar or not, by their cosine) and MultiMarginLoss (the true class's score above
every other by a margin)."""

from __future__ import annotations

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.losses.common import cancelling_tolerance, columns, count, per_element, reduce_grad
from core.losses.registry import (
    REDUCTIONS,
    Curve,
    Loss,
    Options,
    Preset,
    Steps,
    Tensors,
    register,
)
from core.losses.tables import TableSpec
from core.settings import Setting

KL_INPUTS = ((0.5, 0.3, 0.2), (0.2, 0.3, 0.5))
KL_TARGET = (("0.9", "0.05", "0.05"), ("0.1", "0.7", "0.2"))
COSINE_EPS = 1e-12  # torch's cosine_embedding_loss adds it to each squared norm


def _text(rows) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(repr(v) for v in row) for row in rows)


def _kl_div(t: Tensors, options: Options, reduction: str) -> Steps:
    x, y = t["inputs"], t["target"]
    if options["log_target"]:
        loss = y.exp() * (y - x)
        grad = -y.exp()
        y0 = y.flatten()[0].double()
        curve = Curve("kl_input", -4.0, 2.0, lambda v: y0.exp() * (y0 - v))
    else:
        loss = torch.xlogy(y, y) - y * x  # y·(log y − x), 0 where y = 0
        grad = -y
        y0 = y.flatten()[0].double()
        curve = Curve("kl_input", -4.0, 2.0, lambda v: torch.xlogy(y0, y0) - y0 * v)
    n = x.shape[0]
    denominator = count(loss)
    grad = grad / n if reduction == "batchmean" else reduce_grad(grad, reduction, denominator)
    stages = {"input": x, "target": y, "loss": loss}
    checks, logged = [], None
    if not options["log_target"] and (x > 0).all():
        # inputs that look like probabilities: what the call gives with their logs, as
        # KLDivLoss expects (the course's call passes them un-logged)
        logged = torch.xlogy(y, y) - y * x.log()
        stages["loss_with_log_input"] = logged
        checks.append(("kl_logged", logged, F.kl_div(x.log(), y, reduction="none")))
    return Steps(per_element(stages), loss, denominator, "elements", {"inputs": grad}, checks,
                 x, curve=curve, curve_y=loss, reduction_text="loss.reduction_math_batchmean",
                 alternative=logged)


def _cosine(t: Tensors, options: Options, reduction: str) -> Steps:
    x1, x2, y = t["x1"], t["x2"], t["target"]
    margin = float(options["margin"])
    mag1 = (x1 * x1).sum(1) + COSINE_EPS
    mag2 = (x2 * x2).sum(1) + COSINE_EPS
    denom = (mag1 * mag2).sqrt()
    cos = (x1 * x2).sum(1) / denom
    loss = torch.where(y == 1, 1 - cos, 0.0) + torch.where(y == -1, (cos - margin).clamp(min=0),
                                                            0.0)
    dloss_dcos = torch.where(y == 1, -1.0, 0.0) + torch.where((y == -1) & (cos - margin >= 0),
                                                              1.0, 0.0)
    # in autograd's order (the chain rule through prod_sum / sqrt(mag1·mag2)): for parallel
    # vectors the two terms cancel, and another order leaves another float32 rounding
    prod_sum = (x1 * x2).sum(1)
    dcos_dx1 = x2 / denom[:, None] - (prod_sum / denom ** 2 * mag2 / denom)[:, None] * x1
    dcos_dx2 = x1 / denom[:, None] - (prod_sum / denom ** 2 * mag1 / denom)[:, None] * x2
    denominator = count(loss)
    grads = {"x1": reduce_grad(dloss_dcos[:, None] * dcos_dx1, reduction, denominator),
             "x2": reduce_grad(dloss_dcos[:, None] * dcos_dx2, reduction, denominator)}
    # found by the generated inputs: x1 = (1.5, 0, 0), x2 = (2⁻⁸, 0, 0), y = −1 left 1.5e-5 of
    # 256-sized terms
    tolerance = {name: cancelling_tolerance(mag.sqrt(), x1, reduction, denominator)
                 for name, mag in (("x1", mag1), ("x2", mag2))}
    table = pd.DataFrame({"sample": range(len(y)), "x1_dot_x2": (x1 * x2).sum(1).tolist(),
                          "norm_x1": mag1.sqrt().tolist(), "norm_x2": mag2.sqrt().tolist(),
                          "cos": cos.tolist(), "target": y.tolist(), "loss": loss.tolist()})
    # torch's own cosine (F.cosine_similarity clamps the norms differently near 0)
    checks = [("cosine", cos, 1 - F.cosine_embedding_loss(x1, x2, torch.ones_like(y),
                                                          reduction="none"))]
    return Steps(table, loss, denominator, "samples", grads, checks, cos, curve_y=loss,
                 grad_tolerance=tolerance)


def _multi_margin(t: Tensors, options: Options, reduction: str) -> Steps:
    x, target = t["inputs"], t["target"]
    n, classes = x.shape
    margin, p = float(options["margin"]), int(options["p"])
    w = t["weight"][target] if "weight" in t else torch.ones(n)
    true_score = x.gather(1, target[:, None])
    z = margin - true_score + x  # every other class's violation of the margin
    others = ~F.one_hot(target, classes).bool()
    active = others & (z > 0)  # torch's kernel: only z > 0 counts
    terms = torch.where(active, z.clamp(min=0) ** p, 0.0) * w[:, None] / classes
    loss = terms.sum(1)
    dterm = torch.where(active, (1.0 if p == 1 else 2 * z) * w[:, None] / classes, 0.0)
    grad = dterm - F.one_hot(target, classes) * dterm.sum(1, keepdim=True)
    denominator = torch.tensor(float(n))
    table = pd.DataFrame({"sample": range(n), **columns("x", x), "target": target.tolist(),
                          "true_score": true_score[:, 0].tolist(), **columns("term", terms),
                          "weight": w.tolist(), "loss": loss.tolist()})
    x0, y0, w0 = x[0].double(), int(target[0]), float(w[0])
    rest = torch.cat([x0[:y0], x0[y0 + 1:]])  # sample 0's other scores, held fixed

    def of_true_score(s: torch.Tensor) -> torch.Tensor:
        gap = (margin - s[:, None] + rest[None, :]).clamp(min=0)
        return (gap ** p).sum(1) * w0 / classes

    curve = Curve("true_score", -3.0, 4.0, of_true_score)
    return Steps(table, loss, denominator, "samples",
                 {"inputs": reduce_grad(grad, reduction, denominator)}, [], true_score[:, 0],
                 curve=curve, curve_y=loss)


register(Loss(
    name="KLDivLoss", module=nn.KLDivLoss,
    tables=lambda o: (TableSpec("inputs", "values"),
                      TableSpec("target", "values" if o["log_target"] else "unit")),
    options=(Setting("log_target", "bool", False),), steps=_kl_div, family="divergence",
    reductions=(*REDUCTIONS, "batchmean"),
    curve=lambda o: Curve("kl_input", -4.0, 2.0, lambda v: -v),
    functional=lambda t, o, r: F.kl_div(t["inputs"], t["target"], reduction=r,
                                        log_target=bool(o["log_target"])),
    presets=(Preset("KLDivLoss, the course's call (inputs not logged)",
                    {"inputs": _text(KL_INPUTS), "target": KL_TARGET}, reduction="batchmean",
                    label="kl_course_call"),
             Preset("KLDivLoss, inputs.log() (as KLDivLoss expects)",
                    {"inputs": _text(torch.tensor(KL_INPUTS).log().tolist()),
                     "target": KL_TARGET}, reduction="batchmean", label="kl_logged")),
))

register(Loss(
    name="CosineEmbeddingLoss", module=nn.CosineEmbeddingLoss,
    tables=lambda o: (TableSpec("x1", "values"), TableSpec("x2", "values"),
                      TableSpec("target", "signs", columns="1")),
    options=(Setting("margin", "float", 0.0, low=-1.0, high=1.0, step=0.1,
                     help="loss.options_margin_help_CosineEmbeddingLoss"),),
    steps=_cosine, family="cosine", differentiable=("x1", "x2"),
    curve=lambda o: Curve("cosine", -1.0, 1.0, lambda c: (c - float(o["margin"])).clamp(min=0)),
    functional=lambda t, o, r: F.cosine_embedding_loss(
        t["x1"], t["x2"], t["target"], margin=float(o["margin"]), reduction=r),
    presets=(Preset("CosineEmbeddingLoss, margin=0",
                    {"x1": (("0.3", "0.5", "0.7"),) * 2, "x2": (("0.1", "0.3", "0.5"),) * 2,
                     "target": (("1",), ("-1",))}, reduction="none"),),
))

register(Loss(
    name="MultiMarginLoss", module=nn.MultiMarginLoss,
    tables=lambda o: (TableSpec("inputs", "logits"), TableSpec("target", "indices", columns="1"),
                      TableSpec("weight", "weights", rows="1", optional=True)),
    options=(Setting("p", "choice", 1, choices=(1, 2), help="loss.options_p_help_MultiMarginLoss"),
             Setting("margin", "float", 1.0, low=-10.0, high=10.0, step=0.1,
                     help="loss.options_margin_help_MultiMarginLoss")),
    steps=_multi_margin, family="classification",
    curve=lambda o: Curve("true_score", -3.0, 4.0, lambda s: (float(o["margin"]) - s).clamp(
        min=0)),
    functional=lambda t, o, r: F.multi_margin_loss(
        t["inputs"], t["target"], p=int(o["p"]), margin=float(o["margin"]),
        weight=t.get("weight"), reduction=r),
    presets=(Preset("MultiMarginLoss", {"inputs": (("0.1", "0.2", "0.7"), ("0.2", "0.5", "0.3")),
                                        "target": (("1",), ("2",))}, reduction="none"),),
))
