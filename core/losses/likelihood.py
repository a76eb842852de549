"""Losses that are negative log-likelihoods of a distribution, and a hinge on a distance:
PoissonNLLLoss (counts), GaussianNLLLoss (a mean and a variance per prediction) and
HingeEmbeddingLoss (distances of similar and dissimilar pairs)."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.losses.common import count, per_element, reduce_grad
from core.losses.registry import Curve, Loss, Options, Preset, Steps, Tensors, register
from core.losses.tables import TableSpec
from core.settings import Setting

POISSON_SEED = 0  # the course draws torch.randn((2, 2)) for both tables; here from this seed


def _drawn(seed: int, *shape: int) -> tuple[tuple[str, ...], ...]:
    """torch.randn(shape) from a generator seeded with seed, as typed text (exact float32)."""
    values = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    return tuple(tuple(repr(v) for v in row) for row in values.tolist())


def _poisson(t: Tensors, options: Options, reduction: str) -> Steps:
    x, y = t["inputs"], t["target"]
    eps = float(options["eps"])
    y0 = y.flatten()[0].double()  # the curve is drawn for element 0's target
    if options["log_input"]:
        # the course's stages: exp(x), y·x and their difference
        first, second = x.exp(), y * x
        names, grad = ("exp_x", "y_times_x"), x.exp() - y
        curve = Curve("prediction_log", -3.0, 3.0,
                      lambda v: v.exp() - y0 * v)
    else:
        first, second = x, y * (x + eps).log()
        names, grad = ("x", "y_times_log_x_plus_eps"), 1 - y / (x + eps)
        curve = Curve("prediction", 0.01, 5.0,
                      lambda v: v - y0 * (v + eps).log())
    loss = first - second
    # full: Stirling's approximation of log(y!) where y > 1; it does not depend on the input
    stirling = torch.where(y > 1, y * y.log() - y + 0.5 * (2 * math.pi * y).log(), 0.0) \
        if options["full"] else torch.zeros_like(y)
    loss = loss + stirling
    denominator = count(loss)
    stages = {"input": x, "target": y, names[0]: first, names[1]: second, "stirling": stirling,
              "loss": loss}
    # the course's hand check of element 0, in Python's own floats, against torch's element 0
    x0, y0_, s0 = x.flatten()[0].item(), y.flatten()[0].item(), stirling.flatten()[0].item()
    a = math.exp(x0) if options["log_input"] else x0
    b = y0_ * x0 if options["log_input"] else y0_ * math.log(x0 + eps)
    theirs = F.poisson_nll_loss(x, y, log_input=bool(options["log_input"]),
                                full=bool(options["full"]), eps=eps, reduction="none")
    element0 = theirs.flatten()[0].item()
    hand = "log" if options["log_input"] else "rate"
    note = (f"loss.hand_PoissonNLLLoss_{hand}",
            {"x": x0, "y": y0_, "eps": eps, "first": a, "second": b, "stirling": s0,
             "value": a - b + s0, "torch": element0})
    checks = [("poisson_element_0", torch.tensor(a - b + s0), theirs.flatten()[0])]
    return Steps(per_element(stages), loss, denominator, "elements",
                 {"inputs": reduce_grad(grad, reduction, denominator)}, checks, x,
                 curve=curve, curve_y=loss, notes=(note,))


def _gaussian(t: Tensors, options: Options, reduction: str) -> Steps:
    x, y, var = t["inputs"], t["target"], t["var"]
    eps = float(options["eps"])
    clamped = var.clamp(min=eps)  # torch clamps the variance for stability (no gradient)
    d = x - y
    constant = 0.5 * math.log(2 * math.pi) if options["full"] else 0.0
    loss = 0.5 * (clamped.log() + d * d / clamped) + constant
    denominator = count(loss)
    stages = {"input": x, "target": y, "var": var, "var_clamped": clamped, "error": d,
              "loss": loss}
    v0 = clamped.flatten()[0].double()
    curve = Curve("gaussian", -3.0, 3.0, lambda e: 0.5 * (v0.log() + e * e / v0) + constant)
    return Steps(per_element(stages), loss, denominator, "elements",
                 {"inputs": reduce_grad(d / clamped, reduction, denominator)}, [], d,
                 curve=curve, curve_y=loss)


def _hinge(t: Tensors, options: Options, reduction: str) -> Steps:
    x, y = t["inputs"], t["target"]
    margin = float(options["margin"])
    pushed = (margin - x).clamp(min=0)  # a dissimilar pair (y = −1) closer than the margin
    loss = torch.where(y == 1, x, 0.0) + torch.where(y == -1, pushed, 0.0)
    denominator = count(loss)
    grad = torch.where(y == 1, 1.0, 0.0) - torch.where((y == -1) & (margin - x >= 0), 1.0, 0.0)
    stages = {"input": x, "target": y, "margin_minus_x": margin - x, "loss": loss}
    return Steps(per_element(stages), loss, denominator, "elements",
                 {"inputs": reduce_grad(grad, reduction, denominator)}, [], x, curve_y=loss)


register(Loss(
    name="PoissonNLLLoss", module=nn.PoissonNLLLoss,
    tables=lambda o: (TableSpec("inputs", "values" if o["log_input"] else "positive"),
                      TableSpec("target", "values")),
    # eps only enters log(x + eps), which log_input=True never takes: its box is shown without
    options=(Setting("log_input", "bool", True), Setting("full", "bool", False),
             Setting("eps", "float", 1e-8, low=0.0, high=1.0, step=1e-8, format="%.1e",
                     help="loss.options_eps_help_PoissonNLLLoss",
                     shown=lambda o: not o["log_input"])),
    steps=_poisson, family="likelihood",
    curve=lambda o: Curve("prediction_log", -3.0, 3.0, lambda v: v.exp() - v),
    functional=lambda t, o, r: F.poisson_nll_loss(
        t["inputs"], t["target"], log_input=bool(o["log_input"]), full=bool(o["full"]),
        eps=float(o["eps"]), reduction=r),
    presets=(Preset(f"PoissonNLLLoss, randn((2, 2)), seed {POISSON_SEED}",
                    {"inputs": _drawn(POISSON_SEED, 2, 2),
                     "target": _drawn(POISSON_SEED + 1, 2, 2)}, label="poisson_randn"),),
))

register(Loss(
    name="GaussianNLLLoss", module=nn.GaussianNLLLoss,
    tables=lambda o: (TableSpec("inputs", "values"), TableSpec("target", "values"),
                      TableSpec("var", "positive")),
    options=(Setting("full", "bool", False),
             Setting("eps", "float", 1e-6, low=1e-12, high=1.0, step=1e-6, format="%.1e",
                     help="loss.options_eps_help_GaussianNLLLoss")),
    steps=_gaussian, family="likelihood",
    curve=lambda o: Curve("gaussian", -3.0, 3.0, lambda e: 0.5 * e * e),
    functional=lambda t, o, r: F.gaussian_nll_loss(
        t["inputs"], t["target"], t["var"], full=bool(o["full"]), eps=float(o["eps"]),
        reduction=r),
    presets=(Preset("GaussianNLLLoss", {"inputs": (("1", "2"), ("0", "-1")),
                                        "target": (("1.5", "2"), ("1", "0")),
                                        "var": (("1", "0.5"), ("2", "1"))}),),
))

register(Loss(
    name="HingeEmbeddingLoss", module=nn.HingeEmbeddingLoss,
    tables=lambda o: (TableSpec("inputs", "values"), TableSpec("target", "signs")),
    options=(Setting("margin", "float", 1.0, low=-10.0, high=10.0, step=0.1,
                     help="loss.options_margin_help_HingeEmbeddingLoss"),),
    steps=_hinge, family="hinge",
    curve=lambda o: Curve("distance", -1.0, 3.0,
                          lambda x: (float(o["margin"]) - x).clamp(min=0)),
    functional=lambda t, o, r: F.hinge_embedding_loss(t["inputs"], t["target"],
                                                      margin=float(o["margin"]), reduction=r),
    presets=(Preset("HingeEmbeddingLoss, margin=1", {"inputs": (("1", "0.8", "0.5"),),
                                                     "target": (("1", "1", "-1"),)},
                    reduction="none"),),
))
