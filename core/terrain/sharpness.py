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

import torch

from core.terrain.objective import Objective

# A check stops when the eigenvector's residual |Hv − λv| is this small against |λ|: the
# eigenvalue is then right to about its square (1e-4), far below what the chart can show.
TOLERANCE = 1e-2
ITERATIONS = 20  # at most, per check; warm-started, a check usually takes 2-5


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
