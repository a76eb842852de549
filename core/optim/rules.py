"""Each optimiser's update rule as torch's documentation writes it, one function per optimiser:
rule(grad, param, state, group) takes the gradient p.grad its step used, the parameter and the
state before the step, and the group's settings, and returns the entries of `state` (and the
parameter) in the order the algorithm computes them, each with its formula, and the formula's
right-hand side with this step's numbers in it (work: a template whose {name}s are values of
numbers), so that anyone can redo the sum. core.optim.inside evaluates them on a real step. A
rule reads the state before the step with torch's initial values where its first step has not
created it yet (state.get(key, initial)). No helper changes what it is given: each returns the
numbers it adds, and a rule's numbers grow as a new dict at each step of the algorithm.

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


def _gradient(grad, param, group, decay: bool = True) -> tuple[torch.Tensor, str, dict]:
    """gₜ = ±p.grad (+ λ·θₜ₋₁): the gradient the update uses, negated to maximise, with L2 weight
    decay λ added (decay, and not decoupled); the clause that shows it (empty where it is p.grad
    itself) and its numbers."""
    numbers = {"grad": grad, "p0": param}
    clause = "−{grad}" if group.get("maximize") else "{grad}"
    used = -grad if group.get("maximize") else grad
    if decay and group.get("weight_decay") and not group.get("decoupled_weight_decay"):
        used = used + group["weight_decay"] * param
        numbers["wd"] = group["weight_decay"]
        clause += " + {wd}·{p0}"
    return used, "" if clause == "{grad}" else f"gₜ = {clause} = {{g}}; ", numbers | {"g": used}


def _decoupled_decay(param, group, decoupled: bool) -> tuple[torch.Tensor, str, dict]:
    """θ' = θₜ₋₁·(1 − γ·λ): decoupled weight decay (AdamW, Adafactor, NAdam and RAdam's option),
    p shrinks before the step; p_ names the parameter before, p0 the decayed one the step starts
    from. Without it (not decoupled, or no weight decay) the parameter itself, no clause."""
    if not (decoupled and group["weight_decay"]):
        return param, "", {}
    decayed = param * (1 - group["lr"] * group["weight_decay"])
    return decayed, "θ' = {p_}·(1 − {lr}·{wd}) = {p0}; ", {
        "p_": param, "wd": group["weight_decay"], "p0": decayed}


def _step_count(state, numbers: dict) -> tuple[float, Entry, dict]:
    """t = t + 1: the step's number, its entry and the numbers with t."""
    t = float(state.get("step", 0)) + 1
    numbers = numbers | {"t0": t - 1, "t": t}
    return t, Entry("step", "t = t + 1", torch.tensor(t), "{t0} + 1", numbers), numbers


def _moments(used, state, beta1, beta2, numbers: dict,
             clause: str = "") -> tuple[list[Entry], dict]:
    """mₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ and vₜ = β₂·vₜ₋₁ + (1 − β₂)·gₜ², with torch's own operations
    (lerp, addcmul): where β₁·mₜ₋₁ and (1 − β₁)·gₜ nearly cancel, another order of rounding
    differs in the fifth digit."""
    numbers = numbers | {"b1": beta1, "b2": beta2,
                         "m0": state.get("exp_avg", torch.zeros_like(used)),
                         "v0": state.get("exp_avg_sq", torch.zeros_like(used))}
    exp_avg = torch.lerp(numbers["m0"], used, 1 - beta1)
    exp_avg_sq = torch.addcmul(beta2 * numbers["v0"], used, used, value=1 - beta2)
    numbers = numbers | {"m": exp_avg, "v": exp_avg_sq}
    return [Entry("exp_avg", "mₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ", exp_avg,
                  clause + "{b1}·{m0} + (1 − {b1})·{g}", numbers),
            Entry("exp_avg_sq", "vₜ = β₂·vₜ₋₁ + (1 − β₂)·gₜ²", exp_avg_sq,
                  "{b2}·{v0} + (1 − {b2})·{g}²", numbers)], numbers


def sgd(grad, param, state, group):
    """b₁ = g₁, bₜ = μ·bₜ₋₁ + (1 − τ)·gₜ (momentum μ, dampening τ);
    θₜ = θₜ₋₁ − γ·(nesterov ? gₜ + μ·bₜ : bₜ), or θₜ₋₁ − γ·gₜ without momentum."""
    used, clause, numbers = _gradient(grad, param, group)
    mu, tau = group["momentum"], group["dampening"]
    numbers |= {"lr": group["lr"], "mu": mu, "tau": tau}
    if not mu:
        return [Entry("param", "θₜ = θₜ₋₁ − γ·(nesterov ? gₜ + μ·bₜ : bₜ)",
                      param - group["lr"] * used, clause + "{p0} − {lr}·{g}", numbers)]
    if "momentum_buffer" not in state:
        buffer, buffer_work = used.clone(), "{g}"
    else:
        buffer, buffer_work = mu * state["momentum_buffer"] + (1 - tau) * used, \
            "{mu}·{b0} + (1 − {tau})·{g}"
        numbers = numbers | {"b0": state["momentum_buffer"]}
    numbers = numbers | {"b": buffer}
    direction, work = (used + mu * buffer, "{p0} − {lr}·({g} + {mu}·{b})") \
        if group["nesterov"] else (buffer, "{p0} − {lr}·{b}")
    return [Entry("momentum_buffer", "b₁ = g₁; bₜ = μ·bₜ₋₁ + (1 − τ)·gₜ", buffer,
                  clause + buffer_work, numbers),
            Entry("param", "θₜ = θₜ₋₁ − γ·(nesterov ? gₜ + μ·bₜ : bₜ)",
                  param - group["lr"] * direction, work, numbers)]


def adam(grad, param, state, group, decoupled: bool = False):
    """mₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ, vₜ = β₂·vₜ₋₁ + (1 − β₂)·gₜ² (amsgrad: v̂ₜᵐᵃˣ = max(v̂ₜ₋₁ᵐᵃˣ, vₜ));
    θₜ = θₜ₋₁ − γ·m̂ₜ/(√v̂ₜ + ε), m̂ₜ = mₜ/(1 − β₁ᵗ), v̂ₜ = vₜ/(1 − β₂ᵗ); with decoupled weight
    decay (AdamW) θ shrinks by γ·λ first."""
    t, step, numbers = _step_count(state, {"lr": group["lr"], "eps": group["eps"]})
    beta1, beta2 = group["betas"]
    decoupled = decoupled or bool(group.get("decoupled_weight_decay"))
    param, decay, decayed = _decoupled_decay(param, group, decoupled)
    numbers = numbers | decayed
    used, clause, given = _gradient(grad, param, group | {"decoupled_weight_decay": decoupled})
    moments, numbers = _moments(used, state, beta1, beta2, numbers | given, clause)
    rows = [step, *moments]
    exp_avg, exp_avg_sq = moments[0].value, moments[1].value
    if group["amsgrad"]:
        numbers = numbers | {"vmax0": state.get("max_exp_avg_sq", torch.zeros_like(exp_avg_sq))}
        exp_avg_sq = torch.maximum(numbers["vmax0"], exp_avg_sq)
        numbers = numbers | {"vmax": exp_avg_sq}
        rows.append(Entry("max_exp_avg_sq", "v̂ₜᵐᵃˣ = max(v̂ₜ₋₁ᵐᵃˣ, vₜ)", exp_avg_sq,
                          "max({vmax0}, {v})", numbers))
    update = (exp_avg / (1 - beta1**t)) / ((exp_avg_sq / (1 - beta2**t)).sqrt() + group["eps"])
    numbers = numbers | {"mhat": exp_avg / (1 - beta1**t), "vhat": exp_avg_sq / (1 - beta2**t),
                         "vused": exp_avg_sq}
    return rows + [Entry(
        "param", "θₜ = θₜ₋₁ − γ·m̂ₜ / (√v̂ₜ + ε), m̂ₜ = mₜ/(1 − β₁ᵗ), v̂ₜ = vₜ/(1 − β₂ᵗ)",
        param - group["lr"] * update,
        decay + "m̂ₜ = {m}/(1 − {b1}^{t}) = {mhat}; v̂ₜ = {vused}/(1 − {b2}^{t}) = "
        "{vhat}; {p0} − {lr}·{mhat}/(√{vhat} + {eps})", numbers)]


def adamw(grad, param, state, group):
    """Adam with decoupled weight decay: θ' = θₜ₋₁·(1 − γ·λ), then Adam's step from θ'."""
    return adam(grad, param, state, group, decoupled=True)


def adamax(grad, param, state, group):
    """mₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ, uₜ = max(β₂·uₜ₋₁, |gₜ| + ε);
    θₜ = θₜ₋₁ − γ·mₜ/((1 − β₁ᵗ)·uₜ)."""
    t, step, numbers = _step_count(state, {"lr": group["lr"], "eps": group["eps"]})
    beta1, beta2 = group["betas"]
    used, clause, given = _gradient(grad, param, group)
    numbers = numbers | given | {"b1": beta1, "b2": beta2,
                                 "m0": state.get("exp_avg", torch.zeros_like(used)),
                                 "u0": state.get("exp_inf", torch.zeros_like(used))}
    exp_avg = torch.lerp(numbers["m0"], used, 1 - beta1)  # as _moments
    exp_inf = torch.maximum(beta2 * numbers["u0"], used.abs() + group["eps"])
    numbers = numbers | {"m": exp_avg, "u": exp_inf}
    return [step, Entry("exp_avg", "mₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ", exp_avg,
                        clause + "{b1}·{m0} + (1 − {b1})·{g}", numbers),
            Entry("exp_inf", "uₜ = max(β₂·uₜ₋₁, |gₜ| + ε)", exp_inf,
                  "max({b2}·{u0}, |{g}| + {eps})", numbers),
            Entry("param", "θₜ = θₜ₋₁ − γ·mₜ / ((1 − β₁ᵗ)·uₜ)",
                  param - group["lr"] / (1 - beta1**t) * exp_avg / exp_inf,
                  "{p0} − {lr}·{m}/((1 − {b1}^{t})·{u})", numbers)]


def nadam(grad, param, state, group):
    """μₜ = β₁·(1 − ½·0.96^(t·ψ)), Πμ = Πμ·μₜ; Adam's moments mₜ, vₜ;
    θₜ = θₜ₋₁ − γ·(1 − μₜ)/(1 − Πμ)·gₜ/(√v̂ₜ + ε) − γ·μₜ₊₁/(1 − Πμ·μₜ₊₁)·mₜ/(√v̂ₜ + ε)."""
    t, step, numbers = _step_count(state, {"lr": group["lr"], "eps": group["eps"],
                                           "psi": group["momentum_decay"]})
    beta1, beta2 = group["betas"]
    param, decay, decayed = _decoupled_decay(param, group, group["decoupled_weight_decay"])
    numbers = numbers | decayed
    used, clause, given = _gradient(grad, param, group)
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * group["momentum_decay"]))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * group["momentum_decay"]))
    product = torch.as_tensor(state.get("mu_product", 1.0) * mu)
    numbers = numbers | given | {"b1": beta1, "mu": mu, "mu_next": mu_next,
                                 "prod0": state.get("mu_product", 1.0), "prod": product}
    moments, numbers = _moments(used, state, beta1, beta2, numbers, clause)
    exp_avg, exp_avg_sq = moments[0].value, moments[1].value
    denominator = (exp_avg_sq / (1 - beta2**t)).sqrt() + group["eps"]
    new = param - group["lr"] * (1 - mu) / (1 - product) * used / denominator \
        - group["lr"] * mu_next / (1 - product * mu_next) * exp_avg / denominator
    numbers = numbers | {"vhat": exp_avg_sq / (1 - beta2**t)}
    return [step, Entry("mu_product", "Πμ = Πμ·μₜ, μₜ = β₁·(1 − ½·0.96^(t·ψ))", product,
                        "μₜ = {b1}·(1 − 0.5·0.96^({t}·{psi})) = {mu}; {prod0}·{mu}", numbers),
            *moments, Entry(
        "param", "θₜ = θₜ₋₁ − γ·(1 − μₜ)/(1 − Πμ)·gₜ/(√v̂ₜ + ε) − γ·μₜ₊₁/(1 − Πμ·μₜ₊₁)·mₜ/(√v̂ₜ + ε)",
        new, decay + "μₜ₊₁ = {b1}·(1 − 0.5·0.96^(({t} + 1)·{psi})) = {mu_next}; "
        "v̂ₜ = {v}/(1 − {b2}^{t}) = {vhat}; {p0} − {lr}·(1 − {mu})/(1 − {prod})·{g}/(√{vhat} + "
        "{eps}) − {lr}·{mu_next}/(1 − {prod}·{mu_next})·{m}/(√{vhat} + {eps})", numbers)]


def radam(grad, param, state, group):
    """Adam's moments; ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ), ρ∞ = 2/(1 − β₂) − 1; where ρₜ > 5 (the
    variance is tractable) θₜ = θₜ₋₁ − γ·m̂ₜ·rₜ·lₜ, rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞/((ρ∞ − 4)(ρ∞ − 2)ρₜ)),
    lₜ = √(1 − β₂ᵗ)/(√vₜ + ε); else θₜ = θₜ₋₁ − γ·m̂ₜ."""
    t, step, numbers = _step_count(state, {"lr": group["lr"], "eps": group["eps"]})
    beta1, beta2 = group["betas"]
    param, decay, decayed = _decoupled_decay(param, group, group["decoupled_weight_decay"])
    numbers = numbers | decayed
    used, clause, given = _gradient(grad, param, group)
    moments, numbers = _moments(used, state, beta1, beta2, numbers | given, clause)
    corrected, exp_avg_sq = moments[0].value / (1 - beta1**t), moments[1].value
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    numbers = numbers | {"mhat": corrected, "rho_inf": rho_inf, "rho": rho}
    work = decay + "ρₜ = {rho_inf} − 2·{t}·{b2}^{t}/(1 − {b2}^{t}) = {rho}; " \
        "m̂ₜ = {m}/(1 − {b1}^{t}) = {mhat}; "
    if rho > 5:
        rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        adaptive = math.sqrt(1 - beta2**t) / (exp_avg_sq.sqrt() + group["eps"])
        new = param - group["lr"] * corrected * rect * adaptive
        numbers = numbers | {"rect": rect, "l": adaptive}
        work += "rₜ = √(({rho} − 4)·({rho} − 2)·{rho_inf}/(({rho_inf} − 4)·({rho_inf} − 2)·" \
            "{rho})) = {rect}; lₜ = √(1 − {b2}^{t})/(√{v} + {eps}) = {l}; " \
            "{p0} − {lr}·{mhat}·{rect}·{l}"
    else:
        new = param - group["lr"] * corrected
        work += "{rho} ≤ 5: {p0} − {lr}·{mhat}"
    return [step, *moments, Entry("param", "ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ); ρₜ > 5: θₜ = θₜ₋₁ − "
                                           "γ·m̂ₜ·rₜ·lₜ, else θₜ = θₜ₋₁ − γ·m̂ₜ", new, work,
                                  numbers)]


def adagrad(grad, param, state, group):
    """state_sumₜ = state_sumₜ₋₁ + gₜ²; θₜ = θₜ₋₁ − γ̃·gₜ/(√state_sumₜ + ε),
    γ̃ = γ/(1 + (t − 1)·η) (η the lr decay)."""
    t, step, numbers = _step_count(state, {"lr": group["lr"], "eps": group["eps"],
                                           "eta": group["lr_decay"]})
    used, clause, given = _gradient(grad, param, group)
    total = state["sum"] + used * used
    rate = group["lr"] / (1 + (t - 1) * group["lr_decay"])
    numbers = numbers | given | {"sum0": state["sum"], "sum": total, "clr": rate}
    return [step, Entry("sum", "state_sumₜ = state_sumₜ₋₁ + gₜ²", total,
                        clause + "{sum0} + {g}²", numbers),
            Entry("param", "θₜ = θₜ₋₁ − γ̃·gₜ / (√state_sumₜ + ε), γ̃ = γ/(1 + (t − 1)·η)",
                  param - rate * used / (total.sqrt() + group["eps"]),
                  "γ̃ = {lr}/(1 + ({t} − 1)·{eta}) = {clr}; {p0} − {clr}·{g}/(√{sum} + {eps})",
                  numbers)]


def adadelta(grad, param, state, group):
    """vₜ = ρ·vₜ₋₁ + (1 − ρ)·gₜ²; Δxₜ = √(uₜ₋₁ + ε)/√(vₜ + ε)·gₜ; uₜ = ρ·uₜ₋₁ + (1 − ρ)·Δxₜ²;
    θₜ = θₜ₋₁ − γ·Δxₜ."""
    _, step, numbers = _step_count(state, {"lr": group["lr"], "eps": group["eps"],
                                           "rho": group["rho"]})
    used, clause, given = _gradient(grad, param, group)
    rho, eps = group["rho"], group["eps"]
    delta_avg = state.get("acc_delta", torch.zeros_like(used))
    square_avg = rho * state.get("square_avg", 0.0) + (1 - rho) * used * used
    delta = (delta_avg + eps).sqrt() / (square_avg + eps).sqrt() * used
    new_delta_avg = rho * delta_avg + (1 - rho) * delta * delta
    numbers = numbers | given | {"v0": state.get("square_avg", torch.zeros_like(used)),
                                 "u0": delta_avg, "v": square_avg, "delta": delta}
    return [step, Entry("square_avg", "vₜ = ρ·vₜ₋₁ + (1 − ρ)·gₜ²", square_avg,
                        clause + "{rho}·{v0} + (1 − {rho})·{g}²", numbers),
            Entry("acc_delta", "Δxₜ = √(uₜ₋₁ + ε)/√(vₜ + ε)·gₜ; uₜ = ρ·uₜ₋₁ + (1 − ρ)·Δxₜ²",
                  new_delta_avg, "Δxₜ = √({u0} + {eps})/√({v} + {eps})·{g} = {delta}; "
                  "{rho}·{u0} + (1 − {rho})·{delta}²", numbers),
            Entry("param", "θₜ = θₜ₋₁ − γ·Δxₜ", param - group["lr"] * delta,
                  "{p0} − {lr}·{delta}", numbers)]


def rmsprop(grad, param, state, group):
    """vₜ = α·vₜ₋₁ + (1 − α)·gₜ²; centred: gᵃᵛᵍₜ = α·gᵃᵛᵍₜ₋₁ + (1 − α)·gₜ, ṽₜ = vₜ − (gᵃᵛᵍₜ)²;
    with momentum μ: bₜ = μ·bₜ₋₁ + gₜ/(√ṽₜ + ε), θₜ = θₜ₋₁ − γ·bₜ; else θₜ = θₜ₋₁ −
    γ·gₜ/(√ṽₜ + ε)."""
    _, step, numbers = _step_count(state, {"lr": group["lr"], "eps": group["eps"],
                                           "alpha": group["alpha"], "mu": group["momentum"]})
    used, clause, given = _gradient(grad, param, group)
    alpha = group["alpha"]
    # Centred, ṽ = v − (gᵃᵛᵍ)² is a difference of near-equal numbers (equal when α = 0): its
    # sign, and whether the step is finite, hang on the last bit, so v, gᵃᵛᵍ and ṽ are computed
    # with torch's own fused operations (addcmul, lerp), in its order.
    numbers = numbers | given | {"v0": state.get("square_avg", torch.zeros_like(used))}
    square_avg = torch.addcmul(alpha * numbers["v0"], used, used, value=1 - alpha)
    numbers = numbers | {"v": square_avg, "vt": square_avg}
    rows = [step, Entry("square_avg", "vₜ = α·vₜ₋₁ + (1 − α)·gₜ²", square_avg,
                        clause + "{alpha}·{v0} + (1 − {alpha})·{g}²", numbers)]
    variance, centred = square_avg, ""
    if group["centered"]:
        numbers = numbers | {"ga0": state.get("grad_avg", torch.zeros_like(used))}
        grad_avg = torch.lerp(numbers["ga0"], used, 1 - alpha)
        numbers = numbers | {"ga": grad_avg}
        rows.append(Entry("grad_avg", "gᵃᵛᵍₜ = α·gᵃᵛᵍₜ₋₁ + (1 − α)·gₜ; ṽₜ = vₜ − (gᵃᵛᵍₜ)²",
                          grad_avg, "{alpha}·{ga0} + (1 − {alpha})·{g}", numbers))
        variance = torch.addcmul(square_avg, grad_avg, grad_avg, value=-1)
        numbers = numbers | {"vt": variance}
        centred = "ṽₜ = {v} − {ga}² = {vt}; "
    denominator = variance.sqrt() + group["eps"]
    if group["momentum"]:
        numbers = numbers | {"b0": state.get("momentum_buffer", torch.zeros_like(used))}
        buffer = group["momentum"] * state.get("momentum_buffer", 0.0) + used / denominator
        numbers = numbers | {"b": buffer}
        rows.append(Entry("momentum_buffer", "bₜ = μ·bₜ₋₁ + gₜ/(√ṽₜ + ε)", buffer,
                          centred + "{mu}·{b0} + {g}/(√{vt} + {eps})", numbers))
        return rows + [Entry("param", "θₜ = θₜ₋₁ − γ·bₜ", param - group["lr"] * buffer,
                             "{p0} − {lr}·{b}", numbers)]
    return rows + [Entry("param", "θₜ = θₜ₋₁ − γ·gₜ/(√ṽₜ + ε)",
                         param - group["lr"] * used / denominator,
                         centred + "{p0} − {lr}·{g}/(√{vt} + {eps})", numbers)]


def rprop(grad, param, state, group):
    """ηₜ = clamp(ηₜ₋₁·(η₊ if gₜ·gₜ₋₁ > 0, η₋ if < 0, else 1), Γₘᵢₙ, Γₘₐₓ); where the sign
    flipped gₜ is taken as 0 (and kept as gₜ₋₁); θₜ = θₜ₋₁ − ηₜ·sign(gₜ)."""
    _, step, numbers = _step_count(state, {"lr": group["lr"]})
    used, clause, given = _gradient(grad, param, group)
    (eta_minus, eta_plus), (low, high) = group["etas"], group["step_sizes"]
    numbers = numbers | given | {
        "prev0": state.get("prev", torch.zeros_like(used)),
        "size0": state.get("step_size", torch.full_like(used, group["lr"])),
        "low": low, "high": high}
    sign = (used * numbers["prev0"]).sign()
    factor = torch.where(sign > 0, eta_plus, torch.where(sign < 0, eta_minus, 1.0))
    size = (numbers["size0"] * factor).clamp(low, high)
    kept = torch.where(sign < 0, torch.zeros_like(used), used)
    numbers = numbers | {"sign": sign, "f": factor, "size": size, "gz": kept}
    return [step, Entry("step_size", "ηₜ = clamp(ηₜ₋₁·(η₊ if gₜ·gₜ₋₁ > 0, η₋ if < 0, else 1), "
                                     "Γₘᵢₙ, Γₘₐₓ)", size,
                        clause + "sign({g}·{prev0}) = {sign}: clamp({size0}·{f}, {low}, {high})",
                        numbers),
            Entry("prev", "gₜ₋₁ ← (gₜ·gₜ₋₁ < 0 ? 0 : gₜ)", kept, "({sign} < 0 ? 0 : {g})",
                  numbers),
            Entry("param", "θₜ = θₜ₋₁ − ηₜ·sign(gₜ)", param - kept.sign() * size,
                  "{p0} − {size}·sign({gz})", numbers)]


def asgd(grad, param, state, group):
    """θₜ = θₜ₋₁·(1 − λ·ηₜ₋₁) − ηₜ₋₁·gₜ; axₜ = axₜ₋₁ + μₜ₋₁·(θₜ − axₜ₋₁);
    ηₜ = γ/(1 + λ·γ·t)^α; μₜ = 1/max(1, t − t₀)."""
    t, step, numbers = _step_count(state, {"lr": group["lr"], "lambd": group["lambd"],
                                           "alpha": group["alpha"], "t_0": group["t0"]})
    used, clause, given = _gradient(grad, param, group)
    eta, mu = float(state.get("eta", group["lr"])), float(state.get("mu", 1.0))
    new = param * (1 - group["lambd"] * eta) - eta * used
    average = state.get("ax", torch.zeros_like(param))
    new_average = average + (new - average) * mu if mu != 1 else new
    numbers = numbers | given | {"eta0": eta, "mu0": mu, "new": new, "ax0": average}
    return [step, Entry("param", "θₜ = θₜ₋₁·(1 − λ·ηₜ₋₁) − ηₜ₋₁·gₜ", new,
                        clause + "{p0}·(1 − {lambd}·{eta0}) − {eta0}·{g}", numbers),
            Entry("ax", "axₜ = axₜ₋₁ + μₜ₋₁·(θₜ − axₜ₋₁)", new_average,
                  "{ax0} + {mu0}·({new} − {ax0})" if mu != 1 else "μₜ₋₁ = 1: {new}", numbers),
            Entry("eta", "ηₜ = γ / (1 + λ·γ·t)^α",
                  torch.tensor(group["lr"] / ((1 + group["lambd"] * group["lr"] * t)
                                              ** group["alpha"])),
                  "{lr}/(1 + {lambd}·{lr}·{t})^{alpha}", numbers),
            Entry("mu", "μₜ = 1 / max(1, t − t₀)", torch.tensor(1 / max(1, t - group["t0"])),
                  "1/max(1, {t} − {t_0})", numbers)]


def adafactor(grad, param, state, group):
    """For a vector parameter (a landscape's point) one second moment, not factored into rows and
    columns: vₜ = (1 − t^c)·vₜ₋₁ + t^c·gₜ² (c = beta2_decay), uₜ = gₜ/√max(vₜ, ε₁²);
    θₜ = θₜ₋₁·(1 − γ·λ) − αₜ·uₜ/max(1, RMS(uₜ)/d), αₜ = max(ε₂, RMS(θₜ₋₁))·min(γ, 1/√t): the step
    is relative to the parameter's own size."""
    t, step, numbers = _step_count(state, {"lr": group["lr"], "c": group["beta2_decay"],
                                           "d": group["d"]})
    used, clause, given = _gradient(grad, param, group, decay=False)
    eps1, eps2 = group["eps"]
    eps1 = torch.finfo(param.dtype).eps if eps1 is None else eps1
    rms = (param.norm() / math.sqrt(param.numel())).item()
    alpha = max(eps2, rms) * min(group["lr"], 1 / math.sqrt(t))
    numbers = numbers | given | {"eps1": eps1, "eps2": eps2, "rms": rms, "alpha": alpha,
                                 "v0": state.get("variance", torch.zeros_like(used))}
    param, decay, decayed = _decoupled_decay(param, group, decoupled=True)
    numbers = numbers | decayed
    variance = torch.lerp(numbers["v0"], used * used, t ** group["beta2_decay"])
    update = variance.clamp(min=eps1 * eps1).rsqrt() * used
    clip = max(1.0, (update.norm() / (math.sqrt(update.numel()) * group["d"])).item())
    numbers = numbers | {"v": variance, "u": update, "clip": clip}
    return [step, Entry("variance", "vₜ = (1 − t^c)·vₜ₋₁ + t^c·gₜ², c = beta2_decay", variance,
                        clause + "(1 − {t}^{c})·{v0} + {t}^{c}·{g}²", numbers),
            Entry("param", "θₜ = θₜ₋₁·(1 − γ·λ) − αₜ·uₜ/max(1, RMS(uₜ)/d), uₜ = gₜ/√max(vₜ, ε₁²), "
                           "αₜ = max(ε₂, RMS(θₜ₋₁))·min(γ, 1/√t)",
                  param.add(update, alpha=-alpha / clip),  # as torch adds it: one rounding
                  decay + "αₜ = max({eps2}, {rms})·min({lr}, 1/√{t}) = {alpha}; "
                  "uₜ = {g}/√max({v}, {eps1}²) = {u}; {p0} − {alpha}·{u}/max(1, RMS({u})/{d})",
                  numbers)]


def lbfgs(grad, param, state, group, evaluate):
    """LBFGS's step restated after torch's own (torch.optim.lbfgs.LBFGS.step, whose strong-Wolfe
    line search it calls): up to max_iter inner iterations, each a direction d by the two-loop
    recursion over the history of steps s and gradient changes y, a step length t, a move and a
    new evaluation. The entries' numbers are those of the step's last inner iteration, where
    torch's state was written. grad, the gradient before the step, is unused: the step evaluates
    its closure first.

    Each iteration: d = −H·g by the two-loop recursion over the history (n_iter = 1: d = −g),
    t = lr (n_iter = 1: min(1, 1/‖g‖₁)·lr; strong_wolfe: the line search's t), θ = θ + t·d; the
    history gains yₖ = gₖ − gₖ₋₁, sₖ = tₖ₋₁·dₖ₋₁, ρₖ = 1/yₖᵀsₖ where yₖᵀsₖ > 1e-10, and
    H_diag = yₖᵀsₖ/yₖᵀyₖ."""
    lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
    tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
    history = group["history_size"]
    func_evals, total = state.get("func_evals", 0), state.get("n_iter", 0)
    numbers = {"fe0": func_evals, "ni0": total, "lr": lr}
    x = param.clone()
    loss, flat = evaluate(x)
    evals, func_evals = 1, func_evals + 1
    entries = {"func_evals": Entry("func_evals", "func_evals = func_evalsₜ₋₁ + #closure()",
                                   torch.tensor(func_evals), "{fe0} + 1", dict(numbers))}
    if flat.abs().max() <= tol_grad:  # optimal already: torch returns before any iteration
        entries["n_iter"] = Entry("n_iter", "n_iter = n_iterₜ₋₁ (max|g| ≤ tolerance_grad)",
                                  torch.tensor(total), "{ni0}", dict(numbers))
        return [*entries.values(), *(Entry(key, f"{key} = {key}ₜ₋₁ (max|g| ≤ tolerance_grad)",
                                           stacked(value)) for key, value in state.items()
                                     if key not in entries),
                Entry("param", "θ = θₜ₋₁ (max|g| ≤ tolerance_grad)", x, "{p0}", {"p0": x})]
    d, t = state.get("d"), state.get("t")
    old_dirs, old_stps, ro = (list(state.get(key, [])) for key in ("old_dirs", "old_stps", "ro"))
    h_diag, prev_flat = state.get("H_diag"), state.get("prev_flat_grad")
    prev_loss = state.get("prev_loss")
    al = list(state.get("al", [None] * history))
    iterations, pair, two_loop, moved, point = 0, None, None, False, x.clone()
    while iterations < max_iter:
        iterations += 1
        total += 1
        if total == 1:
            d, old_dirs, old_stps, ro, h_diag = flat.neg(), [], [], [], 1
        else:
            y, step_ = flat.sub(prev_flat), d.mul(t)
            ys = y.dot(step_)
            numbers["ys_last"] = ys
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
        if group["line_search_fn"] is not None:
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
    numbers |= {"evals": evals, "iters": iterations, "g": prev_flat, "xk": point, "t": t, "d": d,
          "t_start": t_start, "l1": prev_flat.abs().sum(), **(pair or {}),
          **({"m": two_loop["m"], "q": two_loop["q"], "H": two_loop["H"]} if two_loop else {})}
    t_work = "{t_start} → strong_wolfe" if group["line_search_fn"] is not None else \
        "min(1, 1/{l1})·{lr}" if first else "{lr}"
    entries["func_evals"] = Entry("func_evals", "func_evals = func_evalsₜ₋₁ + #closure()",
                                  torch.tensor(func_evals), "{fe0} + {evals}", dict(numbers))
    entries["n_iter"] = Entry("n_iter", "n_iter = n_iterₜ₋₁ + #iterations",
                              torch.tensor(total), "{ni0} + {iters}", dict(numbers))
    entries["d"] = Entry("d", "d = −H·g: two-loop over (sᵢ, yᵢ), i < m, H₀ = H_diag·I; "
                              "n_iter = 1: d = −g", d,
                         "m = {m}, g = {g}: q = {q}; {H}·q → two-loop" if two_loop else "−{g}",
                         dict(numbers))
    entries["t"] = Entry("t", "t = lr; n_iter = 1: t = min(1, 1/‖g‖₁)·lr; "
                              "strong_wolfe: t = line_search(t)", torch.as_tensor(t), t_work,
                         dict(numbers))
    # the history's newest pair, appended in this step; or why the step appended none
    kept = "—" if "ys_last" not in numbers else "yₖᵀsₖ = {ys_last} ≤ 1e-10"
    entries["old_dirs"] = Entry("old_dirs", "yₖ = gₖ − gₖ₋₁ if yₖᵀsₖ > 1e-10, the last "
                                            "history_size kept",
                                stacked(old_dirs), "{gk} − {gk1}" if pair else kept,
                                dict(numbers))
    entries["old_stps"] = Entry("old_stps", "sₖ = tₖ₋₁·dₖ₋₁", stacked(old_stps),
                                "{tk}·{dk}" if pair else kept, dict(numbers))
    entries["ro"] = Entry("ro", "ρₖ = 1/(yₖᵀsₖ)", stacked(ro),
                          "1/({y}ᵀ{s}) = 1/{ys}" if pair else kept, dict(numbers))
    unit = "1" if "ys_last" not in numbers else kept  # H_diag = 1 until a pair is kept
    entries["H_diag"] = Entry("H_diag", "H_diag = yₖᵀsₖ / yₖᵀyₖ", torch.as_tensor(h_diag),
                              "{ys}/({y}ᵀ{y}) = {ys}/{yy}" if pair else unit, dict(numbers))
    entries["prev_flat_grad"] = Entry("prev_flat_grad", "gₖ = g(θₖ), d = −H·gₖ",
                                      prev_flat, "g({xk})", dict(numbers))
    entries["prev_loss"] = Entry("prev_loss", "f(θₖ)", torch.tensor(prev_loss), "f({xk})",
                                 dict(numbers))
    if two_loop or "al" in state:
        m = len(old_dirs)
        numbers |= {"ro_last": ro[-1], "s_last": old_stps[-1], "al_last": al[m - 1]} if m else {}
        entries["al"] = Entry("al", "αᵢ = ρᵢ·sᵢᵀq, i = m − 1 … 0",
                              stacked(al[:m]),
                              "αₘ₋₁ = {ro_last}·{s_last}ᵀ(−{g}) = {al_last}" if m and two_loop
                              else "", dict(numbers))
    return [*entries.values(), Entry("param", "θ = θₖ + t·d", x,
                                     "{xk} + {t}·{d}" if moved else "{xk}", dict(numbers))]


def stacked(value) -> torch.Tensor:
    """A state entry as one tensor: a list of tensors (LBFGS's history) stacked, None left out;
    a number as a 0-d tensor."""
    if isinstance(value, list):
        kept = [torch.as_tensor(v) for v in value if v is not None]
        return torch.stack(kept) if kept else torch.zeros(0)
    return torch.as_tensor(value)
