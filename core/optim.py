"""The optimiser lesson: learning rate and momentum on the course's y = 4x², trajectories of real
`torch.optim` optimisers on 2-D landscapes, an optimiser's anatomy, and a learning-rate × momentum
sweep computed as one batched tensor computation with exactly SGD's update rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import pandas as pd
import torch

from core.bounds import Bound
from core.errors import InputError, Notice
from core.landscapes import LANDSCAPES, Landscape

LR_COUNT = Bound("lr_count", 1, 30)
ITERATIONS = Bound("iterations", 1, 500)
BETA_POINTS = Bound("points", 2, 1000)
STEPS = Bound("steps", 1, 800)
GRID = Bound("grid", 2, 100)
SWEEP_STEPS = Bound("sweep_steps", 1, 500)
CONDITION = Bound("condition", 1.0, 1000.0)
START = Bound("start", -100.0, 100.0)
MAX_RUNS = 4
# Any rate or coefficient a user types: past this torch cannot take it as a float32 scalar.
SETTING_MAX = 1e6
SETTING = Bound("setting", -SETTING_MAX, SETTING_MAX)  # clamped under the setting's own name
# A run has diverged once its loss is not finite or has grown this many times above where it began.
ESCAPE = 1e6


def escaped(loss: torch.Tensor, first: torch.Tensor) -> torch.Tensor:
    """True where a loss has diverged (works on one loss or a batch of them)."""
    return ~torch.isfinite(loss) | (loss > ESCAPE * first.clamp(min=1.0))


def first_index(flags: torch.Tensor) -> torch.Tensor:
    """Per column of a (steps, cells) bool tensor, the first row that is True, or -1."""
    hit = flags.any(dim=0)
    return torch.where(hit, flags.byte().argmax(dim=0), torch.full_like(hit, -1, dtype=torch.long))


# ---- 1. The course's learning-rate lesson: y = 4x², plain gradient descent -------------------

@dataclass(frozen=True)
class LrConfig:
    lr_min: float = 0.01
    lr_max: float = 0.2
    lr_count: int = 10
    iterations: int = 100
    x0: float = 2.0

    @property
    def lrs(self) -> list[float]:
        return torch.linspace(self.lr_min, self.lr_max, self.lr_count).tolist()


ONE_STEP_LR = 1 / 8  # 1 − 8·lr = 0: x₁ = 0
LIMIT_LR = 1 / 4  # 1 − 8·lr = −1: x bounces between ±x₀ forever; beyond it, |x| grows


def validate_lr(config: LrConfig) -> tuple[LrConfig, list[Notice]]:
    for name in ("lr_min", "lr_max", "x0"):
        _number(name, getattr(config, name))
    if config.lr_min < 0:
        raise InputError("error.optim.negative", field="lr_min", value=config.lr_min)
    if config.lr_max < config.lr_min:
        raise InputError("error.optim.order", low="lr_min", high="lr_max",
                         low_value=config.lr_min, high_value=config.lr_max)
    notices: list[Notice] = []
    return replace(config, lr_count=LR_COUNT.clamp(config.lr_count, notices),
                   lr_min=_upper("lr_min", config.lr_min, notices),
                   lr_max=_upper("lr_max", config.lr_max, notices),
                   x0=START.clamp(config.x0, notices),
                   iterations=ITERATIONS.clamp(config.iterations, notices)), notices


def verdict(xs: list[float]) -> str:
    """converges (|x| shrinks without changing sign), oscillates (x changes sign, |x| does not
    grow) or diverges (|x| ends above where it started, or stops being finite)."""
    if not all(math.isfinite(x) for x in xs) or abs(xs[-1]) > abs(xs[0]):
        return "diverges"
    if any(a * b < 0 for a, b in zip(xs, xs[1:], strict=False)):
        return "oscillates"
    return "converges"


def descend_all(lrs: list[float], iterations: int, x0: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The course's loop for every learning rate at once, one element of x per lr:
    y = (2x)², y.backward(), x.data.sub_(lr * x.grad), x.grad.zero_(). Element by element the
    same float32 operations as the course's scalar x, so the same numbers, at a fraction of the
    cost. Returns x and y, (iterations + 1, lrs): before each iteration and after the last."""
    lr = torch.tensor(lrs)
    x = torch.full((len(lrs),), x0, requires_grad=True)
    xs, losses = [x.detach().clone()], []
    for _ in range(iterations):
        y = torch.pow(2 * x, 2)
        y.backward(torch.ones_like(y))
        x.data.sub_(lr * x.grad)
        x.grad.zero_()
        xs.append(x.detach().clone())
        losses.append(y.detach())
    losses.append(torch.pow(2 * x, 2).detach())
    return torch.stack(xs), torch.stack(losses)


def descend(lr: float, iterations: int, x0: float) -> list[float]:
    """The course's loop for one learning rate: x before each iteration and after the last."""
    return descend_all([lr], iterations, x0)[0][:, 0].tolist()


@dataclass(frozen=True)
class LrResult:
    curves: pd.DataFrame  # lr, iteration, x, loss
    summary: pd.DataFrame  # lr, factor (1 − 8·lr), verdict, final_x, final_loss, reached
    checks: pd.DataFrame  # the analytic thresholds, run by torch: lr, x1, final_x, verdict


def threshold_checks(config: LrConfig) -> pd.DataFrame:
    """Run the thresholds themselves: 1/8 (x₁ = 0), 1/4 (|x| stays x₀) and just beyond 1/4."""
    lrs = [ONE_STEP_LR, LIMIT_LR, LIMIT_LR * 1.04]
    xs = descend_all(lrs, config.iterations, config.x0)[0].T.tolist()
    return pd.DataFrame([{"lr": lr, "x1": x[1], "final_x": x[-1], "verdict": verdict(x)}
                         for lr, x in zip(lrs, xs, strict=True)])


def run_lr(config: LrConfig) -> LrResult:
    lrs = config.lrs
    xs, losses = (v.T.tolist() for v in descend_all(lrs, config.iterations, config.x0))
    curves = pd.concat([pd.DataFrame({"lr": lr, "iteration": range(len(x)), "x": x, "loss": y})
                        for lr, x, y in zip(lrs, xs, losses, strict=True)], ignore_index=True)
    summary = pd.DataFrame([{"lr": lr, "factor": 1 - 8 * lr, "verdict": verdict(x),
                             "final_x": x[-1], "final_loss": y[-1],
                             "reached": abs(x[-1]) <= 1e-3 * abs(config.x0)}
                            for lr, x, y in zip(lrs, xs, losses, strict=True)])
    return LrResult(curves, summary, threshold_checks(config))


def lr_script(config: LrConfig) -> str:
    return f'''import torch

lrs = torch.linspace({config.lr_min!r}, {config.lr_max!r}, {config.lr_count}).tolist()
for lr in lrs:
    x = torch.tensor([{config.x0!r}], requires_grad=True)
    for i in range({config.iterations}):
        y = torch.pow(2 * x, 2)  # y = 4x^2
        y.backward()
        x.data.sub_(lr * x.grad)
        x.grad.zero_()
    print(f"lr={{lr}} final x={{x.item()}} loss={{torch.pow(2 * x, 2).item()}}")
'''


# ---- 2. Momentum: exponentially weighted averages, SGD with and without it -------------------

@dataclass(frozen=True)
class MomentumConfig:
    betas: tuple[float, ...] = (0.98, 0.95, 0.9, 0.8)
    points: int = 100
    momentum: float = 0.9  # on the first run, lr = 0.01 (the course also tries 0.63)
    lr_momentum: float = 0.01
    lr_plain: float = 0.03
    iterations: int = 100
    x0: float = 2.0


def validate_momentum(config: MomentumConfig) -> tuple[MomentumConfig, list[Notice]]:
    if not config.betas:
        raise InputError("error.optim.empty_list", field="betas")
    for beta in config.betas:
        _number("betas", beta)
        if not 0 <= beta < 1:
            raise InputError("error.optim.beta_range", field="betas", value=beta)
    for name in ("momentum", "lr_momentum", "lr_plain", "x0"):
        _number(name, getattr(config, name))
    for name in ("momentum", "lr_momentum", "lr_plain"):
        if getattr(config, name) < 0:
            raise InputError("error.optim.negative", field=name, value=getattr(config, name))
    notices: list[Notice] = []
    return replace(config, points=BETA_POINTS.clamp(config.points, notices),
                   momentum=_upper("momentum", config.momentum, notices),
                   lr_momentum=_upper("lr_momentum", config.lr_momentum, notices),
                   lr_plain=_upper("lr_plain", config.lr_plain, notices),
                   x0=START.clamp(config.x0, notices),
                   iterations=ITERATIONS.clamp(config.iterations, notices)), notices


@dataclass(frozen=True)
class MomentumResult:
    weights: pd.DataFrame  # beta, t, weight = (1 − β)·β^t
    runs: pd.DataFrame  # run, iteration, x, loss


def run_momentum(config: MomentumConfig) -> MomentumResult:
    t = torch.arange(config.points, dtype=torch.float32)
    weights = pd.concat([pd.DataFrame({"beta": beta, "t": t.int().tolist(),
                                       "weight": ((1 - beta) * beta ** t).tolist()})
                         for beta in config.betas], ignore_index=True)
    runs = []
    for lr, momentum in ((config.lr_momentum, config.momentum), (config.lr_plain, 0.0)):
        x = torch.tensor([config.x0], requires_grad=True)
        optimizer = torch.optim.SGD([x], lr=lr, momentum=momentum)
        xs, losses = [], []
        for _ in range(config.iterations):
            y = torch.pow(2 * x, 2)
            y.backward()
            xs.append(x.item())
            losses.append(y.item())
            optimizer.step()
            optimizer.zero_grad()
        runs.append(pd.DataFrame({"lr": lr, "momentum": momentum,
                                  "iteration": range(config.iterations), "x": xs,
                                  "loss": losses}))
    return MomentumResult(weights, pd.concat(runs, ignore_index=True))


def momentum_script(config: MomentumConfig) -> str:
    return f'''import torch

for beta in {list(config.betas)!r}:
    t = torch.arange({config.points}, dtype=torch.float32)
    weights = (1 - beta) * beta ** t
    print(f"beta={{beta}} first weights {{weights[:3].tolist()}} sum={{weights.sum().item()}}")

for lr, momentum in [({config.lr_momentum!r}, {config.momentum!r}), ({config.lr_plain!r}, 0.0)]:
    x = torch.tensor([{config.x0!r}], requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=lr, momentum=momentum)
    for i in range({config.iterations}):
        y = torch.pow(2 * x, 2)
        y.backward()
        loss = y.item()
        optimizer.step()
        optimizer.zero_grad()
    print(f"lr={{lr}} momentum={{momentum}} last loss={{loss}}")
'''


# ---- 3. Optimisers on 2-D landscapes, with torch.optim itself --------------------------------

# Each optimiser offered, and the settings the page exposes for it (torch's names; betas split).
OPTIMIZERS = {
    "SGD": ("lr", "momentum", "dampening", "nesterov", "weight_decay"),
    "Adam": ("lr", "beta1", "beta2", "weight_decay", "amsgrad"),
    "AdamW": ("lr", "beta1", "beta2", "weight_decay", "amsgrad"),
    "RMSprop": ("lr", "alpha", "momentum", "centered", "weight_decay"),
    "Adagrad": ("lr", "lr_decay", "weight_decay"),
}
# The state entry drawn as the velocity: SGD's and RMSprop's momentum buffer, Adam's first moment.
VELOCITY = {"SGD": "momentum_buffer", "RMSprop": "momentum_buffer", "Adam": "exp_avg",
            "AdamW": "exp_avg"}


@dataclass(frozen=True)
class OptSpec:
    name: str = "SGD"
    lr: float = 1e-3
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.999
    amsgrad: bool = False
    alpha: float = 0.99
    centered: bool = False
    lr_decay: float = 0.0

    def kwargs(self) -> dict:
        """The keyword arguments of torch.optim.<name> for the settings this optimiser takes."""
        taken = OPTIMIZERS[self.name]
        kwargs = {key: getattr(self, key) for key in taken if not key.startswith("beta")}
        if "beta1" in taken:
            kwargs = {"lr": self.lr, "betas": (self.beta1, self.beta2),
                      **{k: v for k, v in kwargs.items() if k != "lr"}}
        return kwargs

    def make(self, params) -> torch.optim.Optimizer:
        return getattr(torch.optim, self.name)(params, **self.kwargs())

    def code(self, params: str) -> str:
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.kwargs().items())
        return f"torch.optim.{self.name}({params}, {arguments})"

    def label(self) -> str:
        return f"{self.name}(" + ", ".join(
            f"{k}={_short(v)}" for k, v in self.kwargs().items()
            if k == "lr" or v != _TORCH_DEFAULTS[self.name].get(k)) + ")"


def _short(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


_TORCH_DEFAULTS = {name: getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
                   for name in OPTIMIZERS}


def setting_default(name: str, setting: str):
    """Where a setting starts: torch's own default for that optimiser."""
    defaults = _TORCH_DEFAULTS[name]
    if setting.startswith("beta"):
        return defaults["betas"][int(setting[-1]) - 1]
    return defaults[setting]


def validate_spec(spec: OptSpec, run: int, notices: list[Notice]) -> OptSpec:
    """Reject settings torch.optim would refuse, naming the run and the setting; clamp huge ones."""
    if spec.name not in OPTIMIZERS:
        raise InputError("error.unknown_choice", field=f"run {run} optimizer", value=spec.name)
    for key in OPTIMIZERS[spec.name]:
        value = getattr(spec, key)
        if isinstance(value, bool):
            continue
        _number(f"run {run} {key}", value)
        if value < 0:
            raise InputError("error.optim.run_negative", run=run, field=key, value=value)
        if key.startswith("beta") and value >= 1:
            raise InputError("error.optim.run_beta", run=run, field=key, value=value)
    if spec.name == "SGD" and spec.nesterov and (spec.momentum <= 0 or spec.dampening != 0):
        raise InputError("error.optim.nesterov", run=run)
    return replace(spec, **{key: _upper(f"run {run} {key}", getattr(spec, key), notices)
                            for key in OPTIMIZERS[spec.name]
                            if not isinstance(getattr(spec, key), bool)})


@dataclass(frozen=True)
class PathConfig:
    landscape: str = "rosenbrock"
    condition: float = 10.0  # of the quadratic: the ratio of its two curvatures
    start: tuple[float, float] = (-1.5, 2.0)
    steps: int = 300
    runs: tuple[OptSpec, ...] = (
        OptSpec("SGD", lr=1e-3), OptSpec("SGD", lr=1e-3, momentum=0.9),
        OptSpec("Adam", lr=0.05), OptSpec("RMSprop", lr=0.01),
    )
    zero_grad: bool = True  # False: the loop "forgets" optimizer.zero_grad()

    @property
    def surface(self) -> Landscape:
        return LANDSCAPES[self.landscape]


def validate_path(config: PathConfig) -> tuple[PathConfig, list[Notice]]:
    if config.landscape not in LANDSCAPES:
        raise InputError("error.unknown_choice", field="landscape", value=config.landscape)
    if not config.runs:
        raise InputError("error.optim.no_runs")
    notices: list[Notice] = []
    runs = tuple(validate_spec(spec, i + 1, notices)
                 for i, spec in enumerate(config.runs[:MAX_RUNS]))
    return replace(
        config, runs=runs, steps=STEPS.clamp(config.steps, notices),
        condition=CONDITION.clamp(float(config.condition), notices),
        start=tuple(START.clamp(float(v), notices) for v in config.start),
    ), notices


@dataclass(frozen=True)
class PathResult:
    # run, label, step, x, y, loss, grad_x, grad_y (p.grad that step), vel_x, vel_y (the velocity
    # buffer after the step; nan when the optimiser keeps none)
    paths: pd.DataFrame
    diverged_at: tuple[int | None, ...]  # per run: the step whose loss escaped, or None
    surface: pd.DataFrame  # x, x2, y, y2 (cell edges), loss: the contour grid


def trajectory(config: PathConfig, spec: OptSpec, steps: int | None = None):
    """Run one optimiser from the start point for `steps` steps (the Config's by default); yields
    (step, position, loss, p.grad, optimizer) before each step and after the last, and stops at
    the first escaped loss, which it yields with grad None."""
    surface, c = config.surface, config.condition
    p = torch.tensor(config.start, requires_grad=True)
    optimizer = spec.make([p])
    steps = config.steps if steps is None else steps
    first = None
    for step in range(steps + 1):
        if config.zero_grad:
            optimizer.zero_grad()
        loss = surface.f(p[0], p[1], c)
        first = loss.detach() if first is None else first
        position = p.detach().clone()
        if escaped(loss.detach(), first):
            yield step, position, loss.detach(), None, optimizer
            return
        loss.backward()
        if step < steps:
            optimizer.step()
        yield step, position, loss.detach(), p.grad.clone(), optimizer


def run_path(config: PathConfig, spec: OptSpec) -> tuple[pd.DataFrame, int | None]:
    """One run's trajectory (step, x, y, loss, grad_x, grad_y, vel_x, vel_y) and the step at which
    it diverged (None if it did not)."""
    rows, stop = [], None
    for step, position, loss, grad, optimizer in trajectory(config, spec):
        if grad is None:
            stop = step
        velocity = _velocity(spec, optimizer) if grad is not None else [math.nan] * 2
        rows.append((step, *position.tolist(), loss.item(),
                     *(grad.tolist() if grad is not None else [math.nan] * 2), *velocity))
    return pd.DataFrame(rows, columns=["step", "x", "y", "loss", "grad_x", "grad_y", "vel_x",
                                       "vel_y"]), stop


def combine(config: PathConfig, runs: list[tuple[pd.DataFrame, int | None]]) -> PathResult:
    """The runs' trajectories in one tidy frame, labelled "1: SGD(lr=0.001)" and so on."""
    frames = [frame.assign(run=i + 1, label=f"{i + 1}: {spec.label()}")
              for i, (spec, (frame, _)) in enumerate(zip(config.runs, runs, strict=True))]
    return PathResult(pd.concat(frames, ignore_index=True), tuple(stop for _, stop in runs),
                      surface_grid(config))


def run_paths(config: PathConfig) -> PathResult:
    return combine(config, [run_path(config, spec) for spec in config.runs])


def _velocity(spec: OptSpec, optimizer: torch.optim.Optimizer) -> list[float]:
    state = next(iter(optimizer.state.values()), {})
    buffer = state.get(VELOCITY.get(spec.name, ""))
    return buffer.tolist() if isinstance(buffer, torch.Tensor) else [math.nan, math.nan]


def arrows(paths: pd.DataFrame, step: int, view: tuple[float, float, float, float],
           length: float = 0.12) -> pd.DataFrame:
    """At each run's point at `step`: the descent direction −grad and the velocity −buffer, as
    arrows of a fixed length (a fraction of the view) so that directions compare; `size` keeps
    the true magnitude and `angle` turns an arrow head (degrees clockwise from up)."""
    x_span, y_span = view[1] - view[0], view[3] - view[2]
    rows = []
    for row in paths[paths["step"] == step].itertuples():
        for kind, (dx, dy) in (("gradient", (-row.grad_x, -row.grad_y)),
                               ("velocity", (-row.vel_x, -row.vel_y))):
            u, v = dx / x_span, dy / y_span  # in screen proportions
            size = math.hypot(u, v)
            if not math.isfinite(size) or size == 0:
                continue
            rows.append({"label": row.label, "kind": kind, "x": row.x, "y": row.y,
                         "x2": row.x + length * u / size * x_span,
                         "y2": row.y + length * v / size * y_span,
                         "angle": math.degrees(math.atan2(u, v)) % 360,
                         "size": math.hypot(dx, dy)})
    return pd.DataFrame(rows, columns=["label", "kind", "x", "y", "x2", "y2", "angle", "size"])


def surface_grid(config: PathConfig, cells: int = 60) -> pd.DataFrame:
    x_min, x_max, y_min, y_max = config.surface.view
    xs = torch.linspace(x_min, x_max, cells + 1, dtype=torch.float64)
    ys = torch.linspace(y_min, y_max, cells + 1, dtype=torch.float64)
    cx, cy = (xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2
    gx, gy = torch.meshgrid(cx, cy, indexing="ij")
    loss = config.surface.f(gx, gy, config.condition)
    ex, ey = torch.meshgrid(torch.arange(cells), torch.arange(cells), indexing="ij")
    return pd.DataFrame({"x": xs[ex.flatten()].numpy(), "x2": xs[ex.flatten() + 1].numpy(),
                         "y": ys[ey.flatten()].numpy(), "y2": ys[ey.flatten() + 1].numpy(),
                         "loss": loss.flatten().numpy()})


def path_script(config: PathConfig) -> str:
    f = config.surface.source(config.surface.code, config.condition)
    runs = ",\n    ".join(f"lambda p: {spec.code('[p]')}" for spec in config.runs)
    zero = "" if config.zero_grad else "  # the loop forgets optimizer.zero_grad()"
    clear = "optimizer.zero_grad()" if config.zero_grad else "pass"
    return f'''import torch


def f(x, y):
    return {f}


optimizers = [
    {runs},
]
for run, make in enumerate(optimizers, start=1):
    p = torch.tensor({list(config.start)!r}, requires_grad=True)
    optimizer = make(p)
    first = None
    for step in range({config.steps} + 1):
        {clear}{zero}
        loss = f(p[0], p[1])
        first = loss.item() if first is None else first
        if not torch.isfinite(loss) or loss.item() > {ESCAPE!r} * max(first, 1.0):
            print(f"run {{run}}: diverged at step {{step}}")
            break
        loss.backward()
        x, y = p.tolist()
        print(f"run {{run}} step {{step}}: x={{x}} y={{y}} loss={{loss.item()}}")
        if step < {config.steps}:
            optimizer.step()
'''


# ---- 4. Anatomy of an optimiser --------------------------------------------------------------

@dataclass(frozen=True)
class Anatomy:
    defaults: pd.DataFrame  # key, value
    param_groups: pd.DataFrame  # group, key, value
    state: pd.DataFrame  # param, key, value
    state_dict: dict  # optimizer.state_dict() with tensors as lists
    grads: pd.DataFrame  # step, fresh gradient and p.grad (they differ when zero_grad is forgotten)


def anatomy(config: PathConfig, run: int, k: int) -> Anatomy:
    """The optimiser of run `run` (1-based) after k steps of the trajectory."""
    spec = config.runs[run - 1]
    rows, previous = [], None
    for step, _, _, grad, optimizer in trajectory(config, spec, steps=k):  # noqa: B007
        if grad is None or step == k:
            break
        fresh = grad if config.zero_grad or previous is None else grad - previous
        rows.append({"step": step, "fresh_x": fresh[0].item(), "fresh_y": fresh[1].item(),
                     "grad_x": grad[0].item(), "grad_y": grad[1].item()})
        previous = grad
    groups = [(i, key, _readable(value)) for i, group in enumerate(optimizer.param_groups)
              for key, value in group.items()]
    state = [(0, key, _readable(value)) for values in optimizer.state.values()
             for key, value in values.items()]
    return Anatomy(
        defaults=pd.DataFrame([(k_, _readable(v)) for k_, v in optimizer.defaults.items()],
                              columns=["key", "value"]),
        param_groups=pd.DataFrame(groups, columns=["group", "key", "value"]),
        state=pd.DataFrame(state, columns=["param", "key", "value"]),
        state_dict=_plain(optimizer.state_dict()),
        grads=pd.DataFrame(rows, columns=["step", "fresh_x", "fresh_y", "grad_x", "grad_y"]),
    )


def _readable(value) -> str:
    if isinstance(value, list) and value and isinstance(value[0], torch.Tensor):
        return ", ".join(f"Parameter of shape {tuple(v.shape)}" for v in value)
    if isinstance(value, torch.Tensor):
        return str([round(v, 6) for v in value.flatten().tolist()])
    return repr(value)


def _plain(value):
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


COURSE_SEED = 1  # the course's anatomy example runs set_seed(1)


def course_anatomy() -> list[str]:
    """The course's optimizer example (set_seed(1)), printed line by line as torch 2.13 runs it:
    step, zero_grad, add_param_group, then state_dict before and after 10 momentum steps."""
    generator = torch.Generator().manual_seed(COURSE_SEED)
    out: list[str] = []
    weight = torch.randn((2, 2), generator=generator, requires_grad=True)
    weight.grad = torch.ones((2, 2))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    out.append(f"weight before step:{weight.data}")
    optimizer.step()
    out.append(f"weight after step:{weight.data}")
    out.append(f"weight.grad is {weight.grad}")
    optimizer.zero_grad()
    out.append(f"after optimizer.zero_grad(), weight.grad is {weight.grad}")
    w2 = torch.randn((3, 3), generator=generator, requires_grad=True)
    optimizer.add_param_group({"params": w2, "lr": 0.0001})
    out.append("lr of each group after add_param_group: "
               f"{[g['lr'] for g in optimizer.param_groups]}")
    optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
    out.append(f"state_dict before step: {optimizer.state_dict()}")
    for _ in range(10):
        optimizer.step()
    out.append(f"state_dict after step: {optimizer.state_dict()}")
    weight.grad = torch.ones((2, 2))  # what the course saw: its zero_grad left a zero tensor
    for _ in range(10):
        optimizer.step()
    out.append(f"with a gradient of ones, after 10 more steps: {optimizer.state_dict()['state']}")
    return out


COURSE_ANATOMY_SCRIPT = '''import torch

torch.manual_seed(1)
weight = torch.randn((2, 2), requires_grad=True)
weight.grad = torch.ones((2, 2))
optimizer = torch.optim.SGD([weight], lr=0.1)
print(f"weight before step:{weight.data}")
optimizer.step()
print(f"weight after step:{weight.data}")
print(f"weight.grad is {weight.grad}")
optimizer.zero_grad()  # torch >= 2.0 sets the gradient to None (set_to_none=True)
print(f"after optimizer.zero_grad(), weight.grad is {weight.grad}")
w2 = torch.randn((3, 3), requires_grad=True)
optimizer.add_param_group({"params": w2, "lr": 0.0001})
print("lr of each group after add_param_group: "
      f"{[g['lr'] for g in optimizer.param_groups]}")
optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
print(f"state_dict before step: {optimizer.state_dict()}")
for _ in range(10):
    optimizer.step()  # weight.grad is None: SGD skips the parameter, no momentum buffer
print(f"state_dict after step: {optimizer.state_dict()}")
weight.grad = torch.ones((2, 2))
for _ in range(10):
    optimizer.step()
print(f"with a gradient of ones, after 10 more steps: {optimizer.state_dict()['state']}")
'''

EXERCISE = ((0.01, 0.9), (0.02, 0.8), (0.03, 0.7))  # the course's three groups: (lr, momentum)


def three_groups(seed: int, k: int) -> pd.DataFrame:
    """The course's exercise: one SGD with three parameter groups, each w = randn(2, 2) with a
    gradient of ones, after k steps: each group's lr, momentum and momentum buffer."""
    generator = torch.Generator().manual_seed(seed)
    weights = [torch.randn((2, 2), generator=generator, requires_grad=True) for _ in EXERCISE]
    optimizer = torch.optim.SGD(
        [{"params": w, "lr": lr, "momentum": m} for w, (lr, m) in zip(weights, EXERCISE,
                                                                        strict=True)])
    for w in weights:
        w.grad = torch.ones((2, 2))
    for _ in range(k):
        optimizer.step()
    rows = []
    for i, (group, w) in enumerate(zip(optimizer.param_groups, weights, strict=True)):
        buffer = optimizer.state[w].get("momentum_buffer")
        rows.append({"group": i, "lr": group["lr"], "momentum": group["momentum"],
                     "buffer": math.nan if buffer is None else buffer[0, 0].item(),
                     "weight[0,0]": w[0, 0].item()})
    return pd.DataFrame(rows)


# ---- 5. The sweep: learning rate × momentum, all cells as one batched computation ------------

@dataclass(frozen=True)
class SweepConfig:
    landscape: str = "rosenbrock"
    condition: float = 10.0
    start: tuple[float, float] = (-1.5, 2.0)
    lr_min: float = 1e-5
    lr_max: float = 3e-3
    lr_count: int = 40
    momentum_min: float = 0.0
    momentum_max: float = 0.99
    momentum_count: int = 40
    steps: int = 200
    dampening: float = 0.0
    nesterov: bool = False
    tol: float = 1e-3  # steps to tolerance: the first step whose loss is below it

    @property
    def surface(self) -> Landscape:
        return LANDSCAPES[self.landscape]

    def grid(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per cell, learning rate (log-spaced, fastest-varying) and momentum."""
        lrs = torch.logspace(math.log10(self.lr_min), math.log10(self.lr_max), self.lr_count)
        moms = torch.linspace(self.momentum_min, self.momentum_max, self.momentum_count)
        m, lr = torch.meshgrid(moms, lrs, indexing="ij")
        return lr.flatten(), m.flatten()


def validate_sweep(config: SweepConfig) -> tuple[SweepConfig, list[Notice]]:
    if config.landscape not in LANDSCAPES:
        raise InputError("error.unknown_choice", field="landscape", value=config.landscape)
    for item in fields(config):
        value = getattr(config, item.name)
        if isinstance(value, float):
            _number(item.name, value)
    for name in ("lr_min", "tol"):
        if getattr(config, name) <= 0:
            raise InputError("error.optim.positive", field=name, value=getattr(config, name))
    if config.momentum_min < 0:
        raise InputError("error.optim.negative", field="momentum_min", value=config.momentum_min)
    for low, high in (("lr_min", "lr_max"), ("momentum_min", "momentum_max")):
        if getattr(config, high) < getattr(config, low):
            raise InputError("error.optim.order", low=low, high=high,
                             low_value=getattr(config, low), high_value=getattr(config, high))
    if config.nesterov and (config.momentum_min <= 0 or config.dampening != 0):
        raise InputError("error.optim.sweep_nesterov")
    notices: list[Notice] = []
    return replace(
        config, lr_count=GRID.clamp(config.lr_count, notices),
        momentum_count=GRID.clamp(config.momentum_count, notices),
        steps=SWEEP_STEPS.clamp(config.steps, notices),
        condition=CONDITION.clamp(float(config.condition), notices),
        start=tuple(START.clamp(float(v), notices) for v in config.start),
        **{name: _upper(name, getattr(config, name), notices)
           for name in ("lr_min", "lr_max", "momentum_min", "momentum_max", "dampening", "tol")},
    ), notices


def sweep_losses(config: SweepConfig, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Loss of every cell before each step and after the last, (steps + 1, cells), all cells at
    once. The update is torch.optim.SGD's (_single_tensor_sgd) with a per-cell lr and momentum:
    buf = g on the first step, then buf = momentum·buf + (1 − dampening)·g; the step is buf (or
    g + momentum·buf with nesterov), or g itself where momentum is 0; p −= lr·step."""
    surface, c = config.surface, config.condition
    lr, m = (v.to(dtype) for v in config.grid())
    no_momentum = m == 0
    p = torch.tensor(config.start, dtype=dtype).unsqueeze(1).repeat(1, lr.shape[0])  # (2, cells)
    buf = None
    with torch.inference_mode():
        # Each step's losses as it goes (the path itself is not kept): the peak memory is the
        # losses alone, and every operation stays under torch's parallel grain (32768 elements)
        # at the largest grid, so a busy second core cannot stall the computation.
        losses = [surface.f(p[0], p[1], c)]
        for _ in range(config.steps):
            g = torch.stack(surface.grad(p[0], p[1], c))
            buf = g.clone() if buf is None else buf.mul_(m).add_(g, alpha=1 - config.dampening)
            direction = g.add(buf * m) if config.nesterov else buf
            if config.dampening:  # with momentum 0, torch.optim.SGD steps by g itself
                direction = torch.where(no_momentum, g, direction)
            p = torch.addcmul(p, lr, direction, value=-1)
            losses.append(surface.f(p[0], p[1], c))
        return torch.stack(losses)


def sweep_reference(config: SweepConfig, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The same (steps + 1, cells) losses, one torch.optim.SGD per cell with autograd: slow."""
    surface, c = config.surface, config.condition
    columns = []
    for lr, m in zip(*config.grid(), strict=True):
        p = torch.tensor(config.start, dtype=dtype, requires_grad=True)
        optimizer = torch.optim.SGD([p], lr=lr.item(), momentum=m.item(),
                                    dampening=config.dampening, nesterov=config.nesterov)
        losses = []
        for step in range(config.steps + 1):
            optimizer.zero_grad()
            loss = surface.f(p[0], p[1], c)
            losses.append(loss.detach())
            if step < config.steps:
                loss.backward()
                optimizer.step()
        columns.append(torch.stack(losses))
    return torch.stack(columns, dim=1)


@dataclass(frozen=True)
class SweepResult:
    # lr, momentum, lr_lo, lr_hi, m_lo, m_hi (cell edges), final_loss, diverged_at (-1: never),
    # steps_to_tol (-1: never)
    cells: pd.DataFrame


def summarise(config: SweepConfig, losses: torch.Tensor) -> SweepResult:
    lr, m = config.grid()
    bad = escaped(losses, losses[0])
    diverged_at = first_index(bad)
    before = torch.arange(len(losses)).unsqueeze(1) < diverged_at.where(diverged_at >= 0,
                                                                         len(losses))
    reached = first_index((losses < config.tol) & before)
    lr_log = torch.log10(lr)
    lr_half = (math.log10(config.lr_max) - math.log10(config.lr_min)) / max(
        config.lr_count - 1, 1) / 2 or 0.5
    m_half = (config.momentum_max - config.momentum_min) / max(
        config.momentum_count - 1, 1) / 2 or 0.005
    final = losses[-1].double()
    return SweepResult(pd.DataFrame({
        "lr": lr.tolist(), "momentum": m.tolist(),
        "lr_lo": (10 ** (lr_log - lr_half)).tolist(), "lr_hi": (10 ** (lr_log + lr_half)).tolist(),
        "m_lo": (m - m_half).tolist(), "m_hi": (m + m_half).tolist(),
        "final_loss": torch.where(diverged_at >= 0, torch.nan, final).tolist(),
        "diverged_at": diverged_at.tolist(), "steps_to_tol": reached.tolist(),
    }))


def run_sweep(config: SweepConfig) -> SweepResult:
    return summarise(config, sweep_losses(config))


def sweep_script(config: SweepConfig) -> str:
    surface = config.surface
    f = surface.source(surface.code, config.condition)
    gx, gy = (surface.source(code, config.condition) for code in surface.grad_code)
    step = "g.add(buf * m)" if config.nesterov else "buf"
    return f'''import math

import torch

# Every (lr, momentum) cell at once, with torch.optim.SGD's update rule and the closed-form
# gradient; torch.optim.SGD run cell by cell gives the same losses.
lrs = torch.logspace(math.log10({config.lr_min!r}), math.log10({config.lr_max!r}),
                     {config.lr_count})
moms = torch.linspace({config.momentum_min!r}, {config.momentum_max!r}, {config.momentum_count})
m, lr = torch.meshgrid(moms, lrs, indexing="ij")
lr, m = lr.flatten(), m.flatten()
p = torch.tensor({list(config.start)!r}).unsqueeze(1).repeat(1, lr.shape[0])  # (2, cells)
buf = None
path = [p]
for step in range({config.steps}):
    x, y = p
    g = torch.stack([{gx}, {gy}])
    buf = g.clone() if buf is None else buf.mul_(m).add_(g, alpha={1 - config.dampening!r})
    p = torch.addcmul(p, lr, torch.where(m == 0, g, {step}), value=-1)  # p -= lr * step
    path.append(p)
x, y = torch.stack(path).unbind(1)
losses = {f}
bad = ~torch.isfinite(losses) | (losses > {ESCAPE!r} * losses[0].clamp(min=1.0))
for cell in range(lr.shape[0]):
    if bad[:, cell].any():
        print(f"lr={{lr[cell].item():.6g}} momentum={{m[cell].item():.4f}} "
              f"diverged at step {{int(bad[:, cell].int().argmax())}}")
    else:
        print(f"lr={{lr[cell].item():.6g}} momentum={{m[cell].item():.4f}} "
              f"final loss {{losses[-1, cell].item()!r}}")
'''


def to_script(config) -> str:
    """The runnable script for any of the lesson's Configs."""
    scripts = {LrConfig: lr_script, MomentumConfig: momentum_script, PathConfig: path_script,
               SweepConfig: sweep_script}
    return scripts[type(config)](config)


def _upper(name: str, value: float, notices: list[Notice]) -> float:
    return replace(SETTING, field=name).clamp(float(value), notices)


def _number(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError("error.not_a_number", field=name, value=value)

