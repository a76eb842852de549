"""Dropout's scaling, on the course's demo: Dropout(p) then Linear(n, 1, bias=False) with every
weight 1, on an input of n ones. In train() each input is kept with probability 1 − p and
multiplied by 1/(1 − p), so the output is (inputs kept) × 1/(1 − p), n on average (the forwards
after the course's one, each with a new mask, show the spread); in eval() Dropout passes
everything through unscaled and the output is n.

Drawn as the course's code draws from torch.manual_seed: nn.Linear's construction (its
kaiming_uniform_ weight, overwritten by fill_(1)), then the dropout mask."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from core.errors import Notice
from core.lab.model import Dropout
from core.settings import setting, validate_settings


@dataclass(frozen=True)
class ScalingConfig:
    p: float = setting(0.5, low=0.0, high=0.99, step=0.05, format="%.2f")
    inputs: int = setting(10000, low=1, high=100_000, step=1000)
    seed: int = setting(1, low=0, high=2**31 - 1)


def validate(config: ScalingConfig) -> tuple[ScalingConfig, list[Notice]]:
    notices: list[Notice] = []
    return validate_settings(config, notices), notices


DRAWS = 2 * 10**6  # dropout draws for the repeated forwards: 200 at the course's 10,000 inputs
REPEATS = 200


@dataclass(frozen=True)
class ScalingResult:
    train_output: float  # torch's, in train()
    eval_output: float  # torch's, in eval()
    kept: int  # inputs the mask kept
    scale: float  # 1/(1 − p) as torch scales by it: in float32
    by_hand: float  # kept × scale, in float64
    outputs: tuple[float, ...]  # train()'s output, forward after forward (the first: the course's)


def repeats(config: ScalingConfig) -> int:
    """How many train() forwards to draw: REPEATS, fewer for a large input (DRAWS at most)."""
    return max(1, min(REPEATS, DRAWS // config.inputs))


def run(config: ScalingConfig) -> ScalingResult:
    """config validated."""
    g = torch.Generator().manual_seed(config.seed)
    linear = torch.nn.utils.skip_init(nn.Linear, config.inputs, 1, bias=False)
    nn.init.kaiming_uniform_(linear.weight, a=math.sqrt(5), generator=g)  # the constructor's
    with torch.no_grad():
        linear.weight.fill_(1.0)
    dropout = Dropout(config.p, g)
    net = nn.Sequential(dropout, linear, nn.ReLU())
    x = torch.ones(config.inputs)
    with torch.no_grad():
        state = g.get_state()
        train_output = net(x).item()
        g.set_state(state)  # the same mask again, to count what it kept
        mask = torch.empty_like(x).bernoulli_(1 - config.p, generator=g) if config.p else x
        outputs = (train_output, *(net(x).item() for _ in range(repeats(config) - 1)))
        net.eval()
        eval_output = net(x).item()
    kept = int(mask.sum().item())
    scale = torch.tensor(1 / (1 - config.p), dtype=torch.float32).item() if config.p else 1.0
    return ScalingResult(train_output, eval_output, kept, scale, kept * scale, outputs)


def console(result: ScalingResult) -> list[str]:
    """What the course's script prints: each output as torch prints a tensor of it."""
    def printed(value: float) -> str:
        shown = str(torch.tensor([value]))  # "tensor([9890.])"
        return f"{shown[:-1]}, grad_fn=<ReluBackward0>)"

    return [f"output in training mode {printed(result.train_output)}",
            f"output in eval mode {printed(result.eval_output)}"]


def to_script(config: ScalingConfig) -> str:
    return f'''import torch
import torch.nn as nn

torch.manual_seed({config.seed})


class Net(nn.Module):
    def __init__(self, neural_num, d_prob=0.5):
        super().__init__()
        self.linears = nn.Sequential(
            nn.Dropout(d_prob),
            nn.Linear(neural_num, 1, bias=False),
            nn.ReLU(inplace=True))

    def forward(self, x):
        return self.linears(x)


input_num = {config.inputs}
x = torch.ones((input_num,), dtype=torch.float32)
net = Net(input_num, d_prob={config.p!r})
net.linears[1].weight.detach().fill_(1.)

net.train()
y = net(x)
print("output in training mode", y)

net.eval()
y = net(x)
print("output in eval mode", y)
'''
