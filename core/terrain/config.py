"""The lesson's settings (one frozen Config: the lab network it trains, then how each view reads
it), the presets, one per phenomenon, and the lab Config a terrain Config trains."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

from core.errors import Notice
from core.lab import data, model, plug
from core.settings import setting, validate_settings

DATASETS = tuple(name for name, entry in data.DATASETS.items() if entry.draw is not None)


def twice_differentiable(loss: str) -> bool:
    """Whether torch can differentiate the loss twice (the sharpness needs Hessian-vector
    products): MultiMarginLoss's backward has no derivative of its own."""
    entry = plug.LOSSES[loss]
    out = torch.linspace(-1, 1, 3 * entry.outputs).reshape(3, entry.outputs).requires_grad_()
    value = entry.module()(out, entry.target(torch.tensor([0.0, 1.0, 1.0])))
    (grad,) = torch.autograd.grad(value, out, create_graph=True)
    try:
        torch.autograd.grad(grad.sum(), out, allow_unused=True)
    except RuntimeError:
        return False
    return True


LOSSES = tuple(name for name in plug.LOSSES if twice_differentiable(name))
DIRECTIONS = ("random", "path")  # the slice's two directions: filter-normalised random, or the
# path's top two principal directions
MOMENTUM_TAKERS = plug.MOMENTUM_TAKERS


def _takes_momentum(values: dict) -> bool:
    return values.get("optimizer") in MOMENTUM_TAKERS


def _mini_batches(values: dict) -> bool:
    return not values.get("full_batch", True)


@dataclass(frozen=True)
class TerrainConfig:
    # the network and how it trains: a lab run (lab_config); the defaults are the edge of
    # stability's preset
    dataset: str = setting("xor", choices=DATASETS, choice_text="lab.dataset_{choice}")
    depth: int = setting(2, low=0, high=10, step=1)
    width: int = setting(8, low=1, high=32, step=1)
    activation: str = setting("tanh", choices=plug.ACTIVATIONS)
    loss: str = setting("MSELoss", choices=LOSSES)
    optimizer: str = setting("SGD", choices=plug.OPTIMIZERS)
    lr: float = setting(0.25, step=0.01, format="%.4f")
    momentum: float = setting(0.0, step=0.1, format="%.3f", shown=_takes_momentum)
    full_batch: bool = setting(True)
    batch: int = setting(10, step=1, shown=_mini_batches)
    seed: int = setting(2, step=1)


# How each view reads the run (one Config a view, drawn in its tab; both pinned runs are read
# the same way)

@dataclass(frozen=True)
class SliceView:
    directions: str = setting("random", choices=DIRECTIONS,
                              choice_text="terrain.directions_{choice}")
    grid: int = setting(41, low=11, high=61, step=2, widget="slider")
    span: float = setting(1.0, low=0.05, high=10.0, step=0.25, format="%.2f")


@dataclass(frozen=True)
class NoiseView:
    batch: int = setting(10, low=1, high=2000, step=1)  # the batches drawn in the picture
    batches: int = setting(200, low=20, high=1000, step=20)


@dataclass(frozen=True)
class WeightView:
    """The weight opened: its Linear layer (1 = the first), the neuron it feeds, and what feeds
    it (a neuron of the layer before, or -1 for the neuron's bias)."""

    layer: int = setting(1, low=1, high=11, step=1)
    neuron: int = setting(0, low=0, high=31, step=1)
    source: int = setting(0, low=-1, high=31, step=1)


@dataclass(frozen=True)
class Views:
    """Every view's settings, by its tab: a setting's key and text are "terrain_<tab>_<name>"
    and "terrain.<tab>_<name>"."""

    surface: SliceView = field(default_factory=SliceView)
    noise: NoiseView = field(default_factory=NoiseView)
    weights: WeightView = field(default_factory=WeightView)


@dataclass(frozen=True)
class Preset:
    """A phenomenon, the settings that show it and the epochs its story takes."""

    settings: tuple[tuple[str, object], ...]
    epochs: int

    def config(self) -> TerrainConfig:
        return replace(TerrainConfig(), **dict(self.settings))


# Measured (tests/core/test_terrain.py): full-batch gradient descent on the exclusive-or set with
# squared error, as Cohen et al.'s edge-of-stability runs use.
CATAPULT = (("depth", 1), ("width", 32), ("activation", "relu"), ("lr", 0.05))
PRESETS = {
    # sharpness 2.9 at the start, up to 2/lr = 8 (y = 4x²'s curvature, lr = 1/4) by epoch 94,
    # then within 10 % of it for the rest of the run
    "edge": Preset((), 1000),
    # sharpness 64 at the start, above 2/lr = 40: the loss jumps tenfold, then falls below where
    # it began while the sharpness drops to 16
    "catapult": Preset(CATAPULT, 60),
    # the same network at twice the rate: 2/lr = 20, a third of the sharpness; the loss grows
    # every step until it overflows
    "divergence": Preset((*CATAPULT, ("lr", 0.1)), 20),
}


def validate(config: TerrainConfig) -> tuple[TerrainConfig, list[Notice]]:
    """Every setting parsed (kind, bound, choice: an InputError naming the first that cannot be
    used), sizes clamped with a notice each; then the lab's checks of the run it makes (its
    rate's and batch's bounds, a loss that fits the task), whose adjusted values it takes."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    lab, lab_notices = lab_config(config)
    adjusted = replace(config, loss=lab.loss, lr=lab.lr, momentum=lab.momentum, seed=lab.seed,
                       batch=config.batch if config.full_batch else lab.batch)
    return adjusted, notices + lab_notices


def lab_config(config: TerrainConfig) -> tuple[model.LabConfig, list[Notice]]:
    """The lab run a terrain Config trains (validated by the lab, with its notices): the lab's
    defaults for everything the lesson does not set; full batch: one batch of every training
    point, one step an epoch."""
    base = model.LabConfig()
    train_points = base.points - base.points * base.test_percent // 100
    lab = replace(base, dataset=config.dataset, widths=(config.width,) * config.depth,
                  activation=config.activation, loss=config.loss, optimizer=config.optimizer,
                  lr=config.lr, momentum=config.momentum, seed=config.seed,
                  batch=train_points if config.full_batch else config.batch)
    return model.validate(lab)
