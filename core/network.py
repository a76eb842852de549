"""A deep bias-free MLP, forward and backward, layer by layer: the course's explosion demo.

The draws follow the course's code exactly, from a private generator: every `nn.Linear(n, n,
bias=False)` draws its own kaiming_uniform_(a=sqrt(5)) weights at construction, then every weight
is re-initialised, then the input is `randn(batch, n)`. So seed 3 prints the course's numbers.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field, replace

import pandas as pd
import torch
import torch.nn.functional as F

from core import activations, initializers
from core.cache import ByteBoundCache
from core.errors import Notice
from core.initializers import InitSpec
from core.settings import setting, settings_of, validate_settings
from core.values import finite_positive

# depth * width**2 weights, each with a gradient: 2**24 keeps one run near 128 MB of tensors.
MAX_WEIGHTS = 2**24
FLOAT32_MAX_LOG = math.log(torch.finfo(torch.float32).max)
# The course's printout for its network (seed 3) at layer 30, where torch 2.13's float32 x.std()
# is already nan: the page compares it with the float64 std of the same, still finite, layer.
COURSE_STD_AT_30 = 2.2885405881461517e37


def _takes_slope(values: dict) -> bool:
    return activations.ACTIVATIONS[values.get("activation", "none")].takes_slope


@dataclass(frozen=True)
class NetConfig:
    """The course's demo by default: 100 layers of nn.Linear(256, 256, bias=False), a batch of
    16, no activation, weights re-drawn with nn.init.normal_(std=1), seed 3."""

    depth: int = setting(100, low=1, high=200, step=1)
    width: int = setting(256, low=2, high=1024, step=1)
    batch: int = setting(16, low=1, high=128, step=1)
    activation: str = setting("none", choices=activations.ACTIVATIONS.keys())
    negative_slope: float = setting(0.01, low=0.0, high=1.0, step=0.01, format="%.3f",
                                    shown=_takes_slope)
    init: InitSpec = field(default_factory=InitSpec)
    seed: int = setting(3, low=0, high=2**31 - 1, step=1)


SETTINGS = settings_of(NetConfig)
DEPTH, WIDTH, BATCH, SEED = (SETTINGS[name].bound for name in ("depth", "width", "batch", "seed"))


def validate(config: NetConfig) -> tuple[NetConfig, list[Notice]]:
    """Every setting of kind and in bound (a notice for each value clamped), the init method's
    parameters checked, then the weight budget: fewer layers where depth × width² is too many."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    if config.depth * config.width**2 > MAX_WEIGHTS:
        allowed = MAX_WEIGHTS // config.width**2
        notices.append(Notice("notice.weight_budget", {"depth": config.depth,
                                                       "width": config.width, "used": allowed}))
        config = replace(config, depth=allowed)
    return replace(config, init=initializers.validate(config.init, notices)), notices


@dataclass(frozen=True)
class NetResult:
    layers: pd.DataFrame  # one row per layer: std (float32 and float64), inf/nan flags, grad std
    console: list[str]  # the course's printout, line by line
    first_nan_std: int | None  # first layer whose float32 x.std() is nan (where the course stops)
    first_inf: int | None  # first layer with an infinite activation
    first_nan: int | None  # first layer with a nan activation
    loss: float
    trend: str  # "stable", "explodes" or "vanishes"
    growth: float  # geometric-mean factor by which the std changes per layer


def draw_weights(config: NetConfig) -> tuple[list[torch.Tensor], torch.Generator]:
    """All weights, one (width, width) tensor per layer, drawn in the course's order, and the
    generator ready for the input draw.

    Each layer is a tensor of its own, as each nn.Linear's weight is: slices of one stacked
    tensor sit at other memory alignments, and the matmul kernels then round some small shapes
    differently from the course's module. A method whose fill is a multiple of a standard normal
    draw (normal_ with mean 0, kaiming_normal_, xavier_normal_) scales the standard draw kept
    for (seed, width, depth): a move of std, activation or batch draws nothing again."""
    generator = torch.Generator()
    standard = initializers.standard_fill(config.init, config.width, config.width)
    if standard is not None and config.width**2 >= STANDARDS[standard[0]][1]:
        kind, scale = standard
        kept, state = STANDARD_DRAWS.get((kind, config.seed, config.width, config.depth),
                                         lambda: _standard_draws(kind, config))
        generator.set_state(state)
        return [scale * layer for layer in kept], generator
    generator.set_state(_after_construction(config.seed, config.depth, config.width))
    weights = [initializers.apply(config.init, torch.empty(config.width, config.width), generator)
               for _ in range(config.depth)]  # the re-initialisation, as the course's loop does
    return weights, generator


# The standard fills (initializers.Method.standard): how to draw one layer, and the fewest
# entries for which a multiple of it is bitwise the method's own fill. torch's normal_ fills a
# tensor of 16 entries or more with its vectorised float32 kernel (0 + s·z, the same product as
# s times the standard draw) and smaller ones in double precision, which rounds otherwise;
# orthogonal_ multiplies by its gain last, at any size.
STANDARDS = {
    "normal": (lambda layer, generator: layer.normal_(0, 1, generator=generator), 16),
    "orthogonal": (lambda layer, generator: torch.nn.init.orthogonal_(
        layer, 1.0, generator=generator), 0),
}


def _standard_draws(kind: str, config: NetConfig) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The standard fill of every layer in the course's order, and the generator's state after."""
    generator = torch.Generator()
    generator.set_state(_after_construction(config.seed, config.depth, config.width))
    fill = STANDARDS[kind][0]
    standard = [fill(torch.empty(config.width, config.width), generator)
                for _ in range(config.depth)]
    return standard, generator.get_state()


# The standard draws kept: 256 MB holds ten of the course's networks (26 MB each) or four of
# the largest allowed (64 MB).
STANDARD_DRAWS = ByteBoundCache(
    256 * 2**20, lambda drawn: sum(layer.nbytes for layer in drawn[0]) + drawn[1].nbytes)


def _after_construction(seed: int, depth: int, width: int) -> torch.Tensor:
    """The generator state after every nn.Linear drew its kaiming_uniform_(a=sqrt(5)) weights.
    Those draws are overwritten, but they move the generator by an amount that depends on the
    depth: so a shallower network is not a prefix of a deeper one in the course's order (its
    re-initialisation starts elsewhere). Kept: the state is 5 kB, the draws behind it take
    tens of milliseconds, and the init matrix's groups all start from it at once."""
    def construct() -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        construction = torch.empty(width, width)
        for _ in range(depth):
            torch.nn.init.kaiming_uniform_(construction, a=math.sqrt(5), generator=generator)
        return generator.get_state()

    return CONSTRUCTION_STATES.get((seed, depth, width), construct)


CONSTRUCTION_STATES = ByteBoundCache(2**20, lambda state: state.nbytes)  # about 200 states


def draw(config: NetConfig) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The weights (depth tensors of width x width) and then the input batch, in the course's
    order."""
    weights, generator = draw_weights(config)
    return weights, torch.randn(config.batch, config.width, generator=generator)


def forward(config: NetConfig, weights, x: torch.Tensor, *, retain_grad: bool) -> list:
    """The network itself: x = act(x Wᵀ) layer by layer; returns every layer's output."""
    activation = activations.function(config.activation, config.negative_slope)
    outputs = []
    for weight in weights:
        x = activation(F.linear(x, weight))
        if retain_grad:
            x.retain_grad()
        outputs.append(x)
    return outputs


def run(config: NetConfig) -> NetResult:
    """Forward a batch through the network, then backpropagate loss = output.mean()."""
    weights, x = draw(config)
    for weight in weights:
        weight.requires_grad_()
    outputs = forward(config, weights, x, retain_grad=True)
    loss = outputs[-1].mean()
    loss.backward()

    with torch.no_grad():
        out = torch.stack(outputs).flatten(1)  # (depth, batch * width)
        layers = pd.DataFrame({
            "layer": range(config.depth),
            # each layer's own x.std(), exactly as the course prints it (a std over a dim of the
            # stacked outputs sums in another order and would not overflow where the course does)
            "std": _each(outputs, torch.Tensor.std),
            "std64": _each(outputs, lambda o: o.double().std()),
            "has_inf": torch.isinf(out).any(dim=1).numpy(),
            "has_nan": torch.isnan(out).any(dim=1).numpy(),
            "grad_std": _each([w.grad for w in weights], torch.Tensor.std),
            "out_grad_std": _each([o.grad for o in outputs], torch.Tensor.std),
            "theory_std": theory_std(config),
        })
    return NetResult(
        layers=layers,
        console=console_lines(layers),
        first_nan_std=_first(layers["std"].isna()),
        first_inf=_first(layers["has_inf"]),
        first_nan=_first(layers["has_nan"]),
        loss=loss.item(),
        **trend(layers["std"]),
    )


HEALTHY = (0.1, 10.0)  # the band of layer stds the pages call healthy


def trend(stds: pd.Series) -> dict:
    """Stable when every layer's std is finite and inside HEALTHY; otherwise it explodes or
    vanishes, by whether the std grows or shrinks per layer (geometric mean over finite layers)."""
    finite = stds[finite_positive(stds)]
    span = finite.index[-1] - finite.index[0] if len(finite) >= 2 else 0
    growth = (finite.iloc[-1] / finite.iloc[0]) ** (1 / span) if span else math.nan
    if len(finite) == len(stds) and finite.between(*HEALTHY).all():
        verdict = "stable"
    elif len(finite) < len(stds) or finite.iloc[-1] > HEALTHY[1]:
        verdict = "explodes"
    else:
        verdict = "vanishes"
    return {"trend": verdict, "growth": growth}


def _each(tensors, statistic) -> list[float]:
    return torch.stack([statistic(t) for t in tensors]).tolist()


def _first(flags: pd.Series) -> int | None:
    hits = flags[flags.astype(bool)]
    return int(hits.index[0]) if len(hits) else None


def console_lines(layers: pd.DataFrame) -> list[str]:
    """What the course's forward() prints: `layer:i, std:x.std()` until the std is nan."""
    lines = []
    for row in layers.itertuples():
        lines.append(f"layer:{row.layer}, std:{row.std}")
        if math.isnan(row.std):
            lines.append(f"output is nan in {row.layer} layers")
            break
    return lines


def theory_std(config: NetConfig) -> list[float]:
    """Predicted std of each layer's output from the variance argument, for piecewise-linear
    activations with negative-side slope a (none: a = 1, relu: a = 0); nan where it does not apply.

    Pre-activations: D(h_0) = n·D(W) and D(h_{l+1}) = n·D(W)·E[x_l²] with E[x²] = (1+a²)/2·D(h).
    The output x = act(h) has std(x) = std(h)·sqrt((1+a²)/2 − (1−a)²/(2π)).
    """
    slope = activations.piecewise_linear_slope(config.activation, config.negative_slope)
    w_std = initializers.weight_std(config.init, config.width, config.width)
    if slope is None or w_std is None:
        return [math.nan] * config.depth
    second_moment = (1 + slope**2) / 2
    shrink = math.sqrt(second_moment - (1 - slope) ** 2 / (2 * math.pi))
    first = math.sqrt(config.width) * w_std
    factor = first * math.sqrt(second_moment)
    if first == 0:
        return [0.0] * config.depth
    # In log space, so that 16**100 does not overflow here; past float32's largest value the
    # prediction is inf, as the activations themselves become.
    log_std = [math.log(first * shrink) + layer * math.log(factor) for layer in range(config.depth)]
    return [math.exp(v) if v < FLOAT32_MAX_LOG else math.inf for v in log_std]


def to_script(config: NetConfig) -> str:
    """A runnable PyTorch script, in the course's style, that prints this run's numbers."""
    act = activations.code(config.activation, config.negative_slope)
    layer = "linear(x)" if act == "x" else act.replace("(x", "(linear(x)", 1)
    init_code = textwrap.indent(initializers.code(config.init, "linear.weight"), "    ")
    return f'''import math

import torch
import torch.nn as nn

torch.manual_seed({config.seed})
depth, width, batch = {config.depth}, {config.width}, {config.batch}


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.linears = nn.ModuleList(
            [nn.Linear(width, width, bias=False) for _ in range(depth)])

    def forward(self, x):
        seen_nan = False
        for i, linear in enumerate(self.linears):
            x = {layer}
            if not seen_nan:
                print(f"layer:{{i}}, std:{{x.std()}}")
                if torch.isnan(x.std()):
                    print(f"output is nan in {{i}} layers")
                    seen_nan = True  # the course stops printing here; we go on for the gradients
        return x


net = MLP()
for linear in net.linears:
{init_code}
x = torch.randn(batch, width)
loss = net(x).mean()
loss.backward()
for i, linear in enumerate(net.linears):
    print(f"grad:{{i}}, std:{{linear.weight.grad.std()}}")
'''
