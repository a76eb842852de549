"""Activation-specific initialisation: which scale suits which activation, and why.

Three computations, all on torch itself with a private generator:
- gains: `nn.init.calculate_gain` for every nonlinearity it accepts, its formula, and the gain
  measured the course's way (`x = randn(N)`, `x.std() / act(x).std()`), plus the root-mean-square
  ratio that calculate_gain actually preserves;
- draws: one weight filled by a real `nn.init` method, its histogram and the method's formula;
- the matrix: every activation x every scheme through the explosion lesson's network
  (core.network: the same draws, the same forward and backward), keeping both ends of each run.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import pandas as pd
import torch
import torch.nn.functional as F

from core import activations, initializers, network
from core.bounds import Bound
from core.errors import InputError, Notice
from core.initializers import InitSpec

# ---- Gains --------------------------------------------------------------------------------

SAMPLES = Bound("N", 2, 4_000_000)


@dataclass(frozen=True)
class GainConfig:
    samples: int = 10_000  # the course's N
    negative_slope: float = 0.01
    seed: int = 1  # the course's set_seed(1), whose tanh ratio prints 1.598...


def validate_gains(config: GainConfig) -> tuple[GainConfig, list[Notice]]:
    notices: list[Notice] = []
    return replace(
        config, samples=SAMPLES.clamp(config.samples, notices),
        negative_slope=network.SETTINGS["negative_slope"].bound.clamp(config.negative_slope,
                                                                      notices),
        seed=network.SEED.clamp(config.seed, notices)), notices


def gains(config: GainConfig) -> pd.DataFrame:
    """One row per nonlinearity calculate_gain accepts (core.activations' table): its formula's
    gain, calculate_gain's, the course's ratio x.std() / act(x).std() and the root-mean-square
    ratio sqrt(mean(x²) / mean(act(x)²))."""
    x = torch.randn(config.samples, generator=torch.Generator().manual_seed(config.seed))
    rows = []
    for name, entry in activations.ACTIVATIONS.items():
        y = activations.function(name, config.negative_slope)(x)
        for gain_name in entry.gain_names or (name,):  # calculate_gain's names, or its own
            rows.append({
                "nonlinearity": gain_name,
                "param": config.negative_slope if entry.takes_slope else None,
                "formula": entry.gain_formula(config.negative_slope),
                "formula_text": entry.gain_text,
                "calculate_gain": activations.gain_by_name(gain_name, config.negative_slope)
                if entry.gain_names else math.nan,
                "course_ratio": (x.std() / y.std()).item(),
                "rms_ratio": (x.square().mean() / y.square().mean()).sqrt().item(),
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
    rms = (x.square().mean() / y.square().mean()).sqrt()  # the second moment calculate_gain keeps
    print(name, gain, course.item(), rms.item())
'''


def gains_story(table: pd.DataFrame) -> dict[str, float]:
    """The numbers the page's explanation of the gains table quotes: ReLU's three gains (where
    the course's ratio and calculate_gain part) and tanh's course ratio (the course's 1.598...)."""
    by_name = table.set_index("nonlinearity")
    return {"relu": by_name.loc["relu", "calculate_gain"],
            "relu_rms": by_name.loc["relu", "rms_ratio"],
            "relu_course": by_name.loc["relu", "course_ratio"],
            "tanh_course": by_name.loc["tanh", "course_ratio"],
            "tanh_rms": by_name.loc["tanh", "rms_ratio"]}


# ---- One weight, drawn by a real nn.init method --------------------------------------------

FAN = Bound("fan", 1, 1024)
BINS = 60


@dataclass(frozen=True)
class DrawConfig:
    init: InitSpec = InitSpec("xavier_uniform")
    fan_in: int = 256
    fan_out: int = 256
    seed: int = 3


def validate_draw(config: DrawConfig) -> tuple[DrawConfig, list[Notice]]:
    """Clamp fans and the method's parameters into their bounds; reject what the method cannot
    draw (core.initializers.validate)."""
    notices: list[Notice] = []
    spec = initializers.validate(config.init, notices)
    return replace(config, init=spec, fan_in=FAN.clamp(config.fan_in, notices),
                   fan_out=FAN.clamp(config.fan_out, notices),
                   seed=network.SEED.clamp(config.seed, notices)), notices


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


def draw(config: DrawConfig) -> DrawResult:
    """Fill a (fan_out, fan_in) weight, as nn.Linear(fan_in, fan_out) holds it, with the real
    nn.init method; bin its entries and the method's distribution into the same bins."""
    spec, fan_in, fan_out = config.init, config.fan_in, config.fan_out
    weight = torch.empty(fan_out, fan_in)
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
        bound=initializers.bound(spec, fan_in, fan_out))


def draw_script(config: DrawConfig) -> str:
    """A script that draws the same weight with the same generator and prints its mean and std."""
    return f'''import math

import torch
import torch.nn as nn

g = torch.Generator().manual_seed({config.seed})
w = torch.empty({config.fan_out}, {config.fan_in})  # the shape of nn.Linear(fan_in, fan_out).weight
{initializers.code(config.init, "w", generator="g")}
print("mean", w.mean().item())
print("std", w.std().item())
'''


# ---- The matrix: every activation x every scheme -----------------------------------------

# The matrix's columns: the nn.init call each scheme stands for in a network of a width and an
# activation (with its negative slope): (activation, negative_slope, width) -> InitSpec.
SCHEMES: dict[str, Callable[[str, float, int], InitSpec]] = {
    "std_one": lambda act, slope, width: InitSpec("normal", std=1.0),
    "sqrt_n": lambda act, slope, width: InitSpec("normal", std=math.sqrt(1 / width)),
    # Glorot as published: gain 1
    "xavier": lambda act, slope, width: InitSpec("xavier_uniform"),
    # the course: xavier_uniform_(w, gain=calculate_gain(activation))
    "xavier_gain": lambda act, slope, width: InitSpec(
        "xavier_uniform", gain=activations.gain(act, slope)),
    # kaiming_normal_(w) as called: a=0, fan_in, leaky_relu -> gain sqrt(2)
    "kaiming": lambda act, slope, width: InitSpec("kaiming_normal"),
    # what nn.Linear does on construction
    "linear_default": lambda act, slope, width: InitSpec("kaiming_uniform", a=math.sqrt(5)),
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


def scheme_spec(scheme: str, activation: str, negative_slope: float, width: int) -> InitSpec:
    """The nn.init call a scheme stands for in a network of this width and activation."""
    if scheme not in SCHEMES:
        raise InputError("error.unknown_choice", field="scheme", value=scheme)
    return SCHEMES[scheme](activation, negative_slope, width)


@dataclass(frozen=True)
class MatrixConfig:
    depth: int = 100
    width: int = 256
    batch: int = 16
    negative_slope: float = 0.01
    seed: int = 3


# The matrix runs every cell's network, so it has a budget of its own on depth x width² x
# (batch + 28), what its time grows with: every weight drawn, and the batch rows pushed through
# it. The default sizes use 288 M. Measured by bench.init: 64 x 512 with batch 128 (allowed by
# the network's own bounds) took 6.1 s; at this budget the largest shapes take 0.4 to 1.0 s.
MATRIX_WORK = 400_000_000
DRAW_COST_IN_ROWS = 28


def validate_matrix(config: MatrixConfig) -> tuple[MatrixConfig, list[Notice]]:
    """The network's own bounds (core.network.validate), then the matrix's budget: fewer layers,
    with a notice, where the sizes would make every cell's network take seconds."""
    net, notices = network.validate(cell(config, "none", "std_one"))
    depth = net.depth
    per_layer = net.width * net.width * (net.batch + DRAW_COST_IN_ROWS)
    if depth * per_layer > MATRIX_WORK:
        depth = max(1, MATRIX_WORK // per_layer)
        notices.append(Notice("notice.matrix_budget", {
            "depth": net.depth, "width": net.width, "batch": net.batch, "used": depth}))
    return MatrixConfig(depth, net.width, net.batch, net.negative_slope, net.seed), notices


def cell(config: MatrixConfig, activation: str, scheme: str) -> network.NetConfig:
    """The explosion lesson's network for one cell of the matrix."""
    return network.NetConfig(
        depth=config.depth, width=config.width, batch=config.batch, activation=activation,
        negative_slope=config.negative_slope, seed=config.seed,
        init=scheme_spec(scheme, activation, config.negative_slope, config.width))


@dataclass(frozen=True)
class NetworkView:
    """What the network section shows: the matrix's settings and the cell chosen in it. Pin
    keeps one as A; its cell is drawn layer by layer beside B's."""
    matrix: MatrixConfig = field(default_factory=MatrixConfig)
    activation: str = network.NetConfig.activation
    scheme: str = next(iter(SCHEMES))


def validate_view(view: NetworkView) -> tuple[NetworkView, list[Notice]]:
    """The matrix's settings as validate_matrix checks them, and a cell the matrix has."""
    if view.activation not in activations.ACTIVATIONS:
        raise InputError("error.unknown_choice", field="activation", value=view.activation)
    matrix_config, notices = validate_matrix(view.matrix)
    cell(matrix_config, view.activation, view.scheme)  # raises on a scheme the matrix lacks
    return replace(view, matrix=matrix_config), notices


def in_band(value: float) -> bool:
    return math.isfinite(value) and network.HEALTHY[0] <= value <= network.HEALTHY[1]


def matrix(config: MatrixConfig) -> pd.DataFrame:
    """One row per (activation, scheme): the last layer's output std and the first and last
    layers' weight-gradient stds, from core.network's draws, forward and backward.

    Cells whose init is the same call (Xavier with gain 1 for none and sigmoid, Kaiming for every
    activation, ...) share one draw of the weights and run as one stacked computation: each
    layer is one matrix product for all of them. Draws are shared across schemes too where the
    maths allows (core.network keeps one standard draw per seed and size): std = 1, sqrt(1/n)
    and Kaiming's normal are one normal_(0, 1) draw scaled, bit for bit, and orthogonal_ with any
    gain is one orthogonal matrix scaled. The groups are independent, so they run on every core
    at once (torch releases the GIL; each has its own generator)."""
    cells: dict[InitSpec, list[tuple[str, str]]] = {}
    for activation in activations.ACTIVATIONS:
        for scheme in SCHEMES:
            cells.setdefault(cell(config, activation, scheme).init, []).append(
                (activation, scheme))
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        groups = pool.map(lambda item: _matrix_rows(config, *item), _sharers_last(cells, config))
        rows = {key: row for group in groups for key, row in group.items()}
    return pd.DataFrame([rows[a, s] for a in activations.ACTIVATIONS for s in SCHEMES])


def _sharers_last(cells: dict, config: MatrixConfig) -> list:
    """The groups in the order the threads take them: the first group of each standard draw
    early, the others that scale the same draw at the end, so no thread waits for a draw
    another is still making while groups of their own are left."""
    drawn, early, late = set(), [], []
    for spec, pairs in cells.items():
        fill = initializers.standard_fill(spec, config.width, config.width)
        kind = fill and fill[0]  # None: a draw of its own
        (late if kind is not None and kind in drawn else early).append((spec, pairs))
        drawn.add(kind)
    return early + late


def _matrix_rows(config: MatrixConfig, spec: InitSpec, pairs: list[tuple[str, str]]) -> dict:
    """The matrix's rows for the cells that share one init call: one draw of the weights, and
    every layer one product for all the cells (their batches stacked).

    Backward, each cell's weight gradient is (dL/dh)ᵀ·input, the product autograd forms for a
    weight: autograd gives dL/dh for every cell at once from the stacked pre-activations of the
    first and last layers, so no weight needs a gradient of its own."""
    weights, x = network.draw(replace(cell(config, "none", "std_one"), init=spec))
    functions = [activations.function(activation, config.negative_slope)
                 for activation, _ in pairs]

    def activate(pre: torch.Tensor) -> torch.Tensor:
        return torch.stack([act(one) for act, one in zip(functions, pre, strict=True)])

    first = F.linear(x, weights[0]).expand(len(pairs), *x.shape).clone().requires_grad_()
    pre, inputs = first, x.expand(len(pairs), *x.shape)
    out = activate(first)
    for weight in weights[1:]:
        pre, inputs = F.linear(out, weight), out
        out = activate(pre)
    first_grad, last_grad = torch.autograd.grad(out.mean(dim=(1, 2)).sum(), [first, pre],
                                                allow_unused=True)
    last_grad = first_grad if last_grad is None else last_grad  # depth 1: the same layer
    with torch.no_grad():
        first_weight_grads = first_grad.transpose(1, 2) @ x
        last_weight_grads = last_grad.transpose(1, 2) @ inputs
    rows = {}
    for index, (activation, scheme) in enumerate(pairs):
        last_std = out[index].detach().std().item()
        first_grad_std = first_weight_grads[index].std().item()
        last_grad_std = last_weight_grads[index].std().item()
        ratio = first_grad_std / last_grad_std if last_grad_std else math.nan
        rows[activation, scheme] = {
            "activation": activation, "scheme": scheme, "last_std": last_std,
            "first_grad_std": first_grad_std, "last_grad_std": last_grad_std,
            "grad_ratio": ratio, "forward_healthy": in_band(last_std),
            "backward_healthy": in_band(ratio),
        }
    return rows


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
