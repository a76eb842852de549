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
from core.settings import setting, settings_of

MODES = ("fan_in", "fan_out")
VALUE = {"low": -1000.0, "high": 1000.0}  # a mean, a bound of uniform_ or trunc_normal_, a constant


@dataclass(frozen=True)
class InitSpec:
    """One initialiser and all its parameters (each method reads the ones its entry lists).
    The defaults are torch's where it has one."""

    method: str = "normal"
    mean: float = setting(0.0, **VALUE)
    std: float = setting(1.0, low=0.0, high=1000.0)
    low: float = setting(0.0, **VALUE)  # uniform_'s a
    high: float = setting(1.0, **VALUE)  # uniform_'s b
    trunc_low: float = setting(-2.0, **VALUE)  # trunc_normal_'s a
    trunc_high: float = setting(2.0, **VALUE)  # trunc_normal_'s b
    value: float = setting(0.5, **VALUE)  # constant_'s val (torch has no default)
    gain: float = setting(1.0, low=0.0, high=100.0)  # xavier_*, orthogonal_
    a: float = setting(0.0, low=0.0, high=100.0)  # kaiming_*'s negative slope
    mode: str = "fan_in"
    nonlinearity: str = "leaky_relu"
    sparsity: float = setting(0.1, low=0.0, high=1.0)


SPEC_SETTINGS = settings_of(InitSpec)


# A Param's choices: every nonlinearity calculate_gain accepts (core.activations' table).
GAIN_NAMES = ("<calculate_gain's nonlinearities>",)


@dataclass(frozen=True)
class Param:
    """One parameter of an nn.init method: the InitSpec field that holds it, the keyword torch
    takes it by, and its choices (a name; a number's bound is its InitSpec setting's)."""

    field: str
    keyword: str
    choices: tuple[str, ...] | None = None
    label: str | None = None  # locale key, where the field's own (init.<field>) would not do

    @property
    def bound(self) -> Bound | None:
        """A number's bound, declared on its InitSpec field (None for a name)."""
        setting = SPEC_SETTINGS.get(self.field)
        return None if setting is None else setting.bound


MEAN, STD_PARAM = Param("mean", "mean"), Param("std", "std")
GAIN_PARAM = Param("gain", "gain")
KAIMING = (Param("a", "a", label="init.kaiming_a"),
           Param("mode", "mode", choices=MODES),
           Param("nonlinearity", "nonlinearity", choices=GAIN_NAMES))


# ---- A method's formulas, by kind of distribution ------------------------------------------
# Each takes (spec, fan_in, fan_out) for a (fan_out, fan_in) weight, as nn.Linear holds it.

def _phi(z: float) -> float:
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _big_phi(z: float) -> float:
    return (1 + math.erf(z / math.sqrt(2))) / 2


def normal_cdf(mean: float, std: float, value: float) -> float:
    return float(value >= mean) if std == 0 else _big_phi((value - mean) / std)


def _fan(spec: InitSpec, fan_in: int, fan_out: int) -> int:
    return fan_in if spec.mode == "fan_in" else fan_out


def _xavier_std(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    return spec.gain * math.sqrt(2.0 / (fan_in + fan_out))


def _kaiming_std(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    return activations.gain_by_name(spec.nonlinearity, spec.a) / math.sqrt(
        _fan(spec, fan_in, fan_out))


def _symmetric(std: Callable) -> Callable:
    """The bounds of a zero-mean uniform with that std: ±√3·std."""
    def bound(spec: InitSpec, fan_in: int, fan_out: int) -> tuple[float, float]:
        half = math.sqrt(3) * std(spec, fan_in, fan_out)
        return -half, half
    return bound


def _truncation(spec: InitSpec) -> tuple[float, float, float]:
    alpha, beta = ((v - spec.mean) / spec.std for v in (spec.trunc_low, spec.trunc_high))
    return alpha, beta, _big_phi(beta) - _big_phi(alpha)


def _trunc_mean(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    alpha, beta, z = _truncation(spec)
    return spec.mean + spec.std * (_phi(alpha) - _phi(beta)) / z


def _trunc_std(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    alpha, beta, z = _truncation(spec)
    spread = (alpha * _phi(alpha) - beta * _phi(beta)) / z
    shift = (_phi(alpha) - _phi(beta)) / z
    return spec.std * math.sqrt(max(1 + spread - shift**2, 0.0))


def _trunc_cdf(spec: InitSpec, fan_in: int, fan_out: int, value: float) -> float:
    alpha, beta, z = _truncation(spec)
    xi = min(max((value - spec.mean) / spec.std, alpha), beta)
    return (_big_phi(xi) - _big_phi(alpha)) / z


def _eye_fraction(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    return min(fan_in, fan_out) / (fan_in * fan_out)


def _eye_std(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    p = _eye_fraction(spec, fan_in, fan_out)
    return math.sqrt(p * (1 - p))


def _eye_cdf(spec: InitSpec, fan_in: int, fan_out: int, value: float) -> float:
    p = _eye_fraction(spec, fan_in, fan_out)
    return (1 - p) * (value >= 0) + p * (value >= 1)


def _sparse_kept(spec: InitSpec, fan_out: int) -> float:
    """The fraction of entries sparse_ leaves non-zero: all but ceil(sparsity * rows) per column."""
    return 1 - math.ceil(spec.sparsity * fan_out) / fan_out


def _sparse_cdf(spec: InitSpec, fan_in: int, fan_out: int, value: float) -> float:
    kept = _sparse_kept(spec, fan_out)
    return (1 - kept) * (value >= 0) + kept * normal_cdf(0.0, spec.std, value)


def _zero(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    return 0.0


@dataclass(frozen=True)
class Method:
    """Everything about one nn.init method: its parameters, how it draws, its code and its
    formulas (each of (spec, fan_in, fan_out) for a (fan_out, fan_in) weight)."""

    params: tuple[Param, ...] = ()
    # the std the variance argument uses (None where it has none: eye, orthogonal, sparse, ...)
    weight_std: Callable[[InitSpec, int, int], float] | None = None
    # the mean and std of its entries, and P(entry <= value); a normal of mean and std unless
    # the method says otherwise
    entry_mean: Callable[[InitSpec, int, int], float] = _zero
    entry_std: Callable[[InitSpec, int, int], float] | None = None  # None: weight_std
    cdf: Callable[[InitSpec, int, int, float], float] | None = None
    bound: Callable[[InitSpec, int, int], tuple[float, float]] | None = None  # where it draws
    draws: bool = True  # takes a generator
    defaults: tuple[tuple[str, object], ...] = ()  # fields whose default differs from InitSpec's
    ranges: tuple[tuple[str, str], ...] = ()  # (low, high) fields that must be ordered
    nonzero: tuple[str, ...] = ()  # fields that must not be 0
    gain_from_nonlinearity: bool = False  # its gain is calculate_gain(nonlinearity, a)
    note: str | None = None  # locale key of a caption under its histogram
    # the fill and its script, where torch's own function will not do (None: nn.init.<name>_)
    fill: Callable[[InitSpec, torch.Tensor, torch.Generator], torch.Tensor] | None = None
    script: Callable[[InitSpec, str, str | None], str] | None = None
    # The standard fill this method's is a multiple of, bitwise, from the same generator state
    # ("normal": normal_(0, 1), as torch's normal_ computes 0 + s·z; "orthogonal": orthogonal_
    # with gain 1, which torch multiplies by the gain last), and the factor (None: not here).
    # core.network keeps one standard fill for every std and gain.
    standard: str | None = None
    standard_scale: Callable[[InitSpec, int, int], float | None] | None = None

    def spec(self, name: str) -> InitSpec:
        """The method called name with its default parameters: what its controls start at."""
        return InitSpec(name, **dict(self.defaults))


def _constant(of: Callable[[InitSpec], float]) -> dict:
    """The formulas of a method that fills every entry with of(spec)."""
    return {"entry_mean": lambda spec, fi, fo: of(spec), "entry_std": _zero,
            "cdf": lambda spec, fi, fo, value: float(value >= of(spec)), "draws": False}


def _uniform_cdf(spec: InitSpec, fan_in: int, fan_out: int, value: float) -> float:
    low, high = METHODS[spec.method].bound(spec, fan_in, fan_out)
    return min(max((value - low) / (high - low), 0.0), 1.0) if high > low else float(value >= low)


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
    "normal": Method((MEAN, STD_PARAM), weight_std=lambda spec, fi, fo: spec.std,
                     entry_mean=lambda spec, fi, fo: spec.mean,
                     standard="normal",
                     standard_scale=lambda spec, fi, fo: None if spec.mean else spec.std),
    "uniform": Method((Param("low", "a"), Param("high", "b")),
                      weight_std=lambda spec, fi, fo: (spec.high - spec.low) / math.sqrt(12),
                      entry_mean=lambda spec, fi, fo: (spec.low + spec.high) / 2,
                      bound=lambda spec, fi, fo: (spec.low, spec.high), cdf=_uniform_cdf,
                      ranges=(("low", "high"),)),
    "trunc_normal": Method((MEAN, STD_PARAM, Param("trunc_low", "a"),
                            Param("trunc_high", "b")),
                           entry_mean=_trunc_mean, entry_std=_trunc_std, cdf=_trunc_cdf,
                           bound=lambda spec, fi, fo: (spec.trunc_low, spec.trunc_high),
                           ranges=(("trunc_low", "trunc_high"),), nonzero=("std",)),
    "constant": Method((Param("value", "val"),), **_constant(lambda spec: spec.value)),
    "ones": Method(**_constant(lambda spec: 1.0)),
    "zeros": Method(**_constant(lambda spec: 0.0)),
    "eye": Method(entry_mean=_eye_fraction, entry_std=_eye_std, cdf=_eye_cdf, draws=False),
    # an orthogonal matrix's root mean square is exactly gain/sqrt(max(fans)); its entries are
    # approximately normal for large fans
    "orthogonal": Method((GAIN_PARAM,), note="init.orthogonal_note", standard="orthogonal",
                         standard_scale=lambda spec, fi, fo: spec.gain,
                         entry_std=lambda spec, fi, fo: spec.gain / math.sqrt(max(fi, fo))),
    "sparse": Method((Param("sparsity", "sparsity"), STD_PARAM),
                     entry_std=lambda spec, fi, fo: spec.std * math.sqrt(_sparse_kept(spec, fo)),
                     cdf=_sparse_cdf, defaults=(("std", 0.01),), fill=_sparse_fill,
                     script=_sparse_script),
    "xavier_uniform": Method((GAIN_PARAM,), weight_std=_xavier_std,
                             bound=_symmetric(_xavier_std), cdf=_uniform_cdf),
    "xavier_normal": Method((GAIN_PARAM,), weight_std=_xavier_std,
                            standard="normal", standard_scale=_xavier_std),
    "kaiming_uniform": Method(KAIMING, weight_std=_kaiming_std, bound=_symmetric(_kaiming_std),
                              cdf=_uniform_cdf, gain_from_nonlinearity=True),
    "kaiming_normal": Method(KAIMING, weight_std=_kaiming_std, gain_from_nonlinearity=True,
                             standard="normal", standard_scale=_kaiming_std),
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
    formula = METHODS[spec.method].weight_std
    return None if formula is None else formula(spec, fan_in, fan_out)


def standard_fill(spec: InitSpec, fan_in: int, fan_out: int) -> tuple[str, float] | None:
    """(standard, s) where the method's fill is bitwise s times that standard fill (Method)."""
    method = METHODS[spec.method]
    scale = None if method.standard is None else method.standard_scale(spec, fan_in, fan_out)
    return None if scale is None else (method.standard, scale)


def bound(spec: InitSpec, fan_in: int, fan_out: int) -> tuple[float, float] | None:
    """The interval a uniform method draws from (or trunc_normal_ cuts to); None otherwise."""
    formula = METHODS[spec.method].bound
    return None if formula is None else formula(spec, fan_in, fan_out)


def entry_mean(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    """The expected mean of the entries of a (fan_out, fan_in) weight the method fills."""
    return METHODS[spec.method].entry_mean(spec, fan_in, fan_out)


def entry_std(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    """The std of the entries of a (fan_out, fan_in) weight the method fills, by its formula:
    weight_std where the variance argument has one, the distribution's own std otherwise."""
    formula = METHODS[spec.method].entry_std or METHODS[spec.method].weight_std
    return formula(spec, fan_in, fan_out)


def cdf(spec: InitSpec, fan_in: int, fan_out: int, value: float) -> float:
    """P(entry <= value) for the method's distribution: exact for every method but orthogonal,
    whose entries are approximately normal with its std for large fans."""
    formula = METHODS[spec.method].cdf
    if formula is not None:
        return formula(spec, fan_in, fan_out, value)
    return normal_cdf(entry_mean(spec, fan_in, fan_out), entry_std(spec, fan_in, fan_out), value)


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
