"""Losses over real-valued predictions: L1Loss, MSELoss, SmoothL1Loss and HuberLoss punish the
error d = input − target, each with its own curve (compared on the same errors on the page)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.losses.common import count, per_element, reduce_grad
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

TABLES = (TableSpec("inputs", "values"), TableSpec("target", "values"))
COURSE = {"inputs": (("1", "1"), ("1", "1")), "target": (("3", "3"), ("3", "3"))}
ERRORS = {"inputs": tuple((f"{x:g}",) for x in (-3, -2, -1, -0.5, 0, 0.5, 1, 2, 3)),
          "target": (("0",),) * 9}  # the course draws its curves on linspace(-3, 3) against 0


def _piecewise(loss_of: Callable[[torch.Tensor, Options], torch.Tensor],
               grad_of: Callable[[torch.Tensor, Options], torch.Tensor], stage: str):
    """Steps of a loss of the error d alone: d, |d|, the loss and its gradient."""
    def steps(t: Tensors, options: Options, reduction: str) -> Steps:
        d = t["inputs"] - t["target"]
        loss = loss_of(d, options)
        denominator = count(loss)
        stages = {"input": t["inputs"], "target": t["target"], "error": d, "abs_error": d.abs(),
                  stage: loss if stage == "loss" else d.abs() < _threshold(options),
                  "loss": loss}
        return Steps(per_element(stages), loss, denominator, "elements",
                     {"inputs": reduce_grad(grad_of(d, options), reduction, denominator)},
                     [], d)
    return steps


def _threshold(options: Options) -> float:
    return float(options.get("beta", options.get("delta", 0.0)))


def _smooth_l1(d: torch.Tensor, o: Options) -> torch.Tensor:
    beta = float(o["beta"])
    if beta == 0:
        return d.abs()
    return torch.where(d.abs() < beta, 0.5 * d * d / beta, d.abs() - 0.5 * beta)


def _smooth_l1_grad(d: torch.Tensor, o: Options) -> torch.Tensor:
    beta = float(o["beta"])
    return d.sign() if beta == 0 else torch.where(d.abs() < beta, d / beta, d.sign())


def _huber(d: torch.Tensor, o: Options) -> torch.Tensor:
    delta = float(o["delta"])
    return torch.where(d.abs() < delta, 0.5 * d * d, delta * (d.abs() - 0.5 * delta))


def _huber_grad(d: torch.Tensor, o: Options) -> torch.Tensor:
    delta = float(o["delta"])
    return torch.where(d.abs() < delta, d, delta * d.sign())


def _span(t: Tensors) -> tuple[float, float]:
    """The course's −3 to 3, wider where a typed error is."""
    d = t["inputs"] - t["target"]
    return min(-3.0, d.min().item()), max(3.0, d.max().item())


# L1, MSE, SmoothL1 and Huber on one chart, against the error: the y range ends where L1 does
# at the span's edge, so MSE leaves the top rather than squashing the quadratic parts below
# beta and delta
register_family(Family(
    "regression", "error", _span,
    probe=lambda t, xs: {"inputs": xs[:, None], "target": torch.zeros(len(xs), 1)},
    at=lambda t: (t["inputs"] - t["target"]).flatten(),
    on_curve=lambda t: torch.ones(t["inputs"].numel(), dtype=torch.bool),
    together=True, top=lambda low, high: max(-low, high)))


def _regression(name: str, module: type[nn.Module], functional, loss_of, grad_of,
                options: tuple, presets: tuple[Preset, ...], stage: str = "loss") -> Loss:
    return register(Loss(
        name=name, module=module, tables=lambda o: TABLES, options=options,
        functional=lambda t, o, r: functional(t["inputs"], t["target"], reduction=r,
                                              **{x.name: o[x.name] for x in options}),
        steps=_piecewise(loss_of, grad_of, stage), family="regression",
        curve=lambda o: Curve("error", -3.0, 3.0, lambda d: loss_of(d, o)),
        presets=presets, thresholds=tuple(o.name for o in options)))


_regression("L1Loss", nn.L1Loss, F.l1_loss, lambda d, o: d.abs(), lambda d, o: d.sign(), (),
            (Preset("L1Loss", COURSE),))
_regression("MSELoss", nn.MSELoss, F.mse_loss, lambda d, o: d * d, lambda d, o: 2 * d, (),
            (Preset("MSELoss", COURSE),))
_regression("SmoothL1Loss", nn.SmoothL1Loss, F.smooth_l1_loss, _smooth_l1, _smooth_l1_grad,
            (Setting("beta", "float", 1.0, low=0.0, high=10.0, step=0.1),),
            (Preset("SmoothL1Loss, errors in [-3, 3]", ERRORS, label="smooth_l1_errors"),),
            stage="quadratic")
_regression("HuberLoss", nn.HuberLoss, F.huber_loss, _huber, _huber_grad,
            (Setting("delta", "float", 1.0, low=0.01, high=10.0, step=0.1),),
            (Preset("HuberLoss, errors in [-3, 3]", ERRORS, label="huber_errors"),),
            stage="quadratic")

