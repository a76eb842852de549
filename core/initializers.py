"""Every `torch.nn.init` method that applies to a weight matrix, called with a private generator."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch.nn import init

from core import activations
from core.bounds import Bound
from core.errors import InputError, Notice
from core.settings import Setting, setting, settings_of

MODES = ("fan_in", "fan_out")
VALUE = {"low": -1000.0, "high": 1000.0}  # a mean, a bound of uniform_ or trunc_normal_, a constant
DIRAC_KERNEL = 3  # dirac_ fills a convolution's weight: here nn.Conv1d(fan_in, fan_out, 3)'s


@dataclass(frozen=True)
class Param:
    """One parameter of an nn.init method: the InitSpec field that holds it (whose setting says
    its bound or its choices) and the keyword torch takes it by."""

    field: str
    keyword: str
    label: str | None = None  # locale key, where the field's own (init.<field>) would not do

    @property
    def setting(self) -> Setting:
        return SPEC_SETTINGS[self.field]

    @property
    def bound(self) -> Bound | None:
        """A number's bound, declared on its InitSpec field (None for a name)."""
        return self.setting.bound

    @property
    def choices(self) -> tuple | None:
        """A name's choices, declared on its InitSpec field (None for a number)."""
        return tuple(self.setting.choices) if self.setting.kind == "choice" else None


MEAN, STD_PARAM = Param("mean", "mean"), Param("std", "std")
GAIN_PARAM = Param("gain", "gain")
KAIMING = (Param("a", "a", label="init.kaiming_a"), Param("mode", "mode"),
           Param("nonlinearity", "nonlinearity"))


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


def _half_width(std: Callable) -> Callable:
    """The half-width of a zero-mean uniform with that std, √3·std, as torch computes it."""
    return lambda spec, fan_in, fan_out: math.sqrt(3.0) * std(spec, fan_in, fan_out)


def _symmetric(std: Callable) -> Callable:
    """The bounds of a zero-mean uniform with that std: ±√3·std."""
    def bound(spec: InitSpec, fan_in: int, fan_out: int) -> tuple[float, float]:
        half = _half_width(std)(spec, fan_in, fan_out)
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


def dirac_ones(spec: InitSpec, fan_in: int, fan_out: int) -> int:
    """How many ones dirac_ puts in a (fan_out, fan_in, k) weight: in each of its groups, one per
    output channel up to the input channels (the rest of the weight is 0)."""
    return spec.groups * min(fan_out // spec.groups, fan_in)


def _dirac_fraction(spec: InitSpec, fan_in: int, fan_out: int) -> float:
    return dirac_ones(spec, fan_in, fan_out) / (fan_in * fan_out * DIRAC_KERNEL)


def _ones_among_zeros(fraction: Callable[[InitSpec, int, int], float]) -> dict:
    """The formulas of a weight of ones (the share fraction gives) among zeros."""
    def std(spec: InitSpec, fan_in: int, fan_out: int) -> float:
        p = fraction(spec, fan_in, fan_out)
        return math.sqrt(p * (1 - p))

    def cdf(spec: InitSpec, fan_in: int, fan_out: int, value: float) -> float:
        p = fraction(spec, fan_in, fan_out)
        return (1 - p) * (value >= 0) + p * (value >= 1)

    return {"entry_mean": fraction, "entry_std": std, "cdf": cdf, "draws": False}


def _groups_divide_the_outputs(spec: InitSpec, fan_in: int, fan_out: int) -> InputError | None:
    if fan_out % spec.groups:
        return InputError("error.init.groups", field="init.groups", groups=spec.groups,
                          out=fan_out)
    return None


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
    # The standard fill the method's fill is a map of, bitwise, from the same generator state,
    # and the map's parameter (None: not here). "normal": normal_(0, 1), times the std (torch's
    # normal_ computes 0 + s·z); "orthogonal": orthogonal_ with gain 1, times the gain (torch
    # multiplies by it last); "uniform": uniform_(0, 1)'s u, mapped to uniform_(-h, h) as torch
    # maps it (uniform_map), the parameter h. core.network keeps one standard fill for every std,
    # gain and bound.
    standard: str | None = None
    standard_param: Callable[[InitSpec, int, int], float | None] | None = None
    # the weight it fills: nn.Linear(fan_in, fan_out)'s (fan_out, fan_in), or with a kernel size
    # nn.Conv1d(fan_in, fan_out, kernel)'s (fan_out, fan_in, kernel); and what that shape must
    # satisfy (an InputError naming the rule, or None)
    kernel: int | None = None
    fits: Callable[[InitSpec, int, int], InputError | None] | None = None

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


METHODS: dict[str, Method] = {  # InitSpec's method is one of its keys
    "normal": Method((MEAN, STD_PARAM), weight_std=lambda spec, fi, fo: spec.std,
                     entry_mean=lambda spec, fi, fo: spec.mean,
                     standard="normal",
                     standard_param=lambda spec, fi, fo: None if spec.mean else spec.std),
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
    "eye": Method(**_ones_among_zeros(_eye_fraction)),
    "dirac": Method((Param("groups", "groups"),), kernel=DIRAC_KERNEL,
                    fits=_groups_divide_the_outputs, note="init.dirac_note",
                    **_ones_among_zeros(_dirac_fraction)),
    # an orthogonal matrix's root mean square is exactly gain/sqrt(max(fans)); its entries are
    # approximately normal for large fans
    "orthogonal": Method((GAIN_PARAM,), note="init.orthogonal_note", standard="orthogonal",
                         standard_param=lambda spec, fi, fo: spec.gain,
                         entry_std=lambda spec, fi, fo: spec.gain / math.sqrt(max(fi, fo))),
    "sparse": Method((Param("sparsity", "sparsity"), STD_PARAM),
                     entry_std=lambda spec, fi, fo: spec.std * math.sqrt(_sparse_kept(spec, fo)),
                     cdf=_sparse_cdf, defaults=(("std", 0.01),), fill=_sparse_fill,
                     script=_sparse_script),
    "xavier_uniform": Method((GAIN_PARAM,), weight_std=_xavier_std,
                             bound=_symmetric(_xavier_std), cdf=_uniform_cdf,
                             standard="uniform", standard_param=_half_width(_xavier_std)),
    "xavier_normal": Method((GAIN_PARAM,), weight_std=_xavier_std,
                            standard="normal", standard_param=_xavier_std),
    "kaiming_uniform": Method(KAIMING, weight_std=_kaiming_std, bound=_symmetric(_kaiming_std),
                              cdf=_uniform_cdf, gain_from_nonlinearity=True,
                              standard="uniform", standard_param=_half_width(_kaiming_std)),
    "kaiming_normal": Method(KAIMING, weight_std=_kaiming_std, gain_from_nonlinearity=True,
                             standard="normal", standard_param=_kaiming_std),
}


@dataclass(frozen=True)
class InitSpec:
    """One initialiser and all its parameters (each method reads the ones its entry lists).
    The defaults are torch's where it has one."""

    method: str = setting("normal", choices=METHODS.keys())
    mean: float = setting(0.0, **VALUE)
    std: float = setting(1.0, low=0.0, high=1000.0)
    low: float = setting(0.0, **VALUE)  # uniform_'s a
    high: float = setting(1.0, **VALUE)  # uniform_'s b
    trunc_low: float = setting(-2.0, **VALUE)  # trunc_normal_'s a
    trunc_high: float = setting(2.0, **VALUE)  # trunc_normal_'s b
    value: float = setting(0.5, **VALUE)  # constant_'s val (torch has no default)
    gain: float = setting(1.0, low=0.0, high=100.0)  # xavier_*, orthogonal_
    a: float = setting(0.0, low=0.0, high=100.0)  # kaiming_*'s negative slope
    mode: str = setting("fan_in", choices=MODES)
    nonlinearity: str = setting("leaky_relu", choices=activations.GAIN_NAMES)
    sparsity: float = setting(0.1, low=0.0, high=1.0)
    groups: int = setting(1, low=1, high=1024, step=1)  # dirac_'s


SPEC_SETTINGS = settings_of(InitSpec)


def validate(spec: InitSpec, notices: list[Notice]) -> InitSpec:
    """The method's parameters parsed by their settings (clamped into their bounds, a notice
    each); an InputError naming the field for an unknown name, an empty range, or a zero the
    method cannot draw with."""
    method = METHODS[SPEC_SETTINGS["method"].parse(spec.method, notices, "init.method")]
    spec = replace(spec, **{param.field: param.setting.parse(getattr(spec, param.field), notices,
                                                             param.field)
                            for param in method.params})
    for low, high in method.ranges:
        if not getattr(spec, low) < getattr(spec, high):
            raise InputError("error.init.empty_range", field=spec.method, low=getattr(spec, low),
                             high=getattr(spec, high))
    for name in method.nonzero:
        if getattr(spec, name) == 0:
            raise InputError("error.init.zero_std", field=spec.method)
    return spec


def check_shape(spec: InitSpec, fan_in: int, fan_out: int) -> None:
    """An InputError naming the rule when the method cannot fill a weight of these fans."""
    fits = METHODS[spec.method].fits
    error = fits(spec, fan_in, fan_out) if fits is not None else None
    if error is not None:
        raise error


def shape(spec: InitSpec, fan_in: int, fan_out: int) -> tuple[int, ...]:
    """The weight the method fills for these fans (Method.kernel)."""
    kernel = METHODS[spec.method].kernel
    return (fan_out, fan_in) if kernel is None else (fan_out, fan_in, kernel)


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
    """(standard, p): the method's fill is bitwise from_standard(standard, p, that standard fill)
    (Method.standard). Cells of the init matrix with the same pair have the same weights."""
    method = METHODS[spec.method]
    if method.standard is None or (method.standard == "uniform" and uniform_map() is None):
        return None
    param = method.standard_param(spec, fan_in, fan_out)
    return None if param is None else (method.standard, param)


def from_standard(standard: str, param: float, layer: torch.Tensor) -> torch.Tensor:
    """A method's fill from its standard fill (standard_fill's pair)."""
    if standard == "uniform":
        return uniform_map()(layer, param)
    return layer.detach() if param == 1 else param * layer  # 1·z is z: a view, not a copy


def _uniform_from(u: torch.Tensor, half: float) -> torch.Tensor:
    """from + u·(to − from) for from = −h, to = h (to − from = 2h is exact), with torch's own
    add kernel: rounded as uniform_'s own kernel rounds it on the CPUs measured (one rounding,
    fused, where torch's kernels are built for AVX2 and AVX-512; two with
    ATEN_CPU_CAPABILITY=default)."""
    low = torch.tensor(-half, dtype=torch.float32)
    return torch.add(low, u, alpha=-2 * low.item())


@functools.cache
def uniform_map() -> Callable[[torch.Tensor, float], torch.Tensor] | None:
    """How uniform_(-h, h) comes from its raw draw u = uniform_(0, 1) (both draw the same bits)
    on this machine: _uniform_from, checked once on probes of several h against uniform_ itself,
    bit for bit; None where it does not reproduce torch (then every uniform fill is drawn)."""
    for half in (0.1082531754730548, 0.75, 1.7, 1 / 3):
        drawn = torch.empty(4099).uniform_(-half, half, generator=torch.Generator().manual_seed(7))
        u = torch.empty(4099).uniform_(0, 1, generator=torch.Generator().manual_seed(7))
        if not torch.equal(_uniform_from(u, half), drawn):
            return None
    return _uniform_from


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
