"""Each optimiser's update rule as torch's documentation writes it, one function per optimiser:
rule(g, p, s, h) takes the gradient its step used, the parameter and the state before the step,
and the group's settings, and returns the entries of `state` (and the parameter) in the order the
algorithm computes them, each with its formula. core.optim.inside evaluates them on a real step.
A rule reads the state before the step with torch's initial values where its first step has not
created it yet (s.get(key, initial))."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Entry:
    key: str  # the state entry ("exp_avg"), or "param" for the parameter after the step
    formula: str  # as torch's documentation writes it
    value: torch.Tensor  # what the formula gives


def _grad(g, p, h):
    """The gradient the update uses: negated to maximise, with L2 weight decay added."""
    g = -g if h.get("maximize") else g
    if h.get("weight_decay") and not h.get("decoupled_weight_decay"):
        g = g + h["weight_decay"] * p
    return g


def sgd(g, p, s, h):
    g = _grad(g, p, h)
    rows, mu, tau = [], h["momentum"], h["dampening"]
    if mu:
        b = g.clone() if "momentum_buffer" not in s else mu * s["momentum_buffer"] + (1 - tau) * g
        rows.append(Entry("momentum_buffer", "b₁ = g₁; bₜ = μ·bₜ₋₁ + (1 − τ)·gₜ", b))
        g = g + mu * b if h["nesterov"] else b
    return rows + [Entry("param", "θₜ = θₜ₋₁ − γ·(nesterov ? gₜ + μ·bₜ : bₜ)", p - h["lr"] * g)]


def _moments(g, s, b1, b2):
    """The two moments, with torch's own operations (lerp, addcmul): where β₁·mₜ₋₁ and
    (1 − β₁)·gₜ nearly cancel, another order of rounding differs in the fifth digit."""
    m = torch.lerp(s.get("exp_avg", torch.zeros_like(g)), g, 1 - b1)
    v = torch.addcmul(b2 * s.get("exp_avg_sq", torch.zeros_like(g)), g, g, value=1 - b2)
    return [Entry("exp_avg", "mₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ", m),
            Entry("exp_avg_sq", "vₜ = β₂·vₜ₋₁ + (1 − β₂)·gₜ²", v)]


def _step(s):
    t = float(s.get("step", 0)) + 1
    return t, Entry("step", "t = t + 1", torch.tensor(t))


def adam(g, p, s, h, decoupled=False):
    t, step = _step(s)
    b1, b2 = h["betas"]
    if h["weight_decay"] and (decoupled or h.get("decoupled_weight_decay")):
        p = p * (1 - h["lr"] * h["weight_decay"])
    g = _grad(g, p, h | {"decoupled_weight_decay": decoupled or h.get(
        "decoupled_weight_decay")})
    rows = [step, *_moments(g, s, b1, b2)]
    m, v = rows[1].value, rows[2].value
    if h["amsgrad"]:
        v = torch.maximum(s.get("max_exp_avg_sq", torch.zeros_like(v)), v)
        rows.append(Entry("max_exp_avg_sq", "v̂ₜᵐᵃˣ = max(v̂ₜ₋₁ᵐᵃˣ, vₜ)", v))
    update = (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + h["eps"])
    return rows + [Entry("param", "θₜ = θₜ₋₁ − γ·m̂ₜ / (√v̂ₜ + ε), m̂ₜ = mₜ/(1 − β₁ᵗ), "
                                  "v̂ₜ = vₜ/(1 − β₂ᵗ)", p - h["lr"] * update)]


def adamw(g, p, s, h):
    return adam(g, p, s, h, decoupled=True)


def adamax(g, p, s, h):
    t, step = _step(s)
    b1, b2 = h["betas"]
    g = _grad(g, p, h)
    m = torch.lerp(s.get("exp_avg", torch.zeros_like(g)), g, 1 - b1)  # as _moments
    u = torch.maximum(b2 * s.get("exp_inf", torch.zeros_like(g)), g.abs() + h["eps"])
    return [step, Entry("exp_avg", "mₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ", m),
            Entry("exp_inf", "uₜ = max(β₂·uₜ₋₁, |gₜ| + ε)", u),
            Entry("param", "θₜ = θₜ₋₁ − γ·mₜ / ((1 − β₁ᵗ)·uₜ)",
                  p - h["lr"] / (1 - b1**t) * m / u)]


def nadam(g, p, s, h):
    t, step = _step(s)
    b1, b2 = h["betas"]
    if h["weight_decay"] and h["decoupled_weight_decay"]:
        p = p * (1 - h["lr"] * h["weight_decay"])
    g = _grad(g, p, h)
    mu = b1 * (1 - 0.5 * 0.96 ** (t * h["momentum_decay"]))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * h["momentum_decay"]))
    product = torch.as_tensor(s.get("mu_product", 1.0) * mu)
    rows = [step, Entry("mu_product", "Πμ = Πμ·μₜ, μₜ = β₁·(1 − ½·0.96^(t·ψ))", product),
            *_moments(g, s, b1, b2)]
    m, v = rows[2].value, rows[3].value
    denom = (v / (1 - b2**t)).sqrt() + h["eps"]
    new = p - h["lr"] * (1 - mu) / (1 - product) * g / denom \
        - h["lr"] * mu_next / (1 - product * mu_next) * m / denom
    return rows + [Entry("param", "θₜ = θₜ₋₁ − γ·(1 − μₜ)/(1 − Πμ)·gₜ/(√v̂ₜ + ε) − "
                                  "γ·μₜ₊₁/(1 − Πμ·μₜ₊₁)·mₜ/(√v̂ₜ + ε)", new)]


def radam(g, p, s, h):
    t, step = _step(s)
    b1, b2 = h["betas"]
    if h["weight_decay"] and h["decoupled_weight_decay"]:
        p = p * (1 - h["lr"] * h["weight_decay"])
    g = _grad(g, p, h)
    rows = [step, *_moments(g, s, b1, b2)]
    m, v = rows[1].value / (1 - b1**t), rows[2].value
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho > 5:
        rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        new = p - h["lr"] * m * rect * math.sqrt(1 - b2**t) / (v.sqrt() + h["eps"])
    else:
        new = p - h["lr"] * m
    return rows + [Entry("param", "ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ); ρₜ > 5: θₜ = θₜ₋₁ − γ·m̂ₜ·rₜ·lₜ, "
                                  "else θₜ = θₜ₋₁ − γ·m̂ₜ", new)]


def adagrad(g, p, s, h):
    t, step = _step(s)
    g = _grad(g, p, h)
    total = s["sum"] + g * g
    lr = h["lr"] / (1 + (t - 1) * h["lr_decay"])
    return [step, Entry("sum", "state_sumₜ = state_sumₜ₋₁ + gₜ²", total),
            Entry("param", "θₜ = θₜ₋₁ − γ̃·gₜ / (√state_sumₜ + ε), γ̃ = γ/(1 + (t − 1)·η)",
                  p - lr * g / (total.sqrt() + h["eps"]))]


def adadelta(g, p, s, h):
    _, step = _step(s)
    g, rho, eps = _grad(g, p, h), h["rho"], h["eps"]
    u0 = s.get("acc_delta", torch.zeros_like(g))
    v = rho * s.get("square_avg", 0.0) + (1 - rho) * g * g
    delta = (u0 + eps).sqrt() / (v + eps).sqrt() * g
    u = rho * u0 + (1 - rho) * delta * delta
    return [step, Entry("square_avg", "vₜ = ρ·vₜ₋₁ + (1 − ρ)·gₜ²", v),
            Entry("acc_delta", "Δxₜ = √(uₜ₋₁ + ε)/√(vₜ + ε)·gₜ; uₜ = ρ·uₜ₋₁ + (1 − ρ)·Δxₜ²", u),
            Entry("param", "θₜ = θₜ₋₁ − γ·Δxₜ", p - h["lr"] * delta)]


def rmsprop(g, p, s, h):
    _, step = _step(s)
    g, alpha = _grad(g, p, h), h["alpha"]
    # Centred, ṽ = v − (gᵃᵛᵍ)² is a difference of near-equal numbers (equal when α = 0): its
    # sign, and whether the step is finite, hang on the last bit, so v, gᵃᵛᵍ and ṽ are computed
    # with torch's own fused operations (addcmul, lerp), in its order.
    v = torch.addcmul(alpha * s.get("square_avg", torch.zeros_like(g)), g, g, value=1 - alpha)
    rows = [step, Entry("square_avg", "vₜ = α·vₜ₋₁ + (1 − α)·gₜ²", v)]
    if h["centered"]:
        mean = torch.lerp(s.get("grad_avg", torch.zeros_like(g)), g, 1 - alpha)
        rows.append(Entry("grad_avg", "gᵃᵛᵍₜ = α·gᵃᵛᵍₜ₋₁ + (1 − α)·gₜ; ṽₜ = vₜ − (gᵃᵛᵍₜ)²", mean))
        v = torch.addcmul(v, mean, mean, value=-1)
    denom = v.sqrt() + h["eps"]
    if h["momentum"]:
        b = h["momentum"] * s.get("momentum_buffer", 0.0) + g / denom
        rows.append(Entry("momentum_buffer", "bₜ = μ·bₜ₋₁ + gₜ/(√ṽₜ + ε)", b))
        return rows + [Entry("param", "θₜ = θₜ₋₁ − γ·bₜ", p - h["lr"] * b)]
    return rows + [Entry("param", "θₜ = θₜ₋₁ − γ·gₜ/(√ṽₜ + ε)", p - h["lr"] * g / denom)]


def rprop(g, p, s, h):
    _, step = _step(s)
    g = -g if h["maximize"] else g
    (eta_minus, eta_plus), (low, high) = h["etas"], h["step_sizes"]
    sign = (g * s.get("prev", torch.zeros_like(g))).sign()
    factor = torch.where(sign > 0, eta_plus, torch.where(sign < 0, eta_minus, 1.0))
    size = (s.get("step_size", torch.full_like(g, h["lr"])) * factor).clamp(low, high)
    g = torch.where(sign < 0, torch.zeros_like(g), g)
    return [step, Entry("step_size", "ηₜ = clamp(ηₜ₋₁·(η₊ if gₜ·gₜ₋₁ > 0, η₋ if < 0, else 1), "
                                     "Γₘᵢₙ, Γₘₐₓ)", size),
            Entry("prev", "gₜ₋₁ ← (gₜ·gₜ₋₁ < 0 ? 0 : gₜ)", g),
            Entry("param", "θₜ = θₜ₋₁ − ηₜ·sign(gₜ)", p - g.sign() * size)]


def asgd(g, p, s, h):
    t, step = _step(s)
    g, eta, mu = _grad(g, p, h), float(s.get("eta", h["lr"])), float(s.get("mu", 1.0))
    new = p * (1 - h["lambd"] * eta) - eta * g
    ax0 = s.get("ax", torch.zeros_like(p))
    ax = ax0 + (new - ax0) * mu if mu != 1 else new
    return [step, Entry("param", "θₜ = θₜ₋₁·(1 − λ·ηₜ₋₁) − ηₜ₋₁·gₜ", new),
            Entry("ax", "axₜ = axₜ₋₁ + μₜ₋₁·(θₜ − axₜ₋₁)", ax),
            Entry("eta", "ηₜ = γ / (1 + λ·γ·t)^α",
                  torch.tensor(h["lr"] / ((1 + h["lambd"] * h["lr"] * t) ** h["alpha"]))),
            Entry("mu", "μₜ = 1 / max(1, t − t₀)", torch.tensor(1 / max(1, t - h["t0"])))]


def adafactor(g, p, s, h):
    """A vector parameter (a landscape's point): one second moment, not factored into rows and
    columns; the step is relative to the parameter's own size, RMS(θ)."""
    t, step = _step(s)
    g = -g if h["maximize"] else g
    eps1, eps2 = h["eps"]
    eps1 = torch.finfo(p.dtype).eps if eps1 is None else eps1
    alpha = max(eps2, (p.norm() / math.sqrt(p.numel())).item()) * min(h["lr"], 1 / math.sqrt(t))
    p = p * (1 - h["lr"] * h["weight_decay"]) if h["weight_decay"] else p
    v = torch.lerp(s.get("variance", torch.zeros_like(g)), g * g, t ** h["beta2_decay"])
    u = v.clamp(min=eps1 * eps1).rsqrt() * g
    clip = max(1.0, (u.norm() / (math.sqrt(u.numel()) * h["d"])).item())
    return [step, Entry("variance", "vₜ = (1 − t^c)·vₜ₋₁ + t^c·gₜ², c = beta2_decay", v),
            Entry("param", "θₜ = θₜ₋₁·(1 − γ·λ) − αₜ·uₜ/max(1, RMS(uₜ)/d), uₜ = gₜ/√max(vₜ, ε₁²), "
                           "αₜ = max(ε₂, RMS(θₜ₋₁))·min(γ, 1/√t)", p - alpha / clip * u)]
