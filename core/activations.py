"""The activations a network can use: one table, everything about each one in its entry.

An entry's code is what a PyTorch script writes for it; the computation runs that same code
(compiled once per negative slope), so the shown scripts and the pages cannot drift apart."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

import numpy
import torch

IDENTITY_GAIN_NAMES = ("linear", "conv1d", "conv2d", "conv3d",
                       "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


@dataclass(frozen=True)
class Activation:
    code: str  # how a PyTorch script applies it to x, with {slope} for a negative slope
    # the nonlinearity names nn.init.calculate_gain knows it by (none: it does not know it)
    gain_names: tuple[str, ...]
    gain_formula: Callable[[float], float]  # the gain as the page writes it, of the slope
    gain_text: str  # the locale key of that formula, in words
    # the negative-side slope of a piecewise-linear activation, of the slope parameter; None when
    # it is curved and the variance argument has no closed form
    linear_slope: Callable[[float], float] | None = None
    takes_slope: bool = False  # whether calculate_gain and the code take the negative slope
    module: str | None = None  # the same as an nn layer, with {slope}: how nn.Sequential writes it


ACTIVATIONS: dict[str, Activation] = {
    "none": Activation("x", IDENTITY_GAIN_NAMES, lambda a: 1.0, "init.gain_formula_one",
                       linear_slope=lambda a: 1.0, module="nn.Identity()"),
    "tanh": Activation("torch.tanh(x)", ("tanh",), lambda a: 5 / 3, "init.gain_formula_tanh",
                       module="nn.Tanh()"),
    "sigmoid": Activation("torch.sigmoid(x)", ("sigmoid",), lambda a: 1.0,
                          "init.gain_formula_one", module="nn.Sigmoid()"),
    "relu": Activation("torch.relu(x)", ("relu",), lambda a: math.sqrt(2),
                       "init.gain_formula_relu", linear_slope=lambda a: 0.0, module="nn.ReLU()"),
    "leaky_relu": Activation(
        "torch.nn.functional.leaky_relu(x, {slope})", ("leaky_relu",),
        lambda a: math.sqrt(2 / (1 + a**2)), "init.gain_formula_leaky_relu",
        linear_slope=lambda a: a, takes_slope=True, module="nn.LeakyReLU({slope})"),
    "selu": Activation("torch.selu(x)", ("selu",), lambda a: 3 / 4, "init.gain_formula_selu",
                       module="nn.SELU()"),
}


def gain_names() -> list[str]:
    """Every nonlinearity name calculate_gain accepts, in the table's order."""
    return list(dict.fromkeys(name for entry in ACTIVATIONS.values() for name in entry.gain_names))


class _GainNames(Collection):
    """gain_names() as a setting's choices, read when asked: an activation registered later (a
    throwaway in a test) brings its names with it, as ACTIVATIONS.keys() does."""

    def __iter__(self) -> Iterator[str]:
        return iter(gain_names())

    def __contains__(self, name: object) -> bool:
        return name in gain_names()

    def __len__(self) -> int:
        return len(gain_names())


GAIN_NAMES = _GainNames()


def by_gain_name(gain_name: str) -> Activation:
    return next(entry for entry in ACTIVATIONS.values() if gain_name in entry.gain_names)


def code(name: str, negative_slope: float) -> str:
    """The activation applied to x as a script writes it."""
    return ACTIVATIONS[name].code.format(slope=repr(float(negative_slope)))


def function(name: str, negative_slope: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation as a function of x: its code, compiled."""
    return _compiled(code(name, negative_slope))


@functools.lru_cache(maxsize=256)
def _compiled(expression: str) -> Callable[[torch.Tensor], torch.Tensor]:
    return eval(f"lambda x: {expression}", {"torch": torch})  # noqa: S307 (the table's own code)


def slope(name: str, negative_slope: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation's derivative f'(h), elementwise, as autograd computes it for the backward
    pass (each activation acts on every entry alone, so the gradient of f(h).sum() is f'(h))."""
    function_ = function(name, negative_slope)

    def derivative(h: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            h = h.detach().requires_grad_()
            return torch.autograd.grad(function_(h).sum(), h)[0]
    return derivative


def gain(name: str, negative_slope: float) -> float:
    """nn.init.calculate_gain for the activation called name (its own formula where
    calculate_gain does not know it)."""
    entry = ACTIVATIONS[name]
    if not entry.gain_names:
        return entry.gain_formula(negative_slope)
    return gain_by_name(entry.gain_names[0], negative_slope)


def gain_by_name(gain_name: str, negative_slope: float) -> float:
    """nn.init.calculate_gain(gain_name), with the negative slope where that name takes one."""
    param = negative_slope if by_gain_name(gain_name).takes_slope else None
    return torch.nn.init.calculate_gain(gain_name, param)


def normal_moments(name: str, negative_slope: float) -> tuple[float, float]:
    """E[act(z)] and E[act(z)²] for z ~ N(0, 1). For a piecewise-linear activation with
    negative-side slope a, in closed form: (1 − a)/√(2π) and (1 + a²)/2 (ReLU: 1/√(2π) and 1/2).
    A curved one by Gauss–Hermite quadrature in float64 (about 1e-12 for a smooth activation)."""
    slope = piecewise_linear_slope(name, negative_slope)
    if slope is not None:
        return (1 - slope) / math.sqrt(2 * math.pi), (1 + slope**2) / 2
    nodes, weights = numpy.polynomial.hermite_e.hermegauss(120)
    weights = torch.from_numpy(weights / math.sqrt(2 * math.pi))
    values = function(name, negative_slope)(torch.from_numpy(nodes))
    return (weights * values).sum().item(), (weights * values**2).sum().item()


def normal_std(name: str, negative_slope: float) -> float:
    """The std of act(z) for z ~ N(0, 1): √(E[act(z)²] − E[act(z)]²) (ReLU: √(1/2 − 1/(2π)) ≈
    0.584)."""
    mean, second = normal_moments(name, negative_slope)
    return math.sqrt(max(second - mean**2, 0.0))


def rms_gain(name: str, negative_slope: float) -> float:
    """The gain that restores the root mean square a layer of this activation takes from a
    standard normal input: √(E[z²] / E[act(z)²]) = 1/√(E[act(z)²]) (ReLU: √2)."""
    return 1 / math.sqrt(normal_moments(name, negative_slope)[1])


def piecewise_linear_slope(name: str, negative_slope: float) -> float | None:
    """The negative-side slope of a piecewise-linear activation (none: 1, relu: 0), or None when
    the activation is curved and the variance argument has no closed form."""
    slope = ACTIVATIONS[name].linear_slope
    return None if slope is None else slope(negative_slope)
