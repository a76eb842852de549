"""The sharpness: the largest eigenvalue of the training loss's Hessian, by power iteration on
Hessian-vector products from autograd (the Hessian itself is never formed).

Why 2/lr: on y = 4x² (the optimiser lesson's), the curvature is 8 everywhere and gradient descent
multiplies x by 1 − 8·lr each step: it converges where |1 − 8·lr| < 1, below lr = 2/8. Near a
point of a network's loss, gradient descent multiplies the component along each Hessian
eigenvector by 1 − λ·lr in the same way: the sharpest direction oscillates and grows once its
eigenvalue λ passes 2/lr. Heavy-ball momentum μ moves that line to (2 + 2μ)/lr."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.terrain.objective import Objective

# A check stops when the eigenvector's residual |Hv − λv| is this small against |λ|: the
# eigenvalue's error is then about its square over the relative gap to the next eigenvalue
# (1e-2 left 0.15 % at a small gap; 1e-3 costs 2.3 products a check, warm-started, against 1.2)
TOLERANCE = 1e-3
ITERATIONS = 20  # at most, per check; warm-started, a check usually takes 2-5
COLD_ITERATIONS = 500  # at most, from a random start (the first check: 53 on the default run)


@dataclass(frozen=True)
class Eigen:
    value: float  # the top eigenvalue (nan where the loss or its Hessian is not finite)
    vector: torch.Tensor  # its unit eigenvector, flat (the next check starts from it)
    iterations: int  # Hessian-vector products spent
    converged: bool  # the residual reached the tolerance within the iterations allowed


def hessian_product(objective: Objective) -> Callable[[torch.Tensor], torch.Tensor]:
    """v -> H·v at the model's current weights, v and H·v flat. The gradient's graph is built
    once (create_graph) and each product is one backward pass through it. The weights are read
    in place (autograd.grad leaves their .grad alone): hold the run's lock while it is used."""
    named = dict(objective.model.named_parameters())
    leaves = [named[name] for name in objective.names]
    with torch.enable_grad():
        grads = torch.autograd.grad(objective.loss(), leaves, create_graph=True)
        flat_grad = torch.cat([g.reshape(-1) for g in grads])

    def product(v: torch.Tensor) -> torch.Tensor:
        if not flat_grad.requires_grad:  # a loss linear in every weight: H = 0
            return torch.zeros_like(v)
        with torch.enable_grad():
            parts = torch.autograd.grad(flat_grad, leaves, grad_outputs=v, retain_graph=True,
                                        allow_unused=True)
        return torch.cat([(torch.zeros_like(leaf) if part is None else part).reshape(-1)
                          for part, leaf in zip(parts, leaves, strict=True)])
    return product


def power_iteration(product: Callable[[torch.Tensor], torch.Tensor], start: torch.Tensor,
                    iterations: int = ITERATIONS, tolerance: float = TOLERANCE) -> Eigen:
    """The eigenvalue of largest magnitude of the symmetric operator product, from start:
    v ← H·v / |H·v|, λ = vᵀH·v (the Rayleigh quotient), until |H·v − λv| ≤ tolerance·|λ|."""
    v = start / start.norm()
    value = float("nan")
    for done in range(1, iterations + 1):
        w = product(v)
        value = float(v @ w)
        if not torch.isfinite(w).all() or value != value:
            return Eigen(float("nan"), v, done, False)
        if float(w.norm()) == 0.0:  # v is in the Hessian's null space
            return Eigen(0.0, v, done, True)
        residual = float((w - value * v).norm())
        v = w / w.norm()
        if residual <= tolerance * abs(value):
            return Eigen(value, v, done, True)
    return Eigen(value, v, iterations, False)


def top_eigenvalue(product: Callable[[torch.Tensor], torch.Tensor], start: torch.Tensor,
                   iterations: int = ITERATIONS, tolerance: float = TOLERANCE) -> Eigen:
    """The largest eigenvalue (not the largest in magnitude): where power iteration finds a
    negative one λ₋ first (a saddle's strong negative curvature), it runs again on H − λ₋·I, whose
    largest-magnitude eigenvalue is λ_max − λ₋ ≥ 0."""
    found = power_iteration(product, start, iterations, tolerance)
    if not found.value < 0:
        return found
    shift = found.value
    shifted = power_iteration(lambda v: product(v) - shift * v, start, iterations, tolerance)
    return Eigen(shifted.value + shift, shifted.vector, found.iterations + shifted.iterations,
                 shifted.converged)


def random_start(size: int, generator: torch.Generator) -> torch.Tensor:
    """The first check's start: a random direction (from the run's own generator)."""
    return torch.randn(size, generator=generator)


def threshold(lr: float, momentum: float = 0.0) -> float:
    """Where gradient descent on a quadratic of curvature λ stops converging: λ = (2 + 2μ)/lr
    (2/lr without momentum: curvature 8 on y = 4x² at lr = 1/4)."""
    return (2 + 2 * momentum) / lr


BAND = 0.1  # the edge of stability: the sharpness within 10 % of the threshold
GROWN = 2.0  # a loss this many times its start has jumped (a catapult's, or a divergence's)
STEADY = ("SGD",)  # optimisers whose step is lr times the gradient (with momentum's buffer):
# their threshold is (2 + 2μ)/lr; the others divide each step by a running scale of their own


def story(checks: pd.DataFrame, threshold: float, steady: bool = True) -> tuple[str, dict]:
    """What a run's sharpness and loss show (checks: rows epoch, sharpness, loss, as Run keeps
    them), as a text key and its numbers: "diverged" (the loss stopped being finite), "catapult"
    (the loss jumped, then fell below where it began), "growing" (it has jumped and not come
    back), "edge" (the sharpness reached the threshold: how close it has stayed since),
    "adaptive" (an optimiser whose threshold is not 2/lr: how high the sharpness went), "below"
    (it has not reached the threshold yet), "start" (epoch 0 alone)."""
    sharp, loss, epochs = (checks[c].to_numpy() for c in ("sharpness", "loss", "epoch"))
    first = {"start": float(sharp[0]), "threshold": threshold,
             "start_share": 100 * float(sharp[0]) / threshold}
    if len(checks) < 2:
        return "start", first
    finite = np.isfinite(loss)
    if not finite.all():
        return "diverged", first | {"epoch": int(epochs[~finite][0])}
    peak = int(np.argmax(loss))
    if loss[peak] > GROWN * loss[0]:
        jumped = {"peak_epoch": int(epochs[peak]), "peak": float(loss[peak]),
                  "loss": float(loss[0]), "times": float(loss[peak] / loss[0])}
        back = np.nonzero(loss[peak:] < loss[0])[0]
        if len(back):
            lowest = float(np.nanmin(sharp[peak:]))
            return "catapult", first | jumped | {
                "back_epoch": int(epochs[peak + back[0]]), "after": lowest,
                "after_share": 100 * lowest / threshold}
        return "growing", first | jumped
    highest = float(np.nanmax(sharp))
    if not steady:
        return "adaptive", first | {"highest": highest, "share": 100 * highest / threshold}
    crossed = np.nonzero(sharp >= threshold)[0]
    if not len(crossed):
        return "below", first | {"highest": highest, "share": 100 * highest / threshold}
    since = sharp[crossed[0]:] / threshold
    return "edge", first | {"epoch": int(epochs[crossed[0]]), "low": 100 * float(since.min()),
                            "high": 100 * float(since.max()),
                            "inside": bool(((since >= 1 - BAND) & (since <= 1 + BAND)).all())}
