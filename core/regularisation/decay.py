"""Weight decay four ways, on the course's ten points and its first network (the same initial
weights for every run): SGD's weight_decay, the same L2 term (λ/2)·Σw² added to SGD's loss, Adam's
weight_decay, the same L2 term added to Adam's loss, and AdamW's decoupled decay.

For SGD (and for Adam) weight_decay is the L2 term: its gradient λ·w is added to the loss's. They
differ only in rounding: torch's add(grad, w, alpha=λ) may fuse the multiply and the add (one
rounding) where autograd rounds λ·w first. AdamW instead shrinks every weight by lr·λ·w outside the
adaptive step (Loshchilov & Hutter, "Decoupled weight decay regularization", ICLR 2019); Adam's
L2 gradient is divided by the square root of its second moment like the rest, so weights with
small gradients are decayed far more. The runs show where the two part."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F

from core import values
from core.errors import Notice
from core.lab.train import one_thread
from core.regularisation.fit import build, draw_data
from core.settings import setting, validate_settings

# method -> (optimiser, whether the L2 term is in the loss instead of weight_decay)
METHODS = {"sgd_weight_decay": ("SGD", False), "sgd_l2": ("SGD", True),
           "adam_weight_decay": ("Adam", False), "adam_l2": ("Adam", True),
           "adamw": ("AdamW", False)}
# The pairs the lesson compares: equal in exact arithmetic, then the two that are not
PAIRS = (("sgd_weight_decay", "sgd_l2"), ("adam_weight_decay", "adam_l2"),
         ("adam_weight_decay", "adamw"))
PARTED = 0.01  # two runs have parted where their weights' norms differ by more than 1 %


@dataclass(frozen=True)
class DecayConfig:
    weight_decay: float = setting(1e-2, low=0.0, high=1.0, step=0.001, format="%.4f")
    sgd_lr: float = setting(0.01, low=1e-5, high=1.0, step=0.001, format="%.4f")
    momentum: float = setting(0.9, low=0.0, high=0.99, step=0.05, format="%.2f")
    adam_lr: float = setting(0.001, low=1e-5, high=1.0, step=0.0001, format="%.4f")
    steps: int = setting(100, low=1, high=300, step=50)
    seed: int = setting(1, low=0, high=2**31 - 1)


WIDTH = 200  # the course's network


def validate(config: DecayConfig) -> tuple[DecayConfig, list[Notice]]:
    notices: list[Notice] = []
    return validate_settings(config, notices), notices


@dataclass(frozen=True)
class DecayResult:
    steps: pd.DataFrame  # step, method, loss (MSE before the step), norm (of every weight after)
    pairs: list[dict]  # one per PAIRS entry: how far apart, where they part
    fused: int  # of the first gradients' entries, how many add(alpha=λ) rounds otherwise
    entries: int


def optimiser(method: str, config: DecayConfig, params) -> torch.optim.Optimizer:
    name, in_loss = METHODS[method]
    decay = 0.0 if in_loss else config.weight_decay
    if name == "SGD":
        return torch.optim.SGD(params, lr=config.sgd_lr, momentum=config.momentum,
                               weight_decay=decay)
    return getattr(torch.optim, name)(params, lr=config.adam_lr, weight_decay=decay)


def norm(params) -> float:
    """The norm of every parameter together, in float64."""
    return torch.cat([p.detach().flatten() for p in params]).double().norm().item()


def train(method: str, config: DecayConfig, data: dict, start) -> list[dict]:
    net = copy.deepcopy(start)
    params = list(net.parameters())
    opt = optimiser(method, config, params)
    in_loss = METHODS[method][1]
    rows = []
    for step in range(1, config.steps + 1):
        loss = F.mse_loss(net(data["x"]), data["train_y"])
        objective = loss + config.weight_decay / 2 * sum((p ** 2).sum() for p in params) \
            if in_loss else loss
        opt.zero_grad()
        objective.backward()
        opt.step()
        rows.append({"step": step, "method": method, "loss": loss.item(), "norm": norm(params)})
    return rows


def run(config: DecayConfig) -> DecayResult:
    """config validated."""
    g = torch.Generator().manual_seed(config.seed)
    data = draw_data(g)
    start = build(WIDTH, 0.0, g)
    with one_thread():
        steps = pd.DataFrame([row for method in METHODS
                              for row in train(method, config, data, start)])
        fused, entries = rounding(config, data, start)
    return DecayResult(steps, compare_pairs(steps), fused, entries)


def rounding(config: DecayConfig, data: dict, start) -> tuple[int, int]:
    """How many entries of the first step's decayed gradient differ between SGD's way,
    grad.add(w, alpha=λ), and autograd's, grad + λ·w rounded first; and how many there are."""
    net = copy.deepcopy(start)
    F.mse_loss(net(data["x"]), data["train_y"]).backward()
    differ = entries = 0
    for p in net.parameters():
        fused = p.grad.add(p.detach(), alpha=config.weight_decay)
        rounded = p.grad + p.detach() * config.weight_decay
        differ += int((fused != rounded).sum())
        entries += p.numel()
    return differ, entries


def compare_pairs(steps: pd.DataFrame) -> list[dict]:
    """For each pair: equal to the bit over every step, the largest relative difference of the
    norms, the digits their last norms and losses agree to, and the first step where the norms
    differ by more than PARTED (None where they never do)."""
    rows = []
    for a, b in PAIRS:
        one = steps[steps["method"] == a].reset_index(drop=True)
        two = steps[steps["method"] == b].reset_index(drop=True)
        gap = ((one["norm"] - two["norm"]).abs() / one["norm"].abs())
        parted = one["step"][gap > PARTED]
        rows.append({"a": a, "b": b,
                     "bit_equal": bool(one[["loss", "norm"]].equals(two[["loss", "norm"]])),
                     "largest_gap": float(gap.max()),
                     "norm_digits": values.agreeing_digits(two["norm"].iloc[-1],
                                                           one["norm"].iloc[-1]),
                     "loss_digits": values.agreeing_digits(two["loss"].iloc[-1],
                                                           one["loss"].iloc[-1]),
                     "parted_at": int(parted.iloc[0]) if len(parted) else None,
                     "norm_a": float(one["norm"].iloc[-1]), "norm_b": float(two["norm"].iloc[-1]),
                     "loss_a": float(one["loss"].iloc[-1]), "loss_b": float(two["loss"].iloc[-1])})
    return rows


def shown_steps(config: DecayConfig) -> list[int]:
    """The steps the script prints: the first, then every tenth of the run, and the last."""
    every = max(1, config.steps // 10)
    return sorted({1, *range(every, config.steps + 1, every), config.steps})


def to_script(config: DecayConfig) -> str:
    """Each method from the same start, printing the loss and the weights' norm at
    shown_steps."""
    return f'''import copy

import torch
import torch.nn as nn

torch.manual_seed({config.seed})
train_x = torch.linspace(-1, 1, 10).unsqueeze_(1)
train_y = 1.5 * train_x + torch.normal(0, 0.5, size=train_x.size())
test_y = 1.5 * train_x + torch.normal(0, 0.3, size=train_x.size())  # drawn as the course does
start = nn.Sequential(nn.Linear(1, 200), nn.ReLU(), nn.Linear(200, 200), nn.ReLU(),
                      nn.Linear(200, 200), nn.ReLU(), nn.Linear(200, 1))
wd = {config.weight_decay!r}
sgd = {{"lr": {config.sgd_lr!r}, "momentum": {config.momentum!r}}}
adam = {{"lr": {config.adam_lr!r}}}
methods = {{  # name: (optimiser, its settings, its weight_decay, the L2 term in the loss)
    "sgd_weight_decay": (torch.optim.SGD, sgd, wd, False),
    "sgd_l2": (torch.optim.SGD, sgd, 0.0, True),
    "adam_weight_decay": (torch.optim.Adam, adam, wd, False),
    "adam_l2": (torch.optim.Adam, adam, 0.0, True),
    "adamw": (torch.optim.AdamW, adam, wd, False),
}}
for name, (optimizer_class, settings, weight_decay, l2_in_loss) in methods.items():
    net = copy.deepcopy(start)
    params = list(net.parameters())
    optimizer = optimizer_class(params, weight_decay=weight_decay, **settings)
    for step in range(1, {config.steps} + 1):
        loss = nn.functional.mse_loss(net(train_x), train_y)
        objective = loss + wd / 2 * sum((p ** 2).sum() for p in params) if l2_in_loss else loss
        optimizer.zero_grad()
        objective.backward()
        optimizer.step()
        if step in {shown_steps(config)}:
            norm = torch.cat([p.detach().flatten() for p in params]).double().norm().item()
            print(f"{{name}} step {{step}}: loss={{loss.item()}}, norm={{norm}}")
'''
