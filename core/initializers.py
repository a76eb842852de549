"""Every `torch.nn.init` method that applies to a weight matrix, called with a private generator."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch.nn import init

from core import activations
from core.bounds import Bound
from core.errors import InputError, Notice

STD = Bound("std", 0.0, 1000.0)
VALUE = Bound("value", -1000.0, 1000.0)
GAIN = Bound("gain", 0.0, 100.0)
KAIMING_A = Bound("a", 0.0, 100.0)
SPARSITY = Bound("sparsity", 0.0, 1.0)
MODES = ("fan_in", "fan_out")


@dataclass(frozen=True)
class InitSpec:
    """One initialiser and all its parameters (each method reads the ones its entry lists).
    The defaults are torch's where it has one."""

    method: str = "normal"
    mean: float = 0.0
    std: float = 1.0
    low: float = 0.0  # uniform_'s a
    high: float = 1.0  # uniform_'s b
    trunc_low: float = -2.0  # trunc_normal_'s a
    trunc_high: float = 2.0  # trunc_normal_'s b
    value: float = 0.5  # constant_'s val (torch has no default)
    gain: float = 1.0  # xavier_*, orthogonal_
    a: float = 0.0  # kaiming_*'s negative slope
    mode: str = "fan_in"
    nonlinearity: str = "leaky_relu"
    sparsity: float = 0.1


# A Param's choices: every nonlinearity calculate_gain accepts (core.activations' table).
GAIN_NAMES = ("<calculate_gain's nonlinearities>",)


@dataclass(frozen=True)
class Param:
    """One parameter of an nn.init method: the InitSpec field that holds it, the keyword torch
    takes it by, and its bound (a number) or its choices (a name)."""

    field: str
    keyword: str
    bound: Bound | None = None
    choices: tuple[str, ...] | None = None
    label: str | None = None  # locale key, where the field's own (init.<field>) would not do


MEAN, STD_PARAM = Param("mean", "mean", VALUE), Param("std", "std", STD)
GAIN_PARAM = Param("gain", "gain", GAIN)
KAIMING = (Param("a", "a", KAIMING_A, label="init.kaiming_a"),
           Param("mode", "mode", choices=MODES),
           Param("nonlinearity", "nonlinearity", choices=GAIN_NAMES))


@dataclass(frozen=True)
class Method:
    """Everything about one nn.init method but its formulas (weight_std, entry_std, ... below)."""

    params: tuple[Param, ...] = ()
    draws: bool = True  # takes a generator
    defaults: tuple[tuple[str, object], ...] = ()  # fields whose default differs from InitSpec's
    ranges: tuple[tuple[str, str], ...] = ()  # (low, high) fields that must be ordered
    nonzero: tuple[str, ...] = ()  # fields that must not be 0
    gain_from_nonlinearity: bool = False  # its gain is calculate_gain(nonlinearity, a)
    note: str | None = None  # locale key of a caption under its histogram
    # the fill and its script, where torch's own function will not do (None: nn.init.<name>_)
    fill: Callable[[InitSpec, torch.Tensor, torch.Generator], torch.Tensor] | None = None
    script: Callable[[InitSpec, str, str | None], str] | None = None

    def spec(self, name: str) -> InitSpec:
        """The method called name with its default parameters: what its controls start at."""
        return InitSpec(name, **dict(self.defaults))


def _sparse_fill(spec: InitSpec, weight: torch.Tensor, generator: torch.Generator):
    return sparse_(weight, spec.sparsity, spec.std, generator)


def _sparse_script(spec: InitSpec, target: str, generator: str | None) -> str:
    """sparse_ step for step, its randperm drawing from the same generator as its values (see
    sparse_ below). With no generator's name both draw from torch's global one, seeded as ours."""
    given = f", generator={generator}" if generator else ""
    return (f"{target}.data.normal_(0, {spec.std!r}{given})\n"
            f"for col in range({target}.shape[1]):  # nn.init.sparse_, step for step\n"
            f"    zeros = math.ceil({spec.sparsity!r} * {target}.shape[0])\n"
            f"    {target}.data[torch.randperm({target}.shape[0]{given})[:zeros], col] = 0")


METHODS: dict[str, Method] = {
    "normal": Method((MEAN, STD_PARAM)),
    "uniform": Method((Param("low", "a", VALUE), Param("high", "b", VALUE)),
                      ranges=(("low", "high"),)),
    "trunc_normal": Method((MEAN, STD_PARAM, Param("trunc_low", "a", VALUE),
                            Param("trunc_high", "b", VALUE)),
                           ranges=(("trunc_low", "trunc_high"),), nonzero=("std",)),
    "constant": Method((Param("value", "val", VALUE),), draws=False),
    "ones": Method(draws=False),
    "zeros": Method(draws=False),
    "eye": Method(draws=False),
    "orthogonal": Method((GAIN_PARAM,), note="init.orthogonal_note"),
    "sparse": Method((Param("sparsity", "sparsity", SPARSITY), STD_PARAM),
                     defaults=(("std", 0.01),), fill=_sparse_fill, script=_sparse_script),
    "xavier_uniform": Method((GAIN_PARAM,)),
    "xavier_normal": Method((GAIN_PARAM,)),
    "kaiming_uniform": Method(KAIMING, gain_from_nonlinearity=True),
    "kaiming_normal": Method(KAIMING, gain_from_nonlinearity=True),
}


def choices_of(param: Param) -> tuple[str, ...]:
    return tuple(activations.gain_names()) if param.choices == GAIN_NAMES else param.choices


def validate(spec: InitSpec, notices: list[Notice]) -> InitSpec:
    """The method's parameters clamped into their bounds (a notice each); an InputError naming
    the field for an unknown name, an empty range, or a zero the method cannot draw with."""
    if spec.method not in METHODS:
        raise InputError("error.unknown_choice", field="init", value=spec.method)
    method = METHODS[spec.method]
    changes = {}
    for param in method.params:
        value = getattr(spec, param.field)
        if param.bound is not None:
            changes[param.field] = param.bound.clamp(value, notices)
        elif value not in choices_of(param):
            raise InputError("error.unknown_choice", field=param.field, value=value)
    spec = replace(spec, **changes)
    for low, high in method.ranges:
        if not getattr(spec, low) < getattr(spec, high):
            raise InputError("error.init.empty_range", field=spec.method, low=getattr(spec, low),
                             high=getattr(spec, high))
    for name in method.nonzero:
        if getattr(spec, name) == 0:
            raise InputError("error.init.zero_std", field=spec.method)
    return spec


def _arguments(spec: InitSpec) -> dict:
    return {p.keyword: getattr(spec, p.field) for p in METHODS[spec.method].params}


def apply(spec: InitSpec, weight: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Fill weight (out_features x in_features) in place as `nn.init.<method>_` does."""
    method = METHODS[spec.method]
    if method.fill is not None:
        return method.fill(spec, weight, generator)
    drawn = {"generator": generator} if method.draws else {}
    return getattr(init, f"{spec.method}_")(weight, **_arguments(spec), **drawn)


def code(spec: InitSpec, target: str, generator: str | None = None) -> str:
    """The `nn.init` call that spec stands for, applied to target, as a script writes it
    (passing generator=<name> to the methods that draw, when a generator's name is given). It
    may span lines (sparse_); the script it goes in imports math, torch and torch.nn as nn."""
    method = METHODS[spec.method]
    if method.script is not None:
        return method.script(spec, target, generator)
    args = [f"{keyword}={value!r}" for keyword, value in _arguments(spec).items()]
    if generator and method.draws:
        args.append(f"generator={generator}")
    return f"nn.init.{spec.method}_({', '.join([target, *args])})"


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
            return activations.gain_by_name(spec.nonlinearity, spec.a) / math.sqrt(fan)
    return None


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
    if METHODS[spec.method].gain_from_nonlinearity:
        return activations.gain_by_name(spec.nonlinearity, spec.a)
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
