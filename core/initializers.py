"""Every `torch.nn.init` method that applies to a weight matrix, called with a private generator."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.nn import init

METHODS = ("normal", "uniform", "trunc_normal", "constant", "ones", "zeros", "eye", "orthogonal",
           "sparse", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")
DETERMINISTIC = ("constant", "ones", "zeros", "eye")  # the methods that draw nothing


@dataclass(frozen=True)
class InitSpec:
    """One initialiser and all its parameters (each method reads the ones it takes)."""

    method: str = "normal"
    mean: float = 0.0
    std: float = 1.0
    low: float = -1.0  # uniform_'s a
    high: float = 1.0  # uniform_'s b
    trunc_low: float = -2.0  # trunc_normal_'s a
    trunc_high: float = 2.0  # trunc_normal_'s b
    value: float = 0.0  # constant_'s val
    gain: float = 1.0  # xavier_*, orthogonal_
    a: float = 0.0  # kaiming_*'s negative slope
    mode: str = "fan_in"
    nonlinearity: str = "leaky_relu"
    sparsity: float = 0.1


def apply(spec: InitSpec, weight: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Fill weight (out_features x in_features) in place as `nn.init.<method>_` does."""
    g = generator
    match spec.method:
        case "normal":
            return init.normal_(weight, spec.mean, spec.std, generator=g)
        case "uniform":
            return init.uniform_(weight, spec.low, spec.high, generator=g)
        case "trunc_normal":
            return init.trunc_normal_(weight, spec.mean, spec.std, spec.trunc_low, spec.trunc_high,
                                      generator=g)
        case "constant":
            return init.constant_(weight, spec.value)
        case "ones":
            return init.ones_(weight)
        case "zeros":
            return init.zeros_(weight)
        case "eye":
            return init.eye_(weight)
        case "orthogonal":
            return init.orthogonal_(weight, spec.gain, generator=g)
        case "sparse":
            return sparse_(weight, spec.sparsity, spec.std, g)
        case "xavier_uniform":
            return init.xavier_uniform_(weight, spec.gain, generator=g)
        case "xavier_normal":
            return init.xavier_normal_(weight, spec.gain, generator=g)
        case "kaiming_uniform":
            return init.kaiming_uniform_(weight, spec.a, spec.mode, spec.nonlinearity, generator=g)
        case "kaiming_normal":
            return init.kaiming_normal_(weight, spec.a, spec.mode, spec.nonlinearity, generator=g)
    raise ValueError(f"unknown init method {spec.method!r}")


def weight_std(spec: InitSpec, fan_in: int, fan_out: int) -> float | None:
    """The standard deviation the method aims for (its formula), or None where it has none that
    the variance argument can use (eye, orthogonal, sparse, trunc_normal with a cut)."""
    match spec.method:
        case "normal":
            return spec.std
        case "uniform":
            return (spec.high - spec.low) / math.sqrt(12)
        case "xavier_uniform" | "xavier_normal":
            return spec.gain * math.sqrt(2.0 / (fan_in + fan_out))
        case "kaiming_uniform" | "kaiming_normal":
            fan = fan_in if spec.mode == "fan_in" else fan_out
            param = spec.a if spec.nonlinearity == "leaky_relu" else None
            return init.calculate_gain(spec.nonlinearity, param) / math.sqrt(fan)
    return None


def code(spec: InitSpec, target: str, generator: str | None = None) -> str:
    """The `nn.init` call that spec stands for, applied to target, as a script writes it
    (passing generator=<name> to the methods that draw, when a generator's name is given)."""
    args = {
        "normal": f"mean={spec.mean!r}, std={spec.std!r}",
        "uniform": f"a={spec.low!r}, b={spec.high!r}",
        "trunc_normal": f"mean={spec.mean!r}, std={spec.std!r}, a={spec.trunc_low!r}, "
                        f"b={spec.trunc_high!r}",
        "constant": f"val={spec.value!r}",
        "ones": "", "zeros": "", "eye": "",
        "orthogonal": f"gain={spec.gain!r}",
        "sparse": f"sparsity={spec.sparsity!r}, std={spec.std!r}",
        "xavier_uniform": f"gain={spec.gain!r}",
        "xavier_normal": f"gain={spec.gain!r}",
        "kaiming_uniform": f"a={spec.a!r}, mode={spec.mode!r}, nonlinearity={spec.nonlinearity!r}",
        "kaiming_normal": f"a={spec.a!r}, mode={spec.mode!r}, nonlinearity={spec.nonlinearity!r}",
    }[spec.method]
    if generator and spec.method not in DETERMINISTIC:
        args += f"{', ' if args else ''}generator={generator}"
    return f"nn.init.{spec.method}_({target}{', ' + args if args else ''})"


def sparse_(weight: torch.Tensor, sparsity: float, std: float,
            generator: torch.Generator) -> torch.Tensor:
    """`nn.init.sparse_`, step for step, except that its per-column `torch.randperm` also takes
    the private generator (torch 2.13's sparse_ draws those from the global one)."""
    rows, cols = weight.shape
    num_zeros = math.ceil(sparsity * rows)
    with torch.no_grad():
        weight.normal_(0, std, generator=generator)
        for col in range(cols):
            weight[torch.randperm(rows, generator=generator)[:num_zeros], col] = 0
    return weight


def gain_of(spec: InitSpec) -> float:
    """The gain the method multiplies by: its gain argument, or for kaiming_* calculate_gain of
    its nonlinearity (with a as the leaky slope)."""
    if spec.method.startswith("kaiming"):
        param = spec.a if spec.nonlinearity == "leaky_relu" else None
        return init.calculate_gain(spec.nonlinearity, param)
    return spec.gain


def bound(spec: InitSpec, fan_in: int, fan_out: int) -> tuple[float, float] | None:
    """The interval a uniform method draws from (or trunc_normal_ cuts to); None otherwise."""
    match spec.method:
        case "uniform":
            return spec.low, spec.high
        case "trunc_normal":
            return spec.trunc_low, spec.trunc_high
        case "xavier_uniform" | "kaiming_uniform":
            half = math.sqrt(3) * weight_std(spec, fan_in, fan_out)
            return -half, half
    return None


def _phi(z: float) -> float:
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _big_phi(z: float) -> float:
    return (1 + math.erf(z / math.sqrt(2))) / 2


def _truncation(spec: InitSpec) -> tuple[float, float, float]:
    alpha, beta = ((v - spec.mean) / spec.std for v in (spec.trunc_low, spec.trunc_high))
    return alpha, beta, _big_phi(beta) - _big_phi(alpha)


def _eye_fraction(fan_in: int, fan_out: int) -> float:
    return min(fan_in, fan_out) / (fan_in * fan_out)


def _sparse_kept(spec: InitSpec, fan_out: int) -> float:
    """The fraction of entries sparse_ leaves non-zero: all but ceil(sparsity * rows) per column."""
    return 1 - math.ceil(spec.sparsity * fan_out) / fan_out


def entry_mean(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    """The expected mean of the entries of a (fan_out, fan_in) weight the method fills."""
    match spec.method:
        case "normal":
            return spec.mean
        case "uniform":
            return (spec.low + spec.high) / 2
        case "trunc_normal":
            alpha, beta, z = _truncation(spec)
            return spec.mean + spec.std * (_phi(alpha) - _phi(beta)) / z
        case "constant":
            return spec.value
        case "ones":
            return 1.0
        case "eye":
            return _eye_fraction(fan_in, fan_out)
    return 0.0


def entry_std(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    """The std of the entries of a (fan_out, fan_in) weight the method fills, by its formula:
    weight_std where the variance argument has one, and the distribution's own std otherwise
    (orthogonal: its root mean square gain/sqrt(max(fan_in, fan_out)), exact; eye: the std of
    min(fan_in, fan_out) ones among fan_in * fan_out entries, exact)."""
    match spec.method:
        case "trunc_normal":
            alpha, beta, z = _truncation(spec)
            spread = (alpha * _phi(alpha) - beta * _phi(beta)) / z
            shift = (_phi(alpha) - _phi(beta)) / z
            return spec.std * math.sqrt(max(1 + spread - shift**2, 0.0))
        case "constant" | "ones" | "zeros":
            return 0.0
        case "eye":
            p = _eye_fraction(fan_in, fan_out)
            return math.sqrt(p * (1 - p))
        case "orthogonal":
            return spec.gain / math.sqrt(max(fan_in, fan_out))
        case "sparse":
            return spec.std * math.sqrt(_sparse_kept(spec, fan_out))
    return weight_std(spec, fan_in, fan_out)


def cdf(spec: InitSpec, fan_in: int, fan_out: int, value: float) -> float:
    """P(entry <= value) for the method's distribution: exact for every method but orthogonal,
    whose entries are approximately normal with its std for large fans."""
    def normal(mean: float, std: float) -> float:
        if std == 0:
            return float(value >= mean)
        return _big_phi((value - mean) / std)

    match spec.method:
        case "normal":
            return normal(spec.mean, spec.std)
        case "trunc_normal":
            alpha, beta, z = _truncation(spec)
            xi = min(max((value - spec.mean) / spec.std, alpha), beta)
            return (_big_phi(xi) - _big_phi(alpha)) / z
        case "constant" | "ones" | "zeros":
            return float(value >= entry_mean(spec, fan_in, fan_out))
        case "eye":
            p = _eye_fraction(fan_in, fan_out)
            return (1 - p) * (value >= 0) + p * (value >= 1)
        case "sparse":
            kept = _sparse_kept(spec, fan_out)
            return (1 - kept) * (value >= 0) + kept * normal(0.0, spec.std)
        case "orthogonal" | "xavier_normal" | "kaiming_normal":
            return normal(0.0, entry_std(spec, fan_in, fan_out))
    low, high = bound(spec, fan_in, fan_out)
    return min(max((value - low) / (high - low), 0.0), 1.0) if high > low else float(value >= low)
