"""Each optimiser's update rule as torch's documentation writes it, one function per optimiser:
rule(g, p, s, h) takes the gradient its step used, the parameter and the state before the step,
and the group's settings, and returns the entries of `state` (and the parameter) in the order the
algorithm computes them, each with its formula, and the formula's right-hand side with this step's
numbers in it (work: a template whose {name}s are values of numbers), so that anyone can redo the
sum. core.optim.inside evaluates them on a real step. A rule reads the state before the step with
torch's initial values where its first step has not created it yet (s.get(key, initial)).

An optimiser whose step takes a closure (LBFGS) gets one more argument, evaluate(x) -> (loss,
gradient): what its closure returns at the point x, as torch's step calls it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
from torch.optim.lbfgs import _strong_wolfe


@dataclass(frozen=True)
class Entry:
    key: str  # the state entry ("exp_avg"), or "param" for the parameter after the step
    formula: str  # as torch's documentation writes it
    value: torch.Tensor  # what the formula gives
    work: str = ""  # the formula with this step's numbers: "{b1}·{m0} + (1 − {b1})·{g}"
    numbers: Mapping[str, object] = field(default_factory=dict)  # the values work names


def _grad(g, p, h, n, decay: bool = True) -> tuple[torch.Tensor, str]:
    """The gradient the update uses: negated to maximise, with L2 weight decay added (decay, and
    not decoupled); and the clause that shows it, empty where it is p.grad itself."""
    n["grad"], n["p0"] = g, p
    clause = "−{grad}" if h.get("maximize") else "{grad}"
    g = -g if h.get("maximize") else g
    if decay and h.get("weight_decay") and not h.get("decoupled_weight_decay"):
        g = g + h["weight_decay"] * p
        n["wd"] = h["weight_decay"]
        clause += " + {wd}·{p0}"
    n["g"] = g
    return g, "" if clause == "{grad}" else f"gₜ = {clause} = {{g}}; "


def _decay(p, h, n) -> tuple[torch.Tensor, str]:
    """Decoupled weight decay (AdamW, Adafactor, NAdam and RAdam's option): p shrinks before the
    step; p_ names the parameter before, p0 the decayed one the step starts from."""
    decayed = p * (1 - h["lr"] * h["weight_decay"])
    n |= {"p_": p, "wd": h["weight_decay"], "p0": decayed}
    return decayed, "θ' = {p_}·(1 − {lr}·{wd}) = {p0}; "


def sgd(g, p, s, h):
    n = {"lr": h["lr"]}
    g, clause = _grad(g, p, h, n)
    rows, mu, tau = [], h["momentum"], h["dampening"]
    n |= {"mu": mu, "tau": tau}
    step, work = g, "{p0} − {lr}·{g}"
    if mu:
        if "momentum_buffer" not in s:
            b, b_work = g.clone(), "{g}"
        else:
            n["b0"] = s["momentum_buffer"]
            b, b_work = mu * s["momentum_buffer"] + (1 - tau) * g, "{mu}·{b0} + (1 − {tau})·{g}"
        n["b"] = b
        rows.append(Entry("momentum_buffer", "b₁ = g₁; bₜ = μ·bₜ₋₁ + (1 − τ)·gₜ", b,
                          clause + b_work, dict(n)))
        clause = ""
        step, work = (g + mu * b, "{p0} − {lr}·({g} + {mu}·{b})") if h["nesterov"] \
            else (b, "{p0} − {lr}·{b}")
    return rows + [Entry("param", "θₜ = θₜ₋₁ − γ·(nesterov ? gₜ + μ·bₜ : bₜ)", p - h["lr"] * step,
                         clause + work, dict(n))]


def _moments(g, s, b1, b2, n, clause=""):
    """The two moments, with torch's own operations (lerp, addcmul): where β₁·mₜ₋₁ and
    (1 − β₁)·gₜ nearly cancel, another order of rounding differs in the fifth digit."""
    n |= {"b1": b1, "b2": b2, "m0": s.get("exp_avg", torch.zeros_like(g)),
          "v0": s.get("exp_avg_sq", torch.zeros_like(g))}
    m = torch.lerp(n["m0"], g, 1 - b1)
    v = torch.addcmul(b2 * n["v0"], g, g, value=1 - b2)
    n |= {"m": m, "v": v}
    return [Entry("exp_avg", "mₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ", m,
                  clause + "{b1}·{m0} + (1 − {b1})·{g}", dict(n)),
            Entry("exp_avg_sq", "vₜ = β₂·vₜ₋₁ + (1 − β₂)·gₜ²", v,
                  "{b2}·{v0} + (1 − {b2})·{g}²", dict(n))]


def _step(s, n):
    t = float(s.get("step", 0)) + 1
    n |= {"t0": t - 1, "t": t}
    return t, Entry("step", "t = t + 1", torch.tensor(t), "{t0} + 1", dict(n))


def adam(g, p, s, h, decoupled=False):
    n = {"lr": h["lr"], "eps": h["eps"]}
    t, step = _step(s, n)
    b1, b2 = h["betas"]
    decay = ""
    if h["weight_decay"] and (decoupled or h.get("decoupled_weight_decay")):
        p, decay = _decay(p, h, n)
    g, clause = _grad(g, p, h | {"decoupled_weight_decay": decoupled or h.get(
        "decoupled_weight_decay")}, n)
    rows = [step, *_moments(g, s, b1, b2, n, clause)]
    m, v = rows[1].value, rows[2].value
    if h["amsgrad"]:
        n["vmax0"] = s.get("max_exp_avg_sq", torch.zeros_like(v))
        v = torch.maximum(n["vmax0"], v)
        n["vmax"] = v
        rows.append(Entry("max_exp_avg_sq", "v̂ₜᵐᵃˣ = max(v̂ₜ₋₁ᵐᵃˣ, vₜ)", v,
                          "max({vmax0}, {v})", dict(n)))
    update = (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + h["eps"])
    n |= {"mhat": m / (1 - b1**t), "vhat": v / (1 - b2**t), "vused": v}
    return rows + [Entry(
        "param", "θₜ = θₜ₋₁ − γ·m̂ₜ / (√v̂ₜ + ε), m̂ₜ = mₜ/(1 − β₁ᵗ), v̂ₜ = vₜ/(1 − β₂ᵗ)",
        p - h["lr"] * update,
        decay + "m̂ₜ = {m}/(1 − {b1}^{t}) = {mhat}; v̂ₜ = {vused}/(1 − {b2}^{t}) = "
        "{vhat}; {p0} − {lr}·{mhat}/(√{vhat} + {eps})", dict(n))]


def adamw(g, p, s, h):
    return adam(g, p, s, h, decoupled=True)


def adamax(g, p, s, h):
    n = {"lr": h["lr"], "eps": h["eps"]}
    t, step = _step(s, n)
    b1, b2 = h["betas"]
    g, clause = _grad(g, p, h, n)
    n |= {"b1": b1, "b2": b2, "m0": s.get("exp_avg", torch.zeros_like(g)),
          "u0": s.get("exp_inf", torch.zeros_like(g))}
    m = torch.lerp(n["m0"], g, 1 - b1)  # as _moments
    u = torch.maximum(b2 * n["u0"], g.abs() + h["eps"])
    n |= {"m": m, "u": u}
    return [step, Entry("exp_avg", "mₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ", m,
                        clause + "{b1}·{m0} + (1 − {b1})·{g}", dict(n)),
            Entry("exp_inf", "uₜ = max(β₂·uₜ₋₁, |gₜ| + ε)", u, "max({b2}·{u0}, |{g}| + {eps})",
                  dict(n)),
            Entry("param", "θₜ = θₜ₋₁ − γ·mₜ / ((1 − β₁ᵗ)·uₜ)",
                  p - h["lr"] / (1 - b1**t) * m / u,
                  "{p0} − {lr}·{m}/((1 − {b1}^{t})·{u})", dict(n))]


def nadam(g, p, s, h):
    n = {"lr": h["lr"], "eps": h["eps"], "psi": h["momentum_decay"]}
    t, step = _step(s, n)
    b1, b2 = h["betas"]
    decay = ""
    if h["weight_decay"] and h["decoupled_weight_decay"]:
        p, decay = _decay(p, h, n)
    g, clause = _grad(g, p, h, n)
    mu = b1 * (1 - 0.5 * 0.96 ** (t * h["momentum_decay"]))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * h["momentum_decay"]))
    n |= {"b1": b1, "mu": mu, "mu_next": mu_next, "prod0": s.get("mu_product", 1.0)}
    product = torch.as_tensor(s.get("mu_product", 1.0) * mu)
    n["prod"] = product
    rows = [step, Entry("mu_product", "Πμ = Πμ·μₜ, μₜ = β₁·(1 − ½·0.96^(t·ψ))", product,
                        "μₜ = {b1}·(1 − 0.5·0.96^({t}·{psi})) = {mu}; {prod0}·{mu}", dict(n)),
            *_moments(g, s, b1, b2, n, clause)]
    m, v = rows[2].value, rows[3].value
    denom = (v / (1 - b2**t)).sqrt() + h["eps"]
    new = p - h["lr"] * (1 - mu) / (1 - product) * g / denom \
        - h["lr"] * mu_next / (1 - product * mu_next) * m / denom
    n["vhat"] = v / (1 - b2**t)
    return rows + [Entry(
        "param", "θₜ = θₜ₋₁ − γ·(1 − μₜ)/(1 − Πμ)·gₜ/(√v̂ₜ + ε) − γ·μₜ₊₁/(1 − Πμ·μₜ₊₁)·mₜ/(√v̂ₜ + ε)",
        new, decay + "μₜ₊₁ = {b1}·(1 − 0.5·0.96^(({t} + 1)·{psi})) = {mu_next}; "
        "v̂ₜ = {v}/(1 − {b2}^{t}) = {vhat}; {p0} − {lr}·(1 − {mu})/(1 − {prod})·{g}/(√{vhat} + "
        "{eps}) − {lr}·{mu_next}/(1 − {prod}·{mu_next})·{m}/(√{vhat} + {eps})", dict(n))]


def radam(g, p, s, h):
    n = {"lr": h["lr"], "eps": h["eps"]}
    t, step = _step(s, n)
    b1, b2 = h["betas"]
    decay = ""
    if h["weight_decay"] and h["decoupled_weight_decay"]:
        p, decay = _decay(p, h, n)
    g, clause = _grad(g, p, h, n)
    rows = [step, *_moments(g, s, b1, b2, n, clause)]
    m, v = rows[1].value / (1 - b1**t), rows[2].value
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
    n |= {"mhat": m, "rho_inf": rho_inf, "rho": rho}
    work = decay + "ρₜ = {rho_inf} − 2·{t}·{b2}^{t}/(1 − {b2}^{t}) = {rho}; " \
        "m̂ₜ = {m}/(1 − {b1}^{t}) = {mhat}; "
    if rho > 5:
        rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        new = p - h["lr"] * m * rect * math.sqrt(1 - b2**t) / (v.sqrt() + h["eps"])
        n |= {"rect": rect, "l": math.sqrt(1 - b2**t) / (v.sqrt() + h["eps"])}
        work += "rₜ = √(({rho} − 4)·({rho} − 2)·{rho_inf}/(({rho_inf} − 4)·({rho_inf} − 2)·" \
            "{rho})) = {rect}; lₜ = √(1 − {b2}^{t})/(√{v} + {eps}) = {l}; " \
            "{p0} − {lr}·{mhat}·{rect}·{l}"
    else:
        new = p - h["lr"] * m
        work += "{rho} ≤ 5: {p0} − {lr}·{mhat}"
    return rows + [Entry("param", "ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ); ρₜ > 5: θₜ = θₜ₋₁ − γ·m̂ₜ·rₜ·lₜ, "
                                  "else θₜ = θₜ₋₁ − γ·m̂ₜ", new, work, dict(n))]


def adagrad(g, p, s, h):
    n = {"lr": h["lr"], "eps": h["eps"], "eta": h["lr_decay"]}
    t, step = _step(s, n)
    g, clause = _grad(g, p, h, n)
    total = s["sum"] + g * g
    lr = h["lr"] / (1 + (t - 1) * h["lr_decay"])
    n |= {"sum0": s["sum"], "sum": total, "clr": lr}
    return [step, Entry("sum", "state_sumₜ = state_sumₜ₋₁ + gₜ²", total,
                        clause + "{sum0} + {g}²", dict(n)),
            Entry("param", "θₜ = θₜ₋₁ − γ̃·gₜ / (√state_sumₜ + ε), γ̃ = γ/(1 + (t − 1)·η)",
                  p - lr * g / (total.sqrt() + h["eps"]),
                  "γ̃ = {lr}/(1 + ({t} − 1)·{eta}) = {clr}; {p0} − {clr}·{g}/(√{sum} + {eps})",
                  dict(n))]


def adadelta(g, p, s, h):
    n = {"lr": h["lr"], "eps": h["eps"], "rho": h["rho"]}
    _, step = _step(s, n)
    g, clause = _grad(g, p, h, n)
    rho, eps = h["rho"], h["eps"]
    u0 = s.get("acc_delta", torch.zeros_like(g))
    v = rho * s.get("square_avg", 0.0) + (1 - rho) * g * g
    delta = (u0 + eps).sqrt() / (v + eps).sqrt() * g
    u = rho * u0 + (1 - rho) * delta * delta
    n |= {"v0": s.get("square_avg", torch.zeros_like(g)), "u0": u0, "v": v, "delta": delta}
    return [step, Entry("square_avg", "vₜ = ρ·vₜ₋₁ + (1 − ρ)·gₜ²", v,
                        clause + "{rho}·{v0} + (1 − {rho})·{g}²", dict(n)),
            Entry("acc_delta", "Δxₜ = √(uₜ₋₁ + ε)/√(vₜ + ε)·gₜ; uₜ = ρ·uₜ₋₁ + (1 − ρ)·Δxₜ²", u,
                  "Δxₜ = √({u0} + {eps})/√({v} + {eps})·{g} = {delta}; "
                  "{rho}·{u0} + (1 − {rho})·{delta}²", dict(n)),
            Entry("param", "θₜ = θₜ₋₁ − γ·Δxₜ", p - h["lr"] * delta, "{p0} − {lr}·{delta}",
                  dict(n))]


def rmsprop(g, p, s, h):
    n = {"lr": h["lr"], "eps": h["eps"], "alpha": h["alpha"], "mu": h["momentum"]}
    _, step = _step(s, n)
    g, clause = _grad(g, p, h, n)
    alpha = h["alpha"]
    # Centred, ṽ = v − (gᵃᵛᵍ)² is a difference of near-equal numbers (equal when α = 0): its
    # sign, and whether the step is finite, hang on the last bit, so v, gᵃᵛᵍ and ṽ are computed
    # with torch's own fused operations (addcmul, lerp), in its order.
    n["v0"] = s.get("square_avg", torch.zeros_like(g))
    v = torch.addcmul(alpha * n["v0"], g, g, value=1 - alpha)
    n |= {"v": v, "vt": v}
    rows = [step, Entry("square_avg", "vₜ = α·vₜ₋₁ + (1 − α)·gₜ²", v,
                        clause + "{alpha}·{v0} + (1 − {alpha})·{g}²", dict(n))]
    centred = ""
    if h["centered"]:
        n["ga0"] = s.get("grad_avg", torch.zeros_like(g))
        mean = torch.lerp(n["ga0"], g, 1 - alpha)
        n["ga"] = mean
        rows.append(Entry("grad_avg", "gᵃᵛᵍₜ = α·gᵃᵛᵍₜ₋₁ + (1 − α)·gₜ; ṽₜ = vₜ − (gᵃᵛᵍₜ)²", mean,
                          "{alpha}·{ga0} + (1 − {alpha})·{g}", dict(n)))
        v = torch.addcmul(v, mean, mean, value=-1)
        n["vt"] = v
        centred = "ṽₜ = {v} − {ga}² = {vt}; "
    denom = v.sqrt() + h["eps"]
    if h["momentum"]:
        n["b0"] = s.get("momentum_buffer", torch.zeros_like(g))
        b = h["momentum"] * s.get("momentum_buffer", 0.0) + g / denom
        n["b"] = b
        rows.append(Entry("momentum_buffer", "bₜ = μ·bₜ₋₁ + gₜ/(√ṽₜ + ε)", b,
                          centred + "{mu}·{b0} + {g}/(√{vt} + {eps})", dict(n)))
        return rows + [Entry("param", "θₜ = θₜ₋₁ − γ·bₜ", p - h["lr"] * b, "{p0} − {lr}·{b}",
                             dict(n))]
    return rows + [Entry("param", "θₜ = θₜ₋₁ − γ·gₜ/(√ṽₜ + ε)", p - h["lr"] * g / denom,
                         centred + "{p0} − {lr}·{g}/(√{vt} + {eps})", dict(n))]


def rprop(g, p, s, h):
    n = {"lr": h["lr"]}
    _, step = _step(s, n)
    g, clause = _grad(g, p, h, n)
    (eta_minus, eta_plus), (low, high) = h["etas"], h["step_sizes"]
    n |= {"prev0": s.get("prev", torch.zeros_like(g)),
          "size0": s.get("step_size", torch.full_like(g, h["lr"])), "low": low, "high": high}
    sign = (g * n["prev0"]).sign()
    factor = torch.where(sign > 0, eta_plus, torch.where(sign < 0, eta_minus, 1.0))
    size = (n["size0"] * factor).clamp(low, high)
    g = torch.where(sign < 0, torch.zeros_like(g), g)
    n |= {"sign": sign, "f": factor, "size": size, "gz": g}
    return [step, Entry("step_size", "ηₜ = clamp(ηₜ₋₁·(η₊ if gₜ·gₜ₋₁ > 0, η₋ if < 0, else 1), "
                                     "Γₘᵢₙ, Γₘₐₓ)", size,
                        clause + "sign({g}·{prev0}) = {sign}: clamp({size0}·{f}, {low}, {high})",
                        dict(n)),
            Entry("prev", "gₜ₋₁ ← (gₜ·gₜ₋₁ < 0 ? 0 : gₜ)", g, "({sign} < 0 ? 0 : {g})", dict(n)),
            Entry("param", "θₜ = θₜ₋₁ − ηₜ·sign(gₜ)", p - g.sign() * size,
                  "{p0} − {size}·sign({gz})", dict(n))]


def asgd(g, p, s, h):
    n = {"lr": h["lr"], "lambd": h["lambd"], "alpha": h["alpha"], "t_0": h["t0"]}
    t, step = _step(s, n)
    g, clause = _grad(g, p, h, n)
    eta, mu = float(s.get("eta", h["lr"])), float(s.get("mu", 1.0))
    new = p * (1 - h["lambd"] * eta) - eta * g
    ax0 = s.get("ax", torch.zeros_like(p))
    ax = ax0 + (new - ax0) * mu if mu != 1 else new
    n |= {"eta0": eta, "mu0": mu, "new": new, "ax0": ax0}
    return [step, Entry("param", "θₜ = θₜ₋₁·(1 − λ·ηₜ₋₁) − ηₜ₋₁·gₜ", new,
                        clause + "{p0}·(1 − {lambd}·{eta0}) − {eta0}·{g}", dict(n)),
            Entry("ax", "axₜ = axₜ₋₁ + μₜ₋₁·(θₜ − axₜ₋₁)", ax,
                  "{ax0} + {mu0}·({new} − {ax0})" if mu != 1 else "μₜ₋₁ = 1: {new}", dict(n)),
            Entry("eta", "ηₜ = γ / (1 + λ·γ·t)^α",
                  torch.tensor(h["lr"] / ((1 + h["lambd"] * h["lr"] * t) ** h["alpha"])),
                  "{lr}/(1 + {lambd}·{lr}·{t})^{alpha}", dict(n)),
            Entry("mu", "μₜ = 1 / max(1, t − t₀)", torch.tensor(1 / max(1, t - h["t0"])),
                  "1/max(1, {t} − {t_0})", dict(n))]


def adafactor(g, p, s, h):
    """A vector parameter (a landscape's point): one second moment, not factored into rows and
    columns; the step is relative to the parameter's own size, RMS(θ)."""
    n = {"lr": h["lr"], "c": h["beta2_decay"], "d": h["d"]}
    t, step = _step(s, n)
    g, clause = _grad(g, p, h, n, decay=False)
    eps1, eps2 = h["eps"]
    eps1 = torch.finfo(p.dtype).eps if eps1 is None else eps1
    rms = (p.norm() / math.sqrt(p.numel())).item()
    alpha = max(eps2, rms) * min(h["lr"], 1 / math.sqrt(t))
    n |= {"eps1": eps1, "eps2": eps2, "rms": rms, "alpha": alpha,
          "v0": s.get("variance", torch.zeros_like(g))}
    decay = ""
    if h["weight_decay"]:
        p, decay = _decay(p, h, n)
    v = torch.lerp(n["v0"], g * g, t ** h["beta2_decay"])
    u = v.clamp(min=eps1 * eps1).rsqrt() * g
    clip = max(1.0, (u.norm() / (math.sqrt(u.numel()) * h["d"])).item())
    n |= {"v": v, "u": u, "clip": clip}
    return [step, Entry("variance", "vₜ = (1 − t^c)·vₜ₋₁ + t^c·gₜ², c = beta2_decay", v,
                        clause + "(1 − {t}^{c})·{v0} + {t}^{c}·{g}²", dict(n)),
            Entry("param", "θₜ = θₜ₋₁·(1 − γ·λ) − αₜ·uₜ/max(1, RMS(uₜ)/d), uₜ = gₜ/√max(vₜ, ε₁²), "
                           "αₜ = max(ε₂, RMS(θₜ₋₁))·min(γ, 1/√t)", p - alpha / clip * u,
                  decay + "αₜ = max({eps2}, {rms})·min({lr}, 1/√{t}) = {alpha}; "
                  "uₜ = {g}/√max({v}, {eps1}²) = {u}; {p0} − {alpha}·{u}/max(1, RMS({u})/{d})",
                  dict(n))]


def lbfgs(g, p, s, h, evaluate):
    """LBFGS's step restated after torch's own (torch.optim.lbfgs.LBFGS.step, whose strong-Wolfe
    line search it calls): up to max_iter inner iterations, each a direction d by the two-loop
    recursion over the history of steps s and gradient changes y, a step length t, a move and a
    new evaluation. The entries' numbers are those of the step's last inner iteration, where
    torch's state was written. g, the gradient before the step, is unused: the step evaluates its
    closure first."""
    lr, max_iter, max_eval = h["lr"], h["max_iter"], h["max_eval"]
    tol_grad, tol_change, history = h["tolerance_grad"], h["tolerance_change"], h["history_size"]
    func_evals, total = s.get("func_evals", 0), s.get("n_iter", 0)
    n = {"fe0": func_evals, "ni0": total, "lr": lr}
    x = p.clone()
    loss, flat = evaluate(x)
    evals, func_evals = 1, func_evals + 1
    entries = {"func_evals": Entry("func_evals", "func_evals = func_evalsₜ₋₁ + #closure()",
                                   torch.tensor(func_evals), "{fe0} + 1", dict(n))}
    if flat.abs().max() <= tol_grad:  # optimal already: torch returns before any iteration
        entries["n_iter"] = Entry("n_iter", "n_iter = n_iterₜ₋₁ (max|g| ≤ tolerance_grad)",
                                  torch.tensor(total), "{ni0}", dict(n))
        return [*entries.values(), *(Entry(key, f"{key} = {key}ₜ₋₁ (max|g| ≤ tolerance_grad)",
                                           stacked(value)) for key, value in s.items()
                                     if key not in entries),
                Entry("param", "θ = θₜ₋₁ (max|g| ≤ tolerance_grad)", x, "{p0}", {"p0": x})]
    d, t = s.get("d"), s.get("t")
    old_dirs, old_stps, ro = (list(s.get(key, [])) for key in ("old_dirs", "old_stps", "ro"))
    h_diag, prev_flat, prev_loss = s.get("H_diag"), s.get("prev_flat_grad"), s.get("prev_loss")
    al = list(s.get("al", [None] * history))
    iterations, pair, two_loop, moved, point = 0, None, None, False, x.clone()
    while iterations < max_iter:
        iterations += 1
        total += 1
        if total == 1:
            d, old_dirs, old_stps, ro, h_diag = flat.neg(), [], [], [], 1
        else:
            y, step_ = flat.sub(prev_flat), d.mul(t)
            ys = y.dot(step_)
            n["ys_last"] = ys
            if ys > 1e-10:
                if len(old_dirs) == history:
                    old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                old_dirs.append(y), old_stps.append(step_), ro.append(1.0 / ys)
                h_diag = ys / y.dot(y)
                pair = {"gk": flat.clone(), "gk1": prev_flat.clone(), "tk": t, "dk": d.clone(),
                        "y": y, "s": step_, "ys": ys, "yy": y.dot(y)}
            q = flat.neg()
            for i in range(len(old_dirs) - 1, -1, -1):
                al[i] = old_stps[i].dot(q) * ro[i]
                q.add_(old_dirs[i], alpha=-al[i])
            two_loop = {"m": len(old_dirs), "q": q.clone(), "H": h_diag}
            d = r = torch.mul(q, h_diag)
            for i in range(len(old_dirs)):
                be_i = old_dirs[i].dot(r) * ro[i]
                r.add_(old_stps[i], alpha=al[i] - be_i)
        prev_flat, prev_loss, point = flat.clone(), loss, x.clone()
        first = total == 1
        t = min(1.0, 1.0 / flat.abs().sum()) * lr if first else lr
        t_start, moved = t, False
        gtd = flat.dot(d)
        if gtd > -tol_change:
            break
        spent = 0
        if h["line_search_fn"] is not None:
            loss, flat, t, spent = _strong_wolfe(
                lambda start, length, direction: evaluate(start.clone().add_(direction,
                                                                             alpha=length)),
                x.clone(), t, d, loss, flat, gtd, max_ls=max_eval - evals)
            x.add_(d, alpha=t)
            optimal = flat.abs().max() <= tol_grad
        else:
            x.add_(d, alpha=t)
            optimal = False
            if iterations != max_iter:
                loss, flat = evaluate(x)
                optimal, spent = flat.abs().max() <= tol_grad, 1
        moved = True
        evals += spent
        func_evals += spent
        if iterations == max_iter or evals >= max_eval or optimal \
                or d.mul(t).abs().max() <= tol_change or abs(loss - prev_loss) < tol_change:
            break
    n |= {"evals": evals, "iters": iterations, "g": prev_flat, "xk": point, "t": t, "d": d,
          "t_start": t_start, "l1": prev_flat.abs().sum(), **(pair or {}),
          **({"m": two_loop["m"], "q": two_loop["q"], "H": two_loop["H"]} if two_loop else {})}
    t_work = "{t_start} → strong_wolfe" if h["line_search_fn"] is not None else \
        "min(1, 1/{l1})·{lr}" if first else "{lr}"
    entries["func_evals"] = Entry("func_evals", "func_evals = func_evalsₜ₋₁ + #closure()",
                                  torch.tensor(func_evals), "{fe0} + {evals}", dict(n))
    entries["n_iter"] = Entry("n_iter", "n_iter = n_iterₜ₋₁ + #iterations",
                              torch.tensor(total), "{ni0} + {iters}", dict(n))
    entries["d"] = Entry("d", "d = −H·g: two-loop over (sᵢ, yᵢ), i < m, H₀ = H_diag·I; "
                              "n_iter = 1: d = −g", d,
                         "m = {m}, g = {g}: q = {q}; {H}·q → two-loop" if two_loop else "−{g}",
                         dict(n))
    entries["t"] = Entry("t", "t = lr; n_iter = 1: t = min(1, 1/‖g‖₁)·lr; "
                              "strong_wolfe: t = line_search(t)", torch.as_tensor(t), t_work,
                         dict(n))
    # the history's newest pair, appended in this step; or why the step appended none
    kept = "—" if "ys_last" not in n else "yₖᵀsₖ = {ys_last} ≤ 1e-10"
    entries["old_dirs"] = Entry("old_dirs", "yₖ = gₖ − gₖ₋₁ if yₖᵀsₖ > 1e-10, the last "
                                            "history_size kept",
                                stacked(old_dirs), "{gk} − {gk1}" if pair else kept,
                                dict(n))
    entries["old_stps"] = Entry("old_stps", "sₖ = tₖ₋₁·dₖ₋₁", stacked(old_stps),
                                "{tk}·{dk}" if pair else kept, dict(n))
    entries["ro"] = Entry("ro", "ρₖ = 1/(yₖᵀsₖ)", stacked(ro),
                          "1/({y}ᵀ{s}) = 1/{ys}" if pair else kept, dict(n))
    unit = "1" if "ys_last" not in n else kept  # H_diag = 1 until a pair is kept
    entries["H_diag"] = Entry("H_diag", "H_diag = yₖᵀsₖ / yₖᵀyₖ", torch.as_tensor(h_diag),
                              "{ys}/({y}ᵀ{y}) = {ys}/{yy}" if pair else unit, dict(n))
    entries["prev_flat_grad"] = Entry("prev_flat_grad", "gₖ = g(θₖ), d = −H·gₖ",
                                      prev_flat, "g({xk})", dict(n))
    entries["prev_loss"] = Entry("prev_loss", "f(θₖ)", torch.tensor(prev_loss), "f({xk})",
                                 dict(n))
    if two_loop or "al" in s:
        m = len(old_dirs)
        n |= {"ro_last": ro[-1], "s_last": old_stps[-1], "al_last": al[m - 1]} if m else {}
        entries["al"] = Entry("al", "αᵢ = ρᵢ·sᵢᵀq, i = m − 1 … 0",
                              stacked(al[:m]),
                              "αₘ₋₁ = {ro_last}·{s_last}ᵀ(−{g}) = {al_last}" if m and two_loop
                              else "", dict(n))
    return [*entries.values(), Entry("param", "θ = θₖ + t·d", x,
                                     "{xk} + {t}·{d}" if moved else "{xk}", dict(n))]


def stacked(value) -> torch.Tensor:
    """A state entry as one tensor: a list of tensors (LBFGS's history) stacked, None left out;
    a number as a 0-d tensor."""
    if isinstance(value, list):
        kept = [torch.as_tensor(v) for v in value if v is not None]
        return torch.stack(kept) if kept else torch.zeros(0)
    return torch.as_tensor(value)
