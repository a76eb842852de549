"""Activation-specific initialisation: which scale suits which activation, and why.

Three computations, all on torch itself with a private generator:
- gains: `nn.init.calculate_gain` for every nonlinearity it accepts, its formula, the gain
  measured the course's way (`x = randn(N)`, `x.std() / act(x).std()`), and the ratio of root
  mean squares (measured, and exact for a standard normal input), which calculate_gain equals for
  some nonlinearities and not for others;
- draws: one weight filled by a real `nn.init` method, its histogram and the method's formula;
- the matrix: every activation x every scheme through the explosion lesson's network
  (core.network: the same draws, the same forward, and the backward when asked for), keeping both
  ends of each run; computed in the background (core.background) while the page draws the cell
  the user chose.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd
import torch
import torch.nn.functional as F

from core import activations, initializers, network
from core.background import Background
from core.errors import InputError, Notice
from core.initializers import InitSpec
from core.settings import METADATA, setting, validate_settings

SEED = {"low": 0, "high": 2**31 - 1, "step": 1}


def _as_network(name: str, **changes) -> dataclasses.Field:
    """A field declared as the explosion lesson's network declares its own (the same bound),
    with changes to its Setting."""
    declared = dataclasses.replace(network.SETTINGS[name], **changes)
    return dataclasses.field(default=declared.default, metadata={METADATA: declared})


# ---- Gains --------------------------------------------------------------------------------

@dataclass(frozen=True)
class GainConfig:
    samples: int = setting(10_000, low=2, high=4_000_000, step=1000)  # the course's N
    negative_slope: float = _as_network("negative_slope")  # the network section's slope
    seed: int = setting(1, **SEED)  # the course's set_seed(1), whose tanh ratio prints 1.598...


def validate_gains(config: GainConfig) -> tuple[GainConfig, list[Notice]]:
    notices: list[Notice] = []
    return validate_settings(config, notices), notices


# calculate_gain keeps the root mean square where it equals rms_gain to this relative tolerance
# (ReLU's √2 computed two ways differs in its last bit)
KEEPS_RMS = 1e-9


def gains(config: GainConfig) -> pd.DataFrame:
    """One row per nonlinearity calculate_gain accepts (core.activations' table): its formula's
    gain, calculate_gain's, the course's ratio x.std() / act(x).std(), the root-mean-square ratio
    sqrt(mean(x²) / mean(act(x)²)) measured on the same x, the same ratio exact for a standard
    normal input (activations.rms_gain), and whether calculate_gain is that ratio."""
    x = torch.randn(config.samples, generator=torch.Generator().manual_seed(config.seed))
    rows = []
    for name, entry in activations.ACTIVATIONS.items():
        y = activations.function(name, config.negative_slope)(x)
        exact = activations.rms_gain(name, config.negative_slope)
        for gain_name in entry.gain_names or (name,):  # calculate_gain's names, or its own
            gain = activations.gain_by_name(gain_name, config.negative_slope) \
                if entry.gain_names else math.nan
            rows.append({
                "nonlinearity": gain_name,
                "param": config.negative_slope if entry.takes_slope else None,
                "formula": entry.gain_formula(config.negative_slope),
                "formula_text": entry.gain_text,
                "calculate_gain": gain,
                "course_ratio": (x.std() / y.std()).item(),
                "rms_ratio": (x.square().mean() / y.square().mean()).sqrt().item(),
                "rms_exact": exact,
                "keeps_rms": math.isclose(gain, exact, rel_tol=KEEPS_RMS),
            })
    return pd.DataFrame(rows)


def gains_script(config: GainConfig) -> str:
    """A script that prints the gains table's numbers, the course's way, from the same table."""
    slope = float(config.negative_slope)
    lines = "\n".join(
        f'    "{gain_name}": ({activations.code(name, slope)}, '
        f'{slope if entry.takes_slope else None!r}, {bool(entry.gain_names)}),'
        for name, entry in activations.ACTIVATIONS.items()
        for gain_name in entry.gain_names or (name,))
    return f'''import torch

x = torch.randn({config.samples}, generator=torch.Generator().manual_seed({config.seed}))
outputs = {{  # nonlinearity: (act(x), its calculate_gain parameter, calculate_gain knows it)
{lines}
}}
for name, (y, param, known) in outputs.items():
    gain = torch.nn.init.calculate_gain(name, param) if known else float("nan")
    course = x.std() / y.std()  # the course's way
    rms = (x.square().mean() / y.square().mean()).sqrt()  # the ratio of root mean squares
    print(name, gain, course.item(), rms.item())
'''


def gains_story(table: pd.DataFrame) -> dict:
    """The numbers the page's explanation of the gains table quotes: ReLU's three gains (where
    the course's ratio and calculate_gain part), tanh's course ratio (the course's 1.598...),
    and which nonlinearities' calculate_gain is the rms ratio ("kept") and which not ("others",
    each with both numbers)."""
    by_name = table.set_index("nonlinearity")
    known = table[table["calculate_gain"].notna()]
    others = known[~known["keeps_rms"]]
    return {"relu": by_name.loc["relu", "calculate_gain"],
            "relu_rms": by_name.loc["relu", "rms_ratio"],
            "relu_course": by_name.loc["relu", "course_ratio"],
            "tanh_course": by_name.loc["tanh", "course_ratio"],
            "tanh_rms": by_name.loc["tanh", "rms_ratio"],
            "kept": ", ".join(known.loc[known["keeps_rms"], "nonlinearity"]),
            "others": "; ".join(f"{row.nonlinearity} {row.calculate_gain:.4g} ≠ "
                                f"{row.rms_exact:.4g}" for row in others.itertuples())}


# ---- One weight, drawn by a real nn.init method --------------------------------------------

BINS = 60
FAN = {"low": 1, "high": 1024, "step": 1}


@dataclass(frozen=True)
class DrawConfig:
    init: InitSpec = field(default_factory=lambda: InitSpec("xavier_uniform"))
    fan_in: int = setting(256, **FAN)
    fan_out: int = setting(256, **FAN)
    seed: int = setting(3, **SEED)


def validate_draw(config: DrawConfig) -> tuple[DrawConfig, list[Notice]]:
    """Every setting parsed (fans and the method's parameters clamped into their bounds); an
    InputError for what the method cannot draw (core.initializers.validate, check_shape)."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    config = replace(config, init=initializers.validate(config.init, notices))
    initializers.check_shape(config.init, config.fan_in, config.fan_out)
    return config, notices


@dataclass(frozen=True)
class DrawResult:
    histogram: pd.DataFrame  # one row per bin: left, right, measured and expected fraction
    mean: float  # of the drawn entries (float32, as torch computes it)
    std: float
    formula_mean: float
    formula_std: float
    gain: float
    fan: int  # the fan a kaiming method divides by
    bound: tuple[float, float] | None
    identity: dict | None  # a convolution weight's identity property (dirac_), else None


def draw(config: DrawConfig) -> DrawResult:
    """Fill the weight the method fills for these fans (nn.Linear(fan_in, fan_out)'s, or for a
    convolution's method nn.Conv1d's) with the real nn.init method; bin its entries and the
    method's distribution into the same bins."""
    spec, fan_in, fan_out = config.init, config.fan_in, config.fan_out
    weight = torch.empty(initializers.shape(spec, fan_in, fan_out))
    initializers.apply(spec, weight, torch.Generator().manual_seed(config.seed))
    values = weight.flatten().double()
    limits = initializers.bound(spec, fan_in, fan_out) or (values.min().item(),) * 2
    low, high = min(values.min().item(), limits[0]), max(values.max().item(), limits[1])
    pad = 0.02 * (high - low) or 0.5
    edges = torch.linspace(low - pad, high + pad, BINS + 1, dtype=torch.float64)
    # bins are (left, right], as P(left < X <= right) = cdf(right) - cdf(left)
    counts = torch.bincount(torch.bucketize(values, edges[1:-1]), minlength=BINS)
    cdf = [initializers.cdf(spec, fan_in, fan_out, edge) for edge in edges.tolist()]
    histogram = pd.DataFrame({
        "left": edges[:-1].numpy(), "right": edges[1:].numpy(),
        "measured": (counts / values.numel()).numpy(),
        "expected": [b - a for a, b in zip(cdf[:-1], cdf[1:], strict=True)],
    })
    return DrawResult(
        histogram=histogram, mean=weight.mean().item(),
        std=weight.std().item() if weight.numel() > 1 else math.nan,
        formula_mean=initializers.entry_mean(spec, fan_in, fan_out),
        formula_std=initializers.entry_std(spec, fan_in, fan_out),
        gain=initializers.gain_of(spec), fan=fan_in if spec.mode == "fan_in" else fan_out,
        bound=initializers.bound(spec, fan_in, fan_out),
        identity=identity(weight, spec, config.seed) if weight.dim() == 3 else None)


IDENTITY_LENGTH = 32  # the length of the signal a convolution weight's identity is checked on


def identity(weight: torch.Tensor, spec: InitSpec, seed: int) -> dict:
    """What conv1d with this weight does to a signal x (padding keeps its length): how many of
    its output channels are exactly an input channel (the one dirac_ wires each to: in group g,
    output channel g·out/groups + d is input channel g·fan_in + d), how many are all 0, and the
    largest difference from that."""
    out_channels, fan_in, kernel = weight.shape
    x = torch.randn(1, fan_in * spec.groups, IDENTITY_LENGTH,
                    generator=torch.Generator().manual_seed(seed))
    y = F.conv1d(x, weight, padding=kernel // 2, groups=spec.groups)[0]
    per_group = out_channels // spec.groups
    expected = torch.zeros_like(y)
    wired = 0
    for channel in range(out_channels):
        group, d = divmod(channel, per_group)
        if d < fan_in:
            expected[channel] = x[0, group * fan_in + d]
            wired += 1
    return {"wired": wired, "zero": out_channels - wired, "channels": out_channels,
            "difference": (y - expected).abs().max().item()}


def draw_script(config: DrawConfig) -> str:
    """A script that draws the same weight with the same generator and prints its mean and std
    (for a convolution weight, also conv1d's largest difference from the channels it copies)."""
    shape = initializers.shape(config.init, config.fan_in, config.fan_out)
    holder = f"nn.Linear({config.fan_in}, {config.fan_out})" if len(shape) == 2 else \
        f"nn.Conv1d({config.fan_in}, {config.fan_out}, {shape[2]})"
    channels = config.fan_in * config.init.groups
    check = "" if len(shape) == 2 else f'''
x = torch.randn(1, {channels}, {IDENTITY_LENGTH},
                generator=torch.Generator().manual_seed({config.seed}))
y = F.conv1d(x, w, padding={shape[2] // 2}, groups={config.init.groups})[0]
print("copies", sum(any(torch.equal(row, channel) for channel in x[0]) for row in y))
'''
    return f'''import math

import torch
import torch.nn as nn
import torch.nn.functional as F

g = torch.Generator().manual_seed({config.seed})
w = torch.empty{shape}  # the shape of {holder}.weight
{initializers.code(config.init, "w", generator="g")}
print("mean", w.mean().item())
print("std", w.std().item())
{check}'''


@dataclass(frozen=True)
class InitLesson:
    """The lesson's two sections beside the network's (NetworkView): the gain experiment and the
    drawn weight. Their controls' keys, link parameters and texts derive from these paths
    ("gains.seed" is init_gains_seed), so the two seeds stay apart."""
    gains: GainConfig = field(default_factory=GainConfig)
    draw: DrawConfig = field(default_factory=DrawConfig)


# ---- The matrix: every activation x every scheme -----------------------------------------

# The matrix's columns: the nn.init call each scheme stands for in a network of a width and an
# activation (with its negative slope): (activation, negative_slope, width) -> InitSpec, or None
# for no re-initialisation at all.
SCHEMES: dict[str, Callable[[str, float, int], InitSpec | None]] = {
    "std_one": lambda act, slope, width: InitSpec("normal", std=1.0),
    "sqrt_n": lambda act, slope, width: InitSpec("normal", std=math.sqrt(1 / width)),
    # Glorot as published: gain 1
    "xavier": lambda act, slope, width: InitSpec("xavier_uniform"),
    # the course: xavier_uniform_(w, gain=calculate_gain(activation))
    "xavier_gain": lambda act, slope, width: InitSpec(
        "xavier_uniform", gain=activations.gain(act, slope)),
    # kaiming_normal_(w) as called: a=0, fan_in, leaky_relu -> gain sqrt(2)
    "kaiming": lambda act, slope, width: InitSpec("kaiming_normal"),
    # nn.Linear's own weights, drawn at construction (kaiming_uniform_, a=sqrt(5)), kept
    "linear_default": lambda act, slope, width: None,
    # Saxe et al.: an orthogonal matrix keeps every direction's length, times the activation's gain
    "orthogonal": lambda act, slope, width: InitSpec(
        "orthogonal", gain=activations.gain(act, slope)),
}
# The course's three demos: (activation, scheme), each with the course's sizes and seed.
COURSE_PAIRS = {
    "tanh_sqrt_n": ("tanh", "sqrt_n"),
    "tanh_xavier": ("tanh", "xavier_gain"),
    "relu_kaiming": ("relu", "kaiming"),
}


@dataclass(frozen=True)
class MatrixConfig:
    depth: int = _as_network("depth")
    width: int = _as_network("width")
    batch: int = _as_network("batch")
    negative_slope: float = _as_network("negative_slope", shown=None)  # leaky ReLU's row
    seed: int = _as_network("seed")
    batchnorm: bool = setting(False)


# The matrix's cost grows with depth × width² × (MATRIX_ROWS_PER_WEIGHT + its cells' batches,
# forward and back): every weight drawn (a few standard draws and a QR for every scheme), and
# every cell's batch rows pushed through it. The course's sizes use 10.1 G, and no size the
# bounds allow may cost more than they do (bench.init prints both).
MATRIX_WORK = 11_000_000_000
MATRIX_ROWS_PER_WEIGHT = 200


def matrix_work(config: MatrixConfig) -> int:
    cells = len(activations.ACTIVATIONS) * len(SCHEMES)
    return config.depth * config.width**2 * (MATRIX_ROWS_PER_WEIGHT + 2 * cells * config.batch)


def validate_matrix(config: MatrixConfig) -> tuple[MatrixConfig, list[Notice]]:
    """Every setting parsed (the network's own bounds), the network's budgets
    (core.network.validate), then the matrix's: fewer layers, with a notice, where every cell's
    network together would take too long."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    net, more = network.validate(cell(config, "none", "std_one"))
    notices += more
    config = replace(config, depth=net.depth, batch=net.batch)
    return network.within_work(config, matrix_work, MATRIX_WORK, "init.matrix_budget",
                               notices), notices


def cell(config: MatrixConfig, activation: str, scheme: str) -> network.NetConfig:
    """The explosion lesson's network for one cell of the matrix."""
    if scheme not in SCHEMES:
        raise InputError("error.unknown_choice", field="scheme", value=scheme)
    spec = SCHEMES[scheme](activation, config.negative_slope, config.width)
    return network.NetConfig(
        depth=config.depth, width=config.width, batch=config.batch, activation=activation,
        negative_slope=config.negative_slope, seed=config.seed, batchnorm=config.batchnorm,
        initialize=spec is not None, init=spec or InitSpec())


SIDES = ("forward", "backward")


@dataclass(frozen=True)
class NetworkView:
    """What the network section shows: the matrix's settings, the cell chosen in it, and which
    matrix (forward or backward). Pin keeps one as A; its cell is drawn layer by layer beside
    B's."""
    matrix: MatrixConfig = field(default_factory=MatrixConfig)
    activation: str = setting("none", choices=activations.ACTIVATIONS.keys())
    scheme: str = setting("std_one", choices=SCHEMES.keys(), choice_text="init.short_{choice}")
    side: str = setting("forward", choices=SIDES, choice_text="init.side_{choice}")


def validate_view(view: NetworkView) -> tuple[NetworkView, list[Notice]]:
    """The view's settings parsed, and the matrix's as validate_matrix checks them."""
    notices: list[Notice] = []
    view = validate_settings(view, notices)
    matrix_config, more = validate_matrix(view.matrix)
    return replace(view, matrix=matrix_config), notices + more


def matrix(config: MatrixConfig, backward: bool = False) -> pd.DataFrame:
    """One row per (activation, scheme): the last layer's output std and, with backward, the
    first and the last layer's weight-gradient stds (also in gradient_unit), from core.network's
    draws and network.

    Cells with the same weights (network.weights_key: std = 1, sqrt(1/n) and Kaiming's normal
    are one normal_(0, 1) draw scaled; Xavier's every gain one uniform_(0, 1) draw mapped;
    orthogonal_'s every gain one QR of that normal draw, scaled) take them from one draw and
    run as one stacked computation: each layer is one matrix product for all of them."""
    groups: dict[tuple, tuple[network.NetConfig, list[tuple[str, str]]]] = {}
    for activation in activations.ACTIVATIONS:
        for scheme in SCHEMES:
            net = cell(config, activation, scheme)
            groups.setdefault(network.weights_key(net), (net, []))[1].append((activation, scheme))
    rows = {}
    for net, pairs in groups.values():
        rows |= _matrix_rows(config, net, pairs, backward)
    return pd.DataFrame([rows[a, s] for a in activations.ACTIVATIONS for s in SCHEMES])


def _stacked_batch_norm(pre: torch.Tensor) -> torch.Tensor:
    """network.batch_norm of each cell of a (cells, batch, n) stack: every cell's every feature
    over its own batch."""
    cells, batch, width = pre.shape
    flat = pre.transpose(0, 1).reshape(batch, cells * width)
    return network.batch_norm(flat).reshape(batch, cells, width).transpose(0, 1)


def _matrix_rows(config: MatrixConfig, net: network.NetConfig, pairs: list[tuple[str, str]],
                 backward: bool) -> dict:
    """The matrix's rows for the cells that share one draw of the weights, every layer one
    product for all the cells (their batches stacked).

    Backward, each cell's weight gradient is (dL/dh)ᵀ·input, the product autograd forms for a
    weight: autograd gives dL/dh for every cell at once from the stacked products of the first
    and last layers, so no weight needs a gradient of its own."""
    weights, x = network.draw(net)
    functions = [activations.function(activation, config.negative_slope)
                 for activation, _ in pairs]
    layers = iter(weights)
    with torch.set_grad_enabled(backward):
        first = F.linear(x, next(layers)).expand(len(pairs), *x.shape).clone()
        first.requires_grad_(backward)
        pre, inputs = first, x.expand(len(pairs), *x.shape)
        out = _activate(functions, pre, config.batchnorm)
        for weight in layers:
            pre, inputs = F.linear(out, weight), out
            out = _activate(functions, pre, config.batchnorm)
    rows = {}
    for index, (activation, scheme) in enumerate(pairs):
        last_std = out[index].detach().std().item()
        rows[activation, scheme] = {"activation": activation, "scheme": scheme,
                                    "last_std": last_std,
                                    "forward_healthy": network.in_band(last_std)}
    if backward:
        unit = network.gradient_unit(net)
        for key, grads in _gradient_ends(unit, out, first, pre, x, inputs, pairs).items():
            rows[key] |= grads
    return rows


def _activate(functions: list, pre: torch.Tensor, batchnorm: bool) -> torch.Tensor:
    if batchnorm:
        pre = _stacked_batch_norm(pre)
    return torch.stack([act(one) for act, one in zip(functions, pre, strict=True)])


def _gradient_ends(unit: float, out, first, last, x, inputs, pairs) -> dict:
    """Each cell's first and last layer's weight-gradient std, with network.backward_health."""
    first_grad, last_grad = torch.autograd.grad(out.mean(dim=(1, 2)).sum(), [first, last],
                                                allow_unused=True)
    last_grad = first_grad if last_grad is None else last_grad  # depth 1: the same layer
    with torch.no_grad():
        first_weight_grads = first_grad.transpose(1, 2) @ x
        last_weight_grads = last_grad.transpose(1, 2) @ inputs
    found = {}
    for index, key in enumerate(pairs):
        first_std = first_weight_grads[index].std().item()
        last_std = last_weight_grads[index].std().item()
        found[key] = {"first_grad_std": first_std, "last_grad_std": last_std} | \
            network.backward_health(first_std, last_std, unit)
    return found


# The matrices are computed in the background, one at a time, while the page draws the chosen
# cell: MATRICES.wait((config, backward), seconds, asker).
MATRICES = Background(lambda key: matrix(*key), workers=1, keep=64, name="init-matrix")


def healthy_cells(table: pd.DataFrame, verdict: str) -> dict[str, list[str]]:
    """For each activation, the schemes whose cell has verdict ("forward_healthy" or
    "backward_healthy") true, in the matrix's order: what the page's summary lists."""
    return {activation: rows.loc[rows[verdict], "scheme"].tolist()
            for activation, rows in table.groupby("activation", sort=False)}


def derivations(fan_in: int, fan_out: int, negative_slope: float) -> dict[str, float]:
    """The numbers the derivations produce for these fans, through initializers' formulas:
    Xavier's D(W) = 2/(n_in + n_out) and bound sqrt(6/(n_in + n_out)) (and with tanh's gain),
    Kaiming's D(W) = 2/n_in and 2/((1 + a²) n_in)."""
    def std(spec: InitSpec) -> float:
        return initializers.weight_std(spec, fan_in, fan_out)

    xavier, kaiming = InitSpec("xavier_uniform"), InitSpec("kaiming_normal", nonlinearity="relu")
    leaky = InitSpec("kaiming_normal", a=negative_slope)
    return {
        "fan_in": fan_in, "fan_out": fan_out, "a": negative_slope,
        "xavier_var": std(xavier) ** 2, "xavier_std": std(xavier),
        "xavier_bound": initializers.bound(xavier, fan_in, fan_out)[1],
        "xavier_tanh_bound": initializers.bound(
            InitSpec("xavier_uniform", gain=5 / 3), fan_in, fan_out)[1],
        "kaiming_var": std(kaiming) ** 2, "kaiming_std": std(kaiming),
        "leaky_var": std(leaky) ** 2,
    }
