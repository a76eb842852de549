"""Inside an optimiser: its defaults, param_groups, state and state_dict; the course's example of
step, zero_grad, add_param_group and state_dict (one script, shown and run); the course's exercise
of one SGD with three parameter groups; and SparseAdam, which takes sparse gradients only."""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass, field, replace

import pandas as pd
import torch

from core.bounds import Bound
from core.errors import Notice
from core.optim.common import MAX_RUNS
from core.optim.paths import STEPS, PathConfig, trajectory, validate_path
from core.settings import setting, validate_settings

SEED = {"low": 0, "high": 2**31 - 1, "step": 1}


@dataclass(frozen=True)
class AnatomyConfig:
    """What the landscape run's anatomy shows: run `run` (1-based) of `runs` after k steps."""
    runs: PathConfig = field(default_factory=PathConfig)
    run: int = setting(1, choices=tuple(range(1, MAX_RUNS + 1)))
    k: int = setting(10, low=0, high=STEPS.high, step=1)


def validate_anatomy(config: AnatomyConfig) -> tuple[AnatomyConfig, list[Notice]]:
    """The runs validated as the landscape tab does; run and k clamped to what the runs have."""
    runs, notices = validate_path(config.runs)
    return replace(config, runs=runs,
                   run=Bound("run", 1, len(runs.runs)).clamp(int(config.run), notices),
                   k=Bound("k", 0, runs.steps).clamp(int(config.k), notices)), notices


@dataclass(frozen=True)
class CourseConfig:
    """The course's anatomy example: set_seed(1)."""
    seed: int = setting(1, **SEED)


@dataclass(frozen=True)
class ExerciseConfig:
    """The course's exercise: one SGD with three groups, k steps with a gradient of ones."""
    seed: int = setting(1, **SEED)
    k: int = setting(10, low=1, high=STEPS.high, step=1)


def validate_example(config):
    """A CourseConfig or an ExerciseConfig: its settings of kind and in range."""
    notices: list[Notice] = []
    return validate_settings(config, notices), notices


@dataclass(frozen=True)
class Anatomy:
    defaults: pd.DataFrame  # key, value
    param_groups: pd.DataFrame  # group, key, value
    state: pd.DataFrame  # param, key, value
    state_dict: dict  # optimizer.state_dict() with tensors as lists
    grads: pd.DataFrame  # step, fresh gradient and p.grad (they differ when zero_grad is forgotten)
    steps: int  # the steps taken: k, or fewer where the run diverged
    diverged_at: int | None  # the step after which the loss escaped (paths.run_path's), or None


def anatomy(config: PathConfig, run: int, k: int) -> Anatomy:
    """The optimiser of run `run` (1-based) after k steps of the trajectory, or after the step
    where its loss escaped (the trajectory stops there, as the landscape tab's path does)."""
    spec = config.runs[run - 1]
    rows, previous, optimizer, point = [], None, None, None
    for point in trajectory(config, spec, steps=k):
        optimizer = point.optimizer
        if point.grad is None or point.step == k:
            break
        grad = point.grad
        fresh = grad if config.zero_grad or previous is None else grad - previous
        rows.append({"step": point.step, "fresh_x": fresh[0].item(), "fresh_y": fresh[1].item(),
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
        steps=point.step, diverged_at=point.step if point.grad is None else None,
    )


def _readable(value) -> str:
    if isinstance(value, list) and value and all(isinstance(v, torch.Tensor) and v.requires_grad
                                                 for v in value):
        return ", ".join(f"Parameter {tuple(v.shape)}" for v in value)  # short: a table cell
    if isinstance(value, list):  # LBFGS's history: lists of tensors
        return "[" + ", ".join(_readable(v) for v in value) + "]"
    if isinstance(value, torch.Tensor):  # significant digits: a state entry can be 5e-06 or 1e9
        return "[" + ", ".join(f"{v:.8g}" for v in value.flatten().tolist()) + "]"
    return repr(value)


def _plain(value):
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# ---- the course's example: written once, as the script the page shows --------------------------

COURSE_SEED = CourseConfig().seed  # the course's anatomy example runs set_seed(1)

# Its prints in the course's order and with its labels. The seed is a private generator (the same
# numbers as the course's torch.manual_seed, without touching torch's global one); the last two
# blocks are ours: the course's momentum buffer comes from a gradient of ones (the weight's when
# its momentum steps ran), and a zero gradient (zero_grad() before torch 2.0) gives zeros.
_COURSE_SCRIPT = '''import torch

generator = torch.Generator().manual_seed({seed})  # the course's set_seed({seed})
weight = torch.randn((2, 2), generator=generator, requires_grad=True)
weight.grad = torch.ones((2, 2))
optimizer = torch.optim.SGD([weight], lr=0.1)

print("weight before step:{{}}".format(weight.data))
optimizer.step()
print("weight after step:{{}}".format(weight.data))
print("weight.grad is {{}}\\n".format(weight.grad))
optimizer.zero_grad()  # torch >= 2.0: weight.grad becomes None (set_to_none=True)
print("after optimizer.zero_grad(), weight.grad is\\n{{}}".format(weight.grad))

print("optimizer.param_groups is\\n{{}}".format(optimizer.param_groups))
w2 = torch.randn((3, 3), generator=generator, requires_grad=True)
optimizer.add_param_group({{"params": w2, "lr": 0.0001}})
print("optimizer.param_groups is\\n{{}}".format(optimizer.param_groups))

optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
opt_state_dict = optimizer.state_dict()
print("state_dict before step:\\n", opt_state_dict)
for i in range(10):
    optimizer.step()  # weight.grad is None: SGD skips the weight, no momentum buffer
print("state_dict after step:\\n", optimizer.state_dict())

weight.grad = torch.ones((2, 2))  # the gradient of ones the course's buffer comes from
for i in range(10):
    optimizer.step()
print("with weight.grad = ones, state_dict after 10 more steps:\\n", optimizer.state_dict())

optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
optimizer.zero_grad(set_to_none=False)  # torch < 2.0's zero_grad(): a zero gradient, not None
for i in range(10):
    optimizer.step()
print("zero_grad(set_to_none=False), state_dict after 10 steps:\\n", optimizer.state_dict())
'''


def course_script(seed: int = COURSE_SEED) -> str:
    """The course's anatomy example as the page shows it."""
    return _COURSE_SCRIPT.format(seed=seed)


def course_anatomy(seed: int = COURSE_SEED) -> str:
    """What course_script(seed) prints: the script itself, run here (our own constant source)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(course_script(seed), "<course anatomy>", "exec"), {})  # noqa: S102
    return printed.getvalue()


# ---- the course's exercise: one SGD, three parameter groups -------------------------------------

EXERCISE = ((0.01, 0.9), (0.02, 0.8), (0.03, 0.7))  # the course's three groups: (lr, momentum)


def exercise(seed: int, k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The course's exercise: one SGD with three parameter groups, each w = randn(2, 2) with a
    gradient of ones, after k steps (group, lr, momentum, buffer, weight[0,0]), and each group's
    buffer after every step on the way (step, group, momentum, buffer)."""
    generator = torch.Generator().manual_seed(seed)
    weights = [torch.randn((2, 2), generator=generator, requires_grad=True) for _ in EXERCISE]
    optimizer = torch.optim.SGD(
        [{"params": w, "lr": lr, "momentum": m} for w, (lr, m) in zip(weights, EXERCISE,
                                                                        strict=True)])
    for w in weights:
        w.grad = torch.ones((2, 2))
    history = []
    for step in range(1, k + 1):
        optimizer.step()
        history += [{"step": step, "group": i, "momentum": m,
                     "buffer": optimizer.state[w]["momentum_buffer"][0, 0].item()}
                    for i, (w, (_, m)) in enumerate(zip(weights, EXERCISE, strict=True))]
    rows = []
    for i, (group, w) in enumerate(zip(optimizer.param_groups, weights, strict=True)):
        buffer = optimizer.state[w].get("momentum_buffer")
        rows.append({"group": i, "lr": group["lr"], "momentum": group["momentum"],
                     "buffer": math.nan if buffer is None else buffer[0, 0].item(),
                     "weight[0,0]": w[0, 0].item()})
    return pd.DataFrame(rows), pd.DataFrame(history, columns=["step", "group", "momentum",
                                                              "buffer"])


# ---- SparseAdam: sparse gradients only -----------------------------------------------------------

SPARSE_SCRIPT = '''import torch

generator = torch.Generator().manual_seed({seed})
weights = torch.randn(10, 3, generator=generator)
embedding = torch.nn.Embedding.from_pretrained(weights, freeze=False, sparse=True)  # sparse grad
optimizer = torch.optim.SparseAdam(embedding.parameters(), lr=0.1)
words = torch.tensor([1, 4, 4, 7])
for step in range(3):
    optimizer.zero_grad()
    loss = embedding(words).pow(2).sum()
    loss.backward()
    optimizer.step()  # only rows 1, 4 and 7 move; their exp_avg and exp_avg_sq too
    sparse = embedding.weight.grad.is_sparse
    print(f"step {{step}}: loss={{loss.item()}} grad is sparse: {{sparse}}")
print("rows touched:", sorted(embedding.weight.grad.coalesce().indices()[0].tolist()))
print("exp_avg of row 0:", optimizer.state[embedding.weight]["exp_avg"][0].tolist())
print("exp_avg of row 4:", optimizer.state[embedding.weight]["exp_avg"][4].tolist())

dense = torch.zeros(2, requires_grad=True)  # a landscape's point: a dense gradient
optimizer = torch.optim.SparseAdam([dense], lr=0.1)
(dense ** 2).sum().backward()
try:
    optimizer.step()
except RuntimeError as error:
    print("dense parameter:", error)
'''


# ---- Muon: 2-D parameters only -------------------------------------------------------------------

MUON_SCRIPT = '''import torch

generator = torch.Generator().manual_seed({seed})
weight = torch.randn(4, 3, generator=generator, requires_grad=True)  # a Linear's weight: 2-D
target = torch.randn(4, 3, generator=generator) * torch.tensor([4.0, 1.0, 0.25])
lr = 0.1
optimizer = torch.optim.Muon([weight], lr=lr, weight_decay=0.0)
for step in range(3):
    optimizer.zero_grad()
    loss = (weight - target).pow(2).sum()
    loss.backward()
    before = weight.detach().clone()
    optimizer.step()
    moved = (before - weight.detach()) / lr
    print(f"step {{step}}: loss={{loss.item():.4f}}")
    print("  singular values of the gradient:", [round(v, 3) for v in
                                                 torch.linalg.svdvals(weight.grad).tolist()])
    print("  singular values of the step / lr:", [round(v, 3) for v in
                                                  torch.linalg.svdvals(moved).tolist()])
print("lr scaled by sqrt(max(1, rows / columns)) =", round(max(1, 4 / 3) ** 0.5, 4))

point = torch.zeros(2, requires_grad=True)  # a landscape's point: 1-D
try:
    torch.optim.Muon([point], lr=lr)
except ValueError as error:
    print("1-D parameter:", error)
'''


# The optimisers of torch.optim that cannot step a landscape's point (registry.ELSEWHERE), each on
# a parameter it takes, then refusing the point with torch's own error.
ELSEWHERE_SCRIPTS = {"SparseAdam": SPARSE_SCRIPT, "Muon": MUON_SCRIPT}


def elsewhere_script(name: str, seed: int = COURSE_SEED) -> str:
    return ELSEWHERE_SCRIPTS[name].format(seed=seed)


def elsewhere(name: str, seed: int = COURSE_SEED) -> str:
    """What elsewhere_script prints: SparseAdam on an nn.Embedding(sparse=True), whose step moves
    only the looked-up rows; Muon on a 2-D weight, whose step has nearly equal singular values
    whatever the gradient's; each then refusing a landscape's point."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(elsewhere_script(name, seed), f"<{name}>", "exec"), {})  # noqa: S102
    return printed.getvalue()
