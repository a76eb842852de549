"""Losses over pairs and triplets: MarginRankingLoss (which of x1, x2 should rank higher) and
TripletMarginLoss (an anchor nearer its positive than its negative, by a margin)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.losses.common import cancelling_tolerance, reduce_grad
from core.losses.registry import Curve, Loss, Options, Preset, Steps, Tensors, register
from core.losses.tables import TableSpec
from core.settings import Setting


def _column(*values: str) -> tuple[tuple[str, ...], ...]:
    return tuple((v,) for v in values)


def _margin_ranking(t: Tensors, options: Options, reduction: str) -> Steps:
    x1, x2, y = t["x1"], t["x2"], t["target"]
    margin = float(options["margin"])
    ranked = y * (x1 - x2)  # positive: ranked the way the target says
    loss = (margin - ranked).clamp(min=0)
    active = (margin - ranked) >= 0  # torch.clamp_min passes the gradient at 0 too
    denominator = torch.tensor(float(loss.numel()))
    grads = {"x1": reduce_grad(-y * active, reduction, denominator),
             "x2": reduce_grad(y * active, reduction, denominator)}
    table = pd.DataFrame({"sample": range(len(x1)), "x1": x1.tolist(), "x2": x2.tolist(),
                          "target": y.tolist(), "y_times_x1_minus_x2": ranked.tolist(),
                          "margin_minus_that": (margin - ranked).tolist(),
                          "loss": loss.tolist()})
    return Steps(table, loss, denominator, "samples", grads, [], ranked)


def _norm_grad(v: torch.Tensor, p: float) -> torch.Tensor:
    """d ||v||_p / d v, row by row: sign(v)·|v|^(p−1) / ||v||_p^(p−1). (TripletMarginLoss
    wants margin > 0: its bound starts at 0.01.)"""
    norm = v.norm(p=p, dim=1, keepdim=True)
    grad = v.sign() * v.abs() ** (p - 1) / norm ** (p - 1)
    return torch.where(norm == 0, 0.0, grad)  # torch's norm passes 0 back at a zero distance


def _p_distance(p: float, eps: float):
    """pairwise_distance: ||u − v + eps||_p (torch adds eps inside), with its gradient w.r.t. u
    and v."""
    def distance(u: torch.Tensor, v: torch.Tensor):
        w = u - v + eps
        g = _norm_grad(w, p)
        return w.norm(p=p, dim=1), g, -g
    return distance


def _cosine_distance(u: torch.Tensor, v: torch.Tensor, eps: float = 1e-8):
    """1 − cosine_similarity(u, v): 1 − û·v̂ with û = u/max(|u|, eps), as torch normalises
    each vector first; d cos / d u = (v̂ − cos·û)/|u|, and the same for v. Computed from û and
    v̂ in that order, as torch's backward does: at a zero vector (|u| = eps) two such gradients
    of about 1e8 cancel, and v/(|u|·|v|) would round differently and leave 8 where torch has 0."""
    nu = u.norm(dim=1, keepdim=True).clamp(min=eps)
    nv = v.norm(dim=1, keepdim=True).clamp(min=eps)
    u_hat, v_hat = u / nu, v / nv
    cos = (u_hat * v_hat).sum(dim=1)
    c = cos[:, None]
    return 1 - cos, -(v_hat / nu - c * u_hat / nu), -(u_hat / nv - c * v_hat / nv)


def _triplet(t: Tensors, options: Options, reduction: str, distance=None, twin=None,
             check: str = "distance") -> Steps:
    """distance: the hand computation (d, d/du, d/dv); twin: torch's own, checked against it
    under the check's name."""
    a, pos, neg = t["anchor"], t["positive"], t["negative"]
    margin, p, eps = float(options["margin"]), float(options["p"]), float(options["eps"])
    distance = distance or _p_distance(p, eps)
    twin = twin or (lambda u, v: F.pairwise_distance(u, v, p=p, eps=eps))
    (d_ap, g_ap_a, g_ap_p), (d_an, g_an_a, g_an_n), (d_pn, g_pn_p, g_pn_n) = (
        distance(a, pos), distance(a, neg), distance(pos, neg))
    swapped = bool(options["swap"]) & (d_pn < d_an)  # swap: the nearer of anchor, positive
    d_neg = torch.where(swapped, d_pn, d_an)
    # how much of the negative distance's gradient goes to the swapped one: torch.min splits a
    # tie evenly
    share = torch.where(swapped, 1.0, 0.5 * (bool(options["swap"]) & (d_pn == d_an)))
    loss = (d_ap - d_neg + margin).clamp(min=0)
    active = ((d_ap - d_neg + margin) >= 0)[:, None].float()  # as clamp_min at 0
    s = share[:, None]
    denominator = torch.tensor(float(loss.numel()))
    grads = {"anchor": active * (g_ap_a - (1 - s) * g_an_a),
             "positive": active * (g_ap_p - s * g_pn_p),
             "negative": active * (-(1 - s) * g_an_n - s * g_pn_n)}
    grads = {k: reduce_grad(v, reduction, denominator) for k, v in grads.items()}
    table = pd.DataFrame({"sample": range(len(a)), "d_anchor_positive": d_ap.tolist(),
                          "d_anchor_negative": d_an.tolist(),
                          "d_positive_negative": d_pn.tolist(), "swapped": swapped.tolist(),
                          "d_ap_minus_d_neg": (d_ap - d_neg).tolist(), "loss": loss.tolist()})
    checks = [(f"{check}_ap", d_ap, twin(a, pos)), (f"{check}_an", d_an, twin(a, neg))]
    return Steps(table, loss, denominator, "samples", grads, checks, d_ap - d_neg)


register(Loss(
    name="MarginRankingLoss", module=nn.MarginRankingLoss,
    tables=lambda o: (TableSpec("x1", "values", columns="1"),
                      TableSpec("x2", "values", columns="1"),
                      TableSpec("target", "signs", columns="1")),
    options=(Setting("margin", "float", 0.0, low=-10.0, high=10.0, step=0.1,
                     help="loss.options_margin_help_MarginRankingLoss"),),
    steps=_margin_ranking, family="ranking", differentiable=("x1", "x2"),
    curve=lambda o: Curve("ranking", -4.0, 4.0,
                          lambda m: (float(o["margin"]) - m).clamp(min=0)),
    functional=lambda t, o, r: F.margin_ranking_loss(t["x1"], t["x2"], t["target"],
                                                     margin=float(o["margin"]), reduction=r),
    presets=(Preset("MarginRankingLoss", {"x1": _column("1", "2", "3"),
                                          "x2": _column("2", "2", "2"),
                                          "target": _column("1", "1", "-1")},
                    reduction="none"),),
))

register(Loss(
    name="TripletMarginLoss", module=nn.TripletMarginLoss,
    tables=lambda o: (TableSpec("anchor", "values"), TableSpec("positive", "values"),
                      TableSpec("negative", "values")),
    options=(Setting("margin", "float", 1.0, low=0.01, high=10.0, step=0.1,
                     help="loss.options_margin_help_TripletMarginLoss"),
             Setting("p", "float", 2.0, low=1.0, high=3.0, step=1.0,
                     help="loss.options_p_help_TripletMarginLoss"),
             Setting("eps", "float", 1e-6, low=0.0, high=1.0, step=1e-6, format="%.1e",
                     help="loss.options_eps_help_TripletMarginLoss"),
             Setting("swap", "bool", False)),
    steps=_triplet, family="ranking", differentiable=("anchor", "positive", "negative"),
    curve=lambda o: Curve("triplet", -4.0, 4.0,
                          lambda gap: (gap + float(o["margin"])).clamp(min=0)),
    functional=lambda t, o, r: F.triplet_margin_loss(
        t["anchor"], t["positive"], t["negative"], margin=float(o["margin"]),
        p=float(o["p"]), eps=float(o["eps"]), swap=bool(o["swap"]), reduction=r),
    presets=(Preset("TripletMarginLoss, margin=1.0, p=1",
                    {"anchor": (("1",),), "positive": (("2",),), "negative": (("0.5",),)},
                    {"p": 1.0}),),
))


# TripletMarginWithDistanceLoss: the distance is a function; these are the ones offered, each
# with the hand computation of it and its check's name (pairwise_distance's eps is 1e-6)
DISTANCES = {
    "pairwise_distance": (None, "None", _p_distance(2.0, 1e-6), "distance"),  # torch's default
    "pairwise_distance_p1": (lambda a, b: F.pairwise_distance(a, b, p=1),
                             "lambda a, b: F.pairwise_distance(a, b, p=1)",
                             _p_distance(1.0, 1e-6), "distance"),
    "cosine_distance": (lambda a, b: 1 - F.cosine_similarity(a, b),
                        "lambda a, b: 1 - F.cosine_similarity(a, b)", _cosine_distance,
                        "cosine_distance"),
}


def _with_distance(t: Tensors, options: Options, reduction: str) -> Steps:
    twin, _, distance, check = DISTANCES[options["distance_function"]]
    steps = _triplet(t, {**options, "p": 2.0, "eps": 1e-6}, reduction, distance,
                     twin or F.pairwise_distance, check)
    if distance is not _cosine_distance:
        return steps
    # each vector's gradient: two distances' terms of size 1/‖x‖ (‖x‖ at least torch's eps),
    # which cancel where the vectors are parallel (found by the generated inputs: an anchor
    # (0, 5e-5) beside a negative (1, 2) leaves 0.002 of 2e4-sized terms in torch's order)
    tolerance = {name: cancelling_tolerance(t[name].norm(dim=1).clamp(min=1e-8), t[name],
                                            reduction, steps.denominator, terms=2)
                 for name in ("anchor", "positive", "negative")}
    return replace(steps, grad_tolerance=tolerance)


register(Loss(
    name="TripletMarginWithDistanceLoss", module=nn.TripletMarginWithDistanceLoss,
    tables=lambda o: (TableSpec("anchor", "values"), TableSpec("positive", "values"),
                      TableSpec("negative", "values")),
    options=(Setting("distance_function", "choice", "pairwise_distance",
                     choices=tuple(DISTANCES), to_value=lambda v: DISTANCES[v][0],
                     to_code=lambda v: DISTANCES[v][1]),
             Setting("margin", "float", 1.0, low=0.01, high=10.0, step=0.1,
                     help="loss.options_margin_help_TripletMarginWithDistanceLoss"),
             Setting("swap", "bool", False)),
    steps=_with_distance, family="ranking", differentiable=("anchor", "positive", "negative"),
    curve=lambda o: Curve("triplet", -4.0, 4.0,
                          lambda gap: (gap + float(o["margin"])).clamp(min=0)),
    functional=lambda t, o, r: F.triplet_margin_with_distance_loss(
        t["anchor"], t["positive"], t["negative"],
        distance_function=DISTANCES[o["distance_function"]][0], margin=float(o["margin"]),
        swap=bool(o["swap"]), reduction=r),
    presets=(Preset("TripletMarginWithDistanceLoss, pairwise_distance(p=1)",
                    {"anchor": (("1",),), "positive": (("2",),), "negative": (("0.5",),)},
                    {"distance_function": "pairwise_distance_p1"}),
             Preset("TripletMarginWithDistanceLoss, 1 - cosine_similarity",
                    {"anchor": (("1", "0"), ("0.5", "0.5")),
                     "positive": (("0.8", "0.6"), ("1", "0")),
                     "negative": (("0", "1"), ("0.5", "0.4"))},
                    {"distance_function": "cosine_distance"}),),
))
