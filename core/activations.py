"""The activations a network can use, each with the name `nn.init.calculate_gain` knows it by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Activation:
    apply: Callable[[torch.Tensor, float], torch.Tensor]  # (x, negative_slope) -> activated x
    gain_name: str  # the nonlinearity argument of nn.init.calculate_gain
    code: str  # how a PyTorch script writes it, with {slope} for leaky ReLU


ACTIVATIONS: dict[str, Activation] = {
    "none": Activation(lambda x, slope: x, "linear", "x"),
    "tanh": Activation(lambda x, slope: torch.tanh(x), "tanh", "torch.tanh(x)"),
    "sigmoid": Activation(lambda x, slope: torch.sigmoid(x), "sigmoid", "torch.sigmoid(x)"),
    "relu": Activation(lambda x, slope: torch.relu(x), "relu", "torch.relu(x)"),
    "leaky_relu": Activation(
        lambda x, slope: F.leaky_relu(x, slope), "leaky_relu",
        "torch.nn.functional.leaky_relu(x, {slope})"),
    "selu": Activation(lambda x, slope: F.selu(x), "selu", "torch.selu(x)"),
}


def gain(name: str, negative_slope: float) -> float:
    """nn.init.calculate_gain for the activation called name."""
    gain_name = ACTIVATIONS[name].gain_name
    param = negative_slope if gain_name == "leaky_relu" else None
    return torch.nn.init.calculate_gain(gain_name, param)


def piecewise_linear_slope(name: str, negative_slope: float) -> float | None:
    """The negative-side slope of a piecewise-linear activation (none: 1, relu: 0), or None when
    the activation is curved and the variance argument has no closed form."""
    return {"none": 1.0, "relu": 0.0, "leaky_relu": negative_slope}.get(name)
