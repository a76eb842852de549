"""Every `torch.nn.init` method that applies to a weight matrix, called with a private generator."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.nn import init

METHODS = ("normal", "uniform", "trunc_normal", "constant", "ones", "zeros", "eye", "orthogonal",
           "sparse", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")


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
            return init.sparse_(weight, spec.sparsity, spec.std, generator=g)
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


def code(spec: InitSpec, target: str) -> str:
    """The `nn.init` call that spec stands for, applied to target, as a script writes it."""
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
    return f"nn.init.{spec.method}_({target}{', ' + args if args else ''})"
