"""A deep bias-free MLP, forward and backward, layer by layer: the course's explosion demo, and
its cure (a train-mode BatchNorm1d after every Linear, the course's BatchNorm lesson).

The draws follow the course's code exactly, from a private generator: every `nn.Linear(n, n,
bias=False)` draws its own kaiming_uniform_(a=sqrt(5)) weights at construction, then every weight
is re-initialised (unless the course leaves them, as its BatchNorm demo does), then the input is
`randn(batch, n)`. So seed 3 prints the course's numbers, and seed 1 with BatchNorm its BatchNorm
demo's.
"""

from __future__ import annotations

import math
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

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
# A run's time grows with its weights times (the rows pushed through them, forward and back, in
# float32 and again in float64, plus what each weight costs of its own: two draws, its gradient's
# statistics), ROWS_PER_WEIGHT rows' worth (bench.explosion). This budget keeps a run under
# 300 ms of one core at any size the bounds allow; the course's demo uses 0.9 G.
MAX_WORK = 2_500_000_000
ROWS_PER_WEIGHT = 120
FLOAT32_MAX_LOG = math.log(torch.finfo(torch.float32).max)
FLOAT64_MAX_LOG = math.log(torch.finfo(torch.float64).max)
# The course's printout for its network (seed 3) at layer 30, where torch 2.13's float32 x.std()
# is already nan: the page compares it with the float64 std of the same, still finite, layer.
COURSE_STD_AT_30 = 2.2885405881461517e37
BATCHNORM_EPS = 1e-5  # nn.BatchNorm1d's default


def _takes_slope(values: dict) -> bool:
    return activations.ACTIVATIONS[values.get("activation", "none")].takes_slope


@dataclass(frozen=True)
class NetConfig:
    """The course's demo by default: 100 layers of nn.Linear(256, 256, bias=False), a batch of
    16, no activation, weights re-drawn with nn.init.normal_(std=1), seed 3. initialize=False
    keeps the weights nn.Linear drew at construction (the course's BatchNorm demo leaves its
    initialize() call commented out); batchnorm puts a train-mode nn.BatchNorm1d after every
    Linear, before the activation."""

    depth: int = setting(100, low=1, high=200, step=1)
    width: int = setting(256, low=2, high=1024, step=1)
    batch: int = setting(16, low=1, high=128, step=1)
    activation: str = setting("none", choices=activations.ACTIVATIONS.keys())
    negative_slope: float = setting(0.01, low=0.0, high=1.0, step=0.01, format="%.3f",
                                    shown=_takes_slope)
    init: InitSpec = field(default_factory=InitSpec)
    seed: int = setting(3, low=0, high=2**31 - 1, step=1)
    initialize: bool = setting(True)
    batchnorm: bool = setting(False)


SETTINGS = settings_of(NetConfig)
DEPTH, WIDTH, BATCH, SEED = (SETTINGS[name].bound for name in ("depth", "width", "batch", "seed"))
# The course's BatchNorm demo (bn_and_initialize.py): seed 1, nn.Linear's own weights, ReLU.
BATCHNORM_COURSE = NetConfig(activation="relu", seed=1, initialize=False, batchnorm=True)


def work(config: NetConfig) -> int:
    """What a run's time grows with (MAX_WORK)."""
    return config.depth * config.width**2 * (ROWS_PER_WEIGHT + config.batch)


def validate(config: NetConfig) -> tuple[NetConfig, list[Notice]]:
    """Every setting of kind and in bound (a notice for each value clamped), the init method's
    parameters checked, then the budgets: fewer layers, with a notice, where depth × width² is
    too many weights, or the run too much work."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    if config.depth * config.width**2 > MAX_WEIGHTS:
        allowed = MAX_WEIGHTS // config.width**2
        notices.append(Notice("notice.weight_budget", {"depth": config.depth,
                                                       "width": config.width, "used": allowed}))
        config = replace(config, depth=allowed)
    if config.batchnorm and config.batch < 2:  # a batch of one has no variance to divide by
        notices.append(Notice("explosion.batchnorm_batch", {"batch": config.batch}))
        config = replace(config, batch=2)
    config = within_work(config, work, MAX_WORK, "explosion.work_budget", notices)
    return replace(config, init=initializers.validate(config.init, notices)), notices


def within_work(config, work: Callable, budget: float, notice: str, notices: list[Notice]):
    """config (a network's or the init matrix's: depth, width, batch) with as many layers as
    budget allows where work(config), which grows with the depth, is over it, with a notice."""
    if work(config) > budget:
        allowed = max(1, int(budget // work(replace(config, depth=1))))
        notices.append(Notice(notice, {"depth": config.depth, "width": config.width,
                                       "batch": config.batch, "used": allowed}))
        config = replace(config, depth=allowed)
    return config


@dataclass(frozen=True)
class NetResult:
    # one row per layer: std (float32, and float64 of the float32 activations), inf/nan flags,
    # gradient stds, the float64 run's stds, the theory, the backward factor's parts
    layers: pd.DataFrame
    console: list[str]  # the course's printout, line by line
    first_nan_std: int | None  # first layer whose float32 x.std() is nan (where the course stops)
    first_inf: int | None  # first layer with an infinite activation
    first_nan: int | None  # first layer with a nan activation
    loss: float
    trend: str  # "stable", "explodes" or "vanishes"
    growth: float  # geometric-mean factor by which the std changes per layer


# ---- The draws ---------------------------------------------------------------------------------

class Construction:
    """nn.Linear's own weights for one seed and width, layer after layer in the course's order
    (each nn.Linear(n, n, bias=False) draws kaiming_uniform_(a=sqrt(5)) at construction), and
    the generator's state after each layer. Grown as a deeper network asks: one layer deeper draws
    one layer more, a shallower one draws nothing, so a move of the depth reuses the layers
    before it. (The re-initialisation that follows starts from the state after the last layer,
    so it is drawn anew for every depth.)"""

    def __init__(self, seed: int, width: int) -> None:
        self.generator = torch.Generator().manual_seed(seed)
        self.width = width
        self.weights: list[torch.Tensor] = []
        self.states: list[torch.Tensor] = []
        self.lock = threading.Lock()

    def upto(self, depth: int) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The first depth layers' weights, and the generator state after them."""
        with self.lock:
            while len(self.weights) < depth:
                weight = torch.empty(self.width, self.width)
                torch.nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=self.generator)
                self.weights.append(weight)
                self.states.append(self.generator.get_state())
            return self.weights[:depth], self.states[depth - 1]

    @property
    def nbytes(self) -> int:
        return sum(w.nbytes for w in self.weights) + sum(s.nbytes for s in self.states)


# The constructions kept, by (seed, width), the least recently used dropped first past the
# budget: 192 MB holds seven of the course's 100 layers of 256 (26 MB each); one may grow past
# the budget by its own size (at most 64 MB, MAX_WEIGHTS) before the next look-up trims.
CONSTRUCTION_BYTES = 192 * 2**20
_constructions: OrderedDict[tuple[int, int], Construction] = OrderedDict()
_constructions_lock = threading.Lock()


def construction(seed: int, width: int) -> Construction:
    with _constructions_lock:
        found = _constructions.pop((seed, width), None) or Construction(seed, width)
        _constructions[seed, width] = found
        while len(_constructions) > 1 and \
                sum(c.nbytes for c in _constructions.values()) > CONSTRUCTION_BYTES:
            _constructions.popitem(last=False)
        return found


def clear_draws() -> None:
    """Forget every kept draw (benchmarks time a new seed this way)."""
    with _constructions_lock:
        _constructions.clear()
    STANDARD_DRAWS.clear()


def _after_construction(seed: int, depth: int, width: int) -> torch.Tensor:
    """The generator state after every nn.Linear drew its construction weights: those draws move
    the generator by an amount that depends on the depth, so a shallower network is not a prefix
    of a deeper one in the course's order (its re-initialisation starts elsewhere)."""
    return construction(seed, width).upto(depth)[1]


def _orthogonalised(normal: list[torch.Tensor]) -> list[torch.Tensor]:
    """orthogonal_(w, 1.0) of square weights from their normal_(0, 1) draws, as torch computes
    it (the QR factor's columns signed by R's diagonal), every layer in one batched QR."""
    q, r = torch.linalg.qr(torch.stack(normal))
    q *= torch.diagonal(r, dim1=-2, dim2=-1).sign().unsqueeze(-2)
    return list(q)


# The standard fills (initializers.Method.standard): how to make every layer from the state after
# construction, and the fewest entries for which the method's own fill is bitwise the map of it.
# torch's normal_ fills a tensor of 16 entries or more with its vectorised float32 kernel (0 + s·z,
# the product of s and the standard draw) and smaller ones in double precision, which rounds
# otherwise; orthogonal_ draws normal_(0, 1) and multiplies by its gain last; uniform_ maps its
# raw draw the same way at any size (initializers.uniform_map).
STANDARDS = {
    "normal": (lambda config, generator: [
        torch.empty(config.width, config.width).normal_(0, 1, generator=generator)
        for _ in range(config.depth)], 16),
    "uniform": (lambda config, generator: [
        torch.empty(config.width, config.width).uniform_(0, 1, generator=generator)
        for _ in range(config.depth)], 0),
    "orthogonal": (None, 0),  # from the normal draws: orthogonal_ draws exactly those first
}


def _standard_draws(kind: str, config: NetConfig) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The standard fill of every layer in the course's order, and the generator's state after."""
    def make() -> tuple[list[torch.Tensor], torch.Tensor]:
        if kind == "orthogonal":
            normal, state = _standard_draws("normal", config)
            return _orthogonalised(normal), state
        generator = torch.Generator()
        generator.set_state(_after_construction(config.seed, config.depth, config.width))
        return STANDARDS[kind][0](config, generator), generator.get_state()

    return STANDARD_DRAWS.get((kind, config.seed, config.width, config.depth), make)


# The standard draws kept: 256 MB holds ten of the course's networks (26 MB each) or four of
# the largest allowed (64 MB).
STANDARD_DRAWS = ByteBoundCache(
    256 * 2**20, lambda drawn: sum(layer.nbytes for layer in drawn[0]) + drawn[1].nbytes)


def weights_key(config: NetConfig) -> tuple:
    """What the weights depend on beyond (seed, width, depth): two configs with the same key
    have the same weights (the init matrix's cells share them)."""
    if not config.initialize:
        return ("construction",)
    standard = initializers.standard_fill(config.init, config.width, config.width)
    if standard is not None and config.width**2 >= STANDARDS[standard[0]][1]:
        return standard
    return (config.init,)


class Mapped(Sequence):
    """A method's weights made from kept standard fills as each layer is read (one layer's 256 kB
    stays in the cache on its way into the product; a list of all would be written out and read
    back: 26 MB for the course's network)."""

    def __init__(self, standard: str, param: float, kept: list[torch.Tensor]) -> None:
        self.standard, self.param, self.kept = standard, param, kept

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return initializers.from_standard(self.standard, self.param, self.kept[index])

    def __len__(self) -> int:
        return len(self.kept)


def draw_weights(config: NetConfig) -> tuple[Sequence[torch.Tensor], torch.Generator]:
    """All weights, one (width, width) tensor per layer, drawn in the course's order, and the
    generator ready for the input draw.

    Each layer is a tensor of its own, as each nn.Linear's weight is: slices of one stacked
    tensor sit at other memory alignments, and the matmul kernels then round some small shapes
    differently from the course's module. A method whose fill is a map of a standard fill (normal_
    with mean 0 and xavier_normal_ and kaiming_normal_: a multiple of normal_(0, 1); the uniform
    xavier and kaiming: a map of uniform_(0, 1); orthogonal_: a multiple of orthogonal_ with gain
    1) maps the standard fill kept for (seed, width, depth): a move of the std, a gain, the
    activation or the batch draws nothing again."""
    built, state = construction(config.seed, config.width).upto(config.depth)
    generator = torch.Generator()
    generator.set_state(state)
    key = weights_key(config)
    if key == ("construction",):  # views: the kept tensors never take a gradient of their own
        return [weight.detach() for weight in built], generator
    if len(key) == 2:
        kind, param = key
        kept, after = _standard_draws(kind, config)
        generator.set_state(after)
        return Mapped(kind, param, kept), generator
    weights = [initializers.apply(config.init, torch.empty(config.width, config.width), generator)
               for _ in range(config.depth)]  # the re-initialisation, as the course's loop does
    return weights, generator


def draw(config: NetConfig) -> tuple[Sequence[torch.Tensor], torch.Tensor]:
    """The weights (depth tensors of width x width, made as they are read) and then the input
    batch, in the course's order."""
    weights, generator = draw_weights(config)
    return weights, torch.randn(config.batch, config.width, generator=generator)


# ---- The network -------------------------------------------------------------------------------

def batch_norm(h: torch.Tensor) -> torch.Tensor:
    """A fresh nn.BatchNorm1d in train mode: each feature normalised by its batch mean and
    (biased) variance, its weight 1 and bias 0 (bitwise the module's output)."""
    return F.batch_norm(h, None, None, training=True, eps=BATCHNORM_EPS)


class Pass(NamedTuple):
    """A forward pass, layer by layer: each layer's input, its product x Wᵀ, the activation's
    input h (the product, behind a BatchNorm normalised) and its output."""
    inputs: list[torch.Tensor]
    products: list[torch.Tensor]
    activation_inputs: list[torch.Tensor]
    outputs: list[torch.Tensor]


def forward(config: NetConfig, weights, x: torch.Tensor, *, retain_grad: bool = False) -> Pass:
    """The network itself: x Wᵀ (then BatchNorm) = h, x = act(h), layer by layer. retain_grad:
    each product and output keeps its gradient when the pass is backpropagated."""
    activation = activations.function(config.activation, config.negative_slope)
    done = Pass([], [], [], [])
    for weight in weights:
        done.inputs.append(x)
        product = F.linear(x, weight)
        h = batch_norm(product) if config.batchnorm else product
        x = activation(h)
        if retain_grad:
            product.retain_grad()
            x.retain_grad()
        done.products.append(product)
        done.activation_inputs.append(h)
        done.outputs.append(x)
    return done


def _forward_backward(config: NetConfig, weights: list[torch.Tensor], x: torch.Tensor) -> Pass:
    """Forward a batch, then backpropagate loss = output.mean(): every product's and output's
    .grad set, and every weight's that requires one."""
    done = forward(config, weights, x, retain_grad=True)
    done.outputs[-1].mean().backward()
    return done


def run(config: NetConfig) -> NetResult:
    """The network in float32, as the course runs it, forward and backward; where any of its
    stds is not a finite positive number (float32 overflows past 3.4e38 and underflows below
    1e-45), the same weights and input again in float64 (up to 1.8e308), whose numbers go on."""
    weights, x = draw(config)
    weights = [weight.requires_grad_() for weight in weights]  # each with a gradient of its own
    done = _forward_backward(config, weights, x)
    outputs = done.outputs
    with torch.no_grad():
        stacked = torch.stack(outputs).flatten(1)  # (depth, batch * width)
        slopes = activations.slope(config.activation, config.negative_slope)(
            torch.stack(done.activation_inputs))
        layers = pd.DataFrame({
            "layer": range(config.depth),
            # each layer's own x.std(), exactly as the course prints it (a std over a dim of the
            # stacked outputs sums in another order and would not overflow where the course does)
            "std": _each(outputs, torch.Tensor.std),
            "std64": _each(outputs, lambda o: o.double().std()),
            "has_inf": torch.isinf(stacked).any(dim=1).numpy(),
            "has_nan": torch.isnan(stacked).any(dim=1).numpy(),
            "grad_std": _each([w.grad for w in weights], torch.Tensor.std),
            "out_grad_rms": _each([o.grad for o in outputs], _rms),
            "theory_std": theory_std(config),
            "weight_rms": _each(weights, _rms),
            "slope_rms": slopes.flatten(1).square().mean(dim=1).sqrt().tolist(),
        })
    measured = layers[["std", "grad_std", "out_grad_rms"]]
    clean = measured.apply(finite_positive).all(axis=None)
    layers = layers.assign(**({name: math.nan for name in RUN64} if clean
                              else _float64_run(config, weights, x)))
    return NetResult(
        layers=layers,
        console=console_lines(layers, config.batchnorm),
        first_nan_std=_first(layers["std"].isna()),
        first_inf=_first(layers["has_inf"]),
        first_nan=_first(layers["has_nan"]),
        loss=outputs[-1].mean().item(),
        **trend(layers["std"]),
    )


RUN64 = ("run64_std", "run64_grad_std", "run64_out_grad_rms")  # nan where there is no float64 run


def has_float64_run(layers: pd.DataFrame) -> bool:
    return bool(layers["run64_std"].notna().any())


def _float64_run(config: NetConfig, weights: list[torch.Tensor], x: torch.Tensor) -> dict:
    """The float64 run's per-layer stds: outputs, weight gradients, output gradients. Each
    weight's gradient is made from its product's, (dL/d(x Wᵀ))ᵀ·x as autograd makes it, one
    layer at a time: none is kept (they would double the float64 weights' memory)."""
    doubles = (weight.detach().double() for weight in weights)
    done = _forward_backward(config, doubles, x.double().requires_grad_())
    with torch.no_grad():
        return {"run64_std": _each(done.outputs, torch.Tensor.std),
                "run64_grad_std": [(product.grad.t() @ layer_input).std().item() for
                                   product, layer_input in zip(done.products, done.inputs,
                                                               strict=True)],
                "run64_out_grad_rms": _each([o.grad for o in done.outputs], _rms)}


def _rms(tensor: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(tensor) / math.sqrt(tensor.numel())


HEALTHY = (0.1, 10.0)  # the band of layer stds (and of gradients in gradient_unit) called healthy


def in_band(value: float) -> bool:
    return math.isfinite(value) and HEALTHY[0] <= value <= HEALTHY[1]


def gradient_unit(config: NetConfig) -> float:
    """The std of a weight gradient in a network whose every layer has std 1, for loss =
    output.mean(): the last layer's gradient is Σ over the batch of (1/(batch·n))·x, so its std
    is √batch/(batch·n) = 1/(n·√batch). Gradients are called healthy in this unit."""
    return 1 / (config.width * math.sqrt(config.batch))


def backward_health(first: float, last: float, unit: float) -> dict:
    """The first and the last layer's weight-gradient std in gradient_unit, their ratio, and the
    verdict: healthy when all three are within HEALTHY (so gradients are neither vanished nor
    exploded, and reach every layer alike)."""
    ratio = first / last if last else math.nan
    scales = {"first_grad_scale": first / unit, "last_grad_scale": last / unit,
              "grad_ratio": ratio}
    return scales | {"backward_healthy": all(in_band(v) for v in scales.values())}


def backward_verdict(config: NetConfig, result: NetResult) -> dict:
    """backward_health of a run (float32, as the course computes it), with the float64 run's
    first and last gradient where it has one (where float32's are 0, inf or nan)."""
    grads = result.layers["grad_std"]
    found = {"first": grads.iloc[0], "last": grads.iloc[-1], "unit": gradient_unit(config)}
    if has_float64_run(result.layers):
        found |= {"first64": result.layers["run64_grad_std"].iloc[0],
                  "last64": result.layers["run64_grad_std"].iloc[-1]}
    return found | backward_health(found["first"], found["last"], found["unit"])


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
    return torch.stack([statistic(t).double() for t in tensors]).tolist()


def _first(flags: pd.Series) -> int | None:
    hits = flags[flags.astype(bool)]
    return int(hits.index[0]) if len(hits) else None


def console_lines(layers: pd.DataFrame, batchnorm: bool = False) -> list[str]:
    """What the course's forward() prints: `layer:i, std:x.std()` until the std is nan (its
    BatchNorm demo says `layers:i`)."""
    name = "layers" if batchnorm else "layer"
    lines = []
    for row in layers.itertuples():
        lines.append(f"{name}:{row.layer}, std:{row.std}")
        if math.isnan(row.std):
            lines.append(f"output is nan in {row.layer} layers")
            break
    return lines


# ---- What the variance argument predicts ----------------------------------------------------

def settled_std(config: NetConfig) -> float:
    """The std of act(z) for z ~ N(0, 1): where each layer's std settles behind a BatchNorm,
    which gives every feature mean 0 and variance 1 over the batch."""
    return activations.normal_std(config.activation, config.negative_slope)


def theory_std(config: NetConfig) -> list[float]:
    """Predicted std of each layer's output. Behind a BatchNorm it is settled_std at every layer.
    Without, from the variance argument, for piecewise-linear activations with negative-side slope
    a (none: a = 1, relu: a = 0); nan where it does not apply.

    Pre-activations: D(h_0) = n·D(W) and D(h_{l+1}) = n·D(W)·E[x_l²] with E[x²] = (1+a²)/2·D(h).
    The output x = act(h) has std(x) = std(h)·sqrt((1+a²)/2 − (1−a)²/(2π)). Past float64's largest
    value the prediction is inf."""
    if config.batchnorm:
        return [settled_std(config)] * config.depth
    slope = activations.piecewise_linear_slope(config.activation, config.negative_slope)
    w_std = initializers.weight_std(config.init, config.width, config.width) \
        if config.initialize else initializers.weight_std(LINEAR_DEFAULT, config.width,
                                                          config.width)
    if slope is None or w_std is None:
        return [math.nan] * config.depth
    second_moment = (1 + slope**2) / 2
    shrink = math.sqrt(second_moment - (1 - slope) ** 2 / (2 * math.pi))
    first = math.sqrt(config.width) * w_std
    factor = first * math.sqrt(second_moment)
    if first == 0:
        return [0.0] * config.depth
    # in log space, so that 16**100 does not overflow on the way
    log_std = [math.log(first * shrink) + layer * math.log(factor) for layer in range(config.depth)]
    return [math.exp(v) if v < FLOAT64_MAX_LOG else math.inf for v in log_std]


LINEAR_DEFAULT = InitSpec("kaiming_uniform", a=math.sqrt(5))  # what nn.Linear draws itself


def overflow_layer(config: NetConfig) -> int | None:
    """The first layer whose predicted std passes float32's largest value, 3.4e38 (None: none)."""
    log_max = FLOAT32_MAX_LOG
    found = [layer for layer, std in enumerate(theory_std(config))
             if std > 0 and math.log(std) >= log_max]
    return found[0] if found else None


def backward_factors(config: NetConfig, result: NetResult) -> dict[str, float]:
    """The backward pass, layer by layer: the gradient at a layer's input is Wᵀ(f'(h) ⊙ the
    gradient at its output), so it is multiplied, on average, by √(n·mean W²) · rms f'(h)
    (weights and slopes independent). Over the layers behind the last: those factors' geometric
    mean ("predicted"; meaningless behind a BatchNorm, which also divides by each batch's std:
    nan there) and the factor measured from the float64 run's gradients at the first and the last
    layer's outputs ("measured"), and the two parts ("weights", "slope")."""
    layers = result.layers.iloc[1:]
    if not len(layers):
        return {"weights": math.nan, "slope": math.nan, "predicted": math.nan,
                "measured": math.nan, "total": math.nan, "layers": 0}
    weights = math.sqrt(config.width) * _geometric_mean(layers["weight_rms"])
    slope = _geometric_mean(layers["slope_rms"])
    column = "run64_out_grad_rms" if has_float64_run(result.layers) else "out_grad_rms"
    first, last = (result.layers[column].iloc[i] for i in (0, -1))
    total = first / last if last else math.nan
    measured = total ** (1 / len(layers)) if math.isfinite(total) and total >= 0 else math.nan
    return {"weights": weights, "slope": slope,
            "predicted": math.nan if config.batchnorm else weights * slope,
            "measured": measured, "total": total, "layers": len(layers)}


def _geometric_mean(values: pd.Series) -> float:
    positive = values[values > 0]
    return math.exp(positive.map(math.log).mean()) if len(positive) == len(values) else 0.0


# ---- BatchNorm: the initialisation stops mattering ------------------------------------------

# The course's BatchNorm demo's initialize() offers these two, and leaves nn.Linear's own.
BATCHNORM_INITS = {
    "std_one": (True, InitSpec("normal", std=1.0)),
    "kaiming": (True, InitSpec("kaiming_normal")),
    "linear_default": (False, InitSpec()),
}


def batchnorm_inits(config: NetConfig) -> pd.DataFrame:
    """The per-layer float32 x.std() of config's network behind BatchNorm, for each of
    BATCHNORM_INITS (forward only): columns layer, then one per init."""
    columns = {"layer": range(config.depth)}
    for name, (initialize, spec) in BATCHNORM_INITS.items():
        each = replace(config, batchnorm=True, initialize=initialize, init=spec)
        weights, x = draw(each)
        with torch.no_grad():
            columns[name] = _each(forward(each, weights, x).outputs, torch.Tensor.std)
    return pd.DataFrame(columns)


# ---- The scripts --------------------------------------------------------------------------------

def _network_code(config: NetConfig) -> str:
    """The course's MLP class for config (its BatchNorm lesson's, with a BatchNorm)."""
    act = activations.code(config.activation, config.negative_slope)
    steps = ["x = linear(x)", *(["x = bn(x)"] if config.batchnorm else []),
             *([f"x = {act}"] if act != "x" else [])]
    step_code = textwrap.indent("\n".join(steps), " " * 12)
    bns = ("\n        self.bns = nn.ModuleList([nn.BatchNorm1d(width) for _ in range(depth)])"
           if config.batchnorm else "")
    layers = "zip(self.linears, self.bns)" if config.batchnorm else "self.linears"
    each = "(linear, bn)" if config.batchnorm else "linear"
    name = "layers" if config.batchnorm else "layer"
    return f'''class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.linears = nn.ModuleList(
            [nn.Linear(width, width, bias=False) for _ in range(depth)]){bns}

    def forward(self, x):
        seen_nan = False
        for i, {each} in enumerate({layers}):
{step_code}
            if not seen_nan:
                print("{name}:{{}}, std:{{}}".format(i, x.std().item()))
                if torch.isnan(x.std()):
                    print("output is nan in {{}} layers".format(i))
                    seen_nan = True  # the course stops printing here; we go on for the gradients
        return x'''


def _init_code(config: NetConfig, net: str = "net") -> str:
    if not config.initialize:
        return ("# net.initialize() is not called, as in the course: each nn.Linear keeps the\n"
                "# weights it drew at construction, kaiming_uniform_(a=math.sqrt(5))")
    return (f"for linear in {net}.linears:\n"
            + textwrap.indent(initializers.code(config.init, "linear.weight"), "    "))


def to_script(config: NetConfig) -> str:
    """A runnable PyTorch script, in the course's style, that prints this run's numbers."""
    return f'''import math

import torch
import torch.nn as nn

torch.manual_seed({config.seed})
depth, width, batch = {config.depth}, {config.width}, {config.batch}


{_network_code(config)}


net = MLP()
{_init_code(config)}
x = torch.randn(batch, width)
loss = net(x).mean()
loss.backward()
for i, linear in enumerate(net.linears):
    print(f"grad:{{i}}, std:{{linear.weight.grad.std()}}")
'''


def batchnorm_inits_script(config: NetConfig) -> str:
    """A script that runs the course's BatchNorm network with each of BATCHNORM_INITS and prints
    every layer's std: the numbers of batchnorm_inits."""
    calls = {name: (textwrap.indent(initializers.code(spec, "linear.weight"), " " * 12)
                    if initialize else "            pass  # nn.Linear's own weights")
             for name, (initialize, spec) in BATCHNORM_INITS.items()}
    branches = "\n".join(
        f'        {"if" if i == 0 else "elif"} name == "{name}":\n'
        f"{code}" for i, (name, code) in enumerate(calls.items()))
    act = activations.code(config.activation, config.negative_slope)
    return f'''import math

import torch
import torch.nn as nn

depth, width, batch = {config.depth}, {config.width}, {config.batch}
for name in {list(BATCHNORM_INITS)!r}:
    torch.manual_seed({config.seed})
    linears = nn.ModuleList([nn.Linear(width, width, bias=False) for _ in range(depth)])
    bns = nn.ModuleList([nn.BatchNorm1d(width) for _ in range(depth)])
    for linear in linears:
{branches}
    x = torch.randn(batch, width)
    with torch.no_grad():
        for i, (linear, bn) in enumerate(zip(linears, bns)):
            x = linear(x)
            x = bn(x)
            x = {act}
            print(f"{{name}} {{i}} {{x.std().item()}}")
'''
