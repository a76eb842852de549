"""The lab's settings (one frozen Config, every field a control and a link parameter), their
validation, and the network they describe: a real nn.Sequential."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from core.bounds import Bound
from core.errors import InputError, Notice
from core.lab import plug
from core.lab.data import DATASETS, FEATURES

POINTS = Bound("points", 20, 2000)
NOISE = Bound("noise", 0.0, 0.5)
TEST_PERCENT = Bound("test_percent", 10, 90)
# 0-6 hidden layers as the Playground, up to 10 for the deep sigmoid challenge
DEPTH = Bound("hidden_layers", 0, 10)
WIDTH = Bound("width", 1, 32)
DROPOUT = Bound("dropout", 0.0, 0.9)
L1 = Bound("l1", 0.0, 1.0)
L2 = Bound("l2", 0.0, 1.0)
LR = Bound("lr", 1e-5, 100.0)
MOMENTUM = Bound("momentum", 0.0, 0.999)
BATCH = Bound("batch", 1, 2000)
BATCH_BATCHNORM = Bound("batch", 2, 2000)  # BatchNorm's batch statistics need two points
INIT_STD = Bound("init_std", 0.0, 100.0)
SLOPE = Bound("negative_slope", 0.0, 1.0)
SEED = Bound("seed", 0, 2**31 - 1)
BOUNDS = {"noise": NOISE, "points": POINTS, "test_percent": TEST_PERCENT, "slope": SLOPE,
          "dropout": DROPOUT, "l1": L1, "l2": L2, "init_std": INIT_STD, "lr": LR,
          "momentum": MOMENTUM, "batch": BATCH, "seed": SEED}  # the Config's numbers


@dataclass(frozen=True)
class LabConfig:
    dataset: str = "circle"
    noise: float = 0.0
    points: int = 500
    test_percent: int = 20
    features: tuple[str, ...] = ("x1", "x2")
    widths: tuple[int, ...] = (8, 8)  # one width per hidden layer
    activation: str = "tanh"
    slope: float = 0.01  # leaky_relu's negative slope
    batchnorm: bool = False
    dropout: float = 0.0
    l1: float = 0.0
    l2: float = 0.0
    init: str = "default"
    init_std: float = 1.0  # the normal methods' std
    loss: str = "BCEWithLogitsLoss"
    optimizer: str = "SGD"
    lr: float = 0.03
    momentum: float = 0.0
    schedule: str = "none"
    schedule_settings: tuple[tuple[str, object], ...] = ()  # those that differ from its preset
    batch: int = 10
    seed: int = 3
    csv: str = ""  # the user's CSV (dataset "csv")
    skip_bad_rows: bool = False

    def compared(self) -> dict:
        """Every schedule setting the lab offers at its value, the preset's too, for
        core.compare.differences (a pinned preset gamma is 0.1, not absent)."""
        return {"schedule_settings": plug.every_schedule_setting(self.schedule,
                                                                 self.schedule_settings)}


def preset(dataset: str) -> LabConfig:
    """The Config a dataset opens with: the defaults, then the dataset's own preset."""
    config = replace(LabConfig(dataset=dataset), **dict(DATASETS[dataset].preset))
    task = DATASETS[dataset].task
    return config if plug.fits(config.loss, task) \
        else replace(config, loss=plug.losses_for(task)[0])


def validate(config: LabConfig, task: str | None = None) -> tuple[LabConfig, list[Notice]]:
    """Unknown choices raise InputError naming the field; numbers out of range are clamped with a
    notice. task: the CSV's task when the dataset is the user's own."""
    choices = {"dataset": DATASETS, "activation": plug.ACTIVATIONS, "init": plug.INITS,
               "loss": plug.LOSSES, "optimizer": plug.OPTIMIZERS, "schedule": plug.SCHEDULES}
    for field, allowed in choices.items():
        if getattr(config, field) not in allowed:
            raise InputError("error.unknown_choice", field=field, value=getattr(config, field))
    for name in config.features:
        if name not in FEATURES:
            raise InputError("error.unknown_choice", field="features", value=name)
    if not config.features:
        raise InputError("error.lab.no_features")
    notices: list[Notice] = []
    task = task or DATASETS[config.dataset].task
    loss = config.loss
    if not plug.fits(loss, task):
        loss = plug.losses_for(task)[0]
        notices.append(Notice("notice.lab.loss_task", {"loss": config.loss, "used": loss}))
    widths = tuple(WIDTH.clamp(w, notices) for w in config.widths)
    depth = DEPTH.clamp(len(widths), notices)
    bounds = BOUNDS | ({"batch": BATCH_BATCHNORM} if config.batchnorm else {})
    fields = {field: bound.clamp(getattr(config, field), notices)
              for field, bound in bounds.items()}
    features = tuple(name for name in FEATURES if name in config.features)
    schedule_settings = plug.validate_schedule(config.schedule, config.schedule_settings,
                                               notices)
    return replace(config, loss=loss, widths=widths[:depth], features=features,
                   schedule_settings=schedule_settings, **fields), notices


class Dropout(nn.Module):
    """nn.Dropout with its mask drawn from a private generator: the same draw as nn.Dropout's on
    CPU (`empty_like(x).bernoulli_(1 - p)`, divided by 1 - p), so a script using nn.Dropout with
    torch.manual_seed gets the same masks."""

    def __init__(self, p: float, g: torch.Generator) -> None:
        super().__init__()
        self.p, self.g = p, g

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        noise = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.g).div_(1 - self.p)
        return x * noise


def build(config: LabConfig, g: torch.Generator) -> nn.Sequential:
    """The network, its weights drawn from g in the order nn.Linear's constructors draw them
    (then the init method, layer by layer, when it is not nn.Linear's own)."""
    sizes = [len(config.features), *config.widths, plug.LOSSES[config.loss].outputs]
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        linear = torch.nn.utils.skip_init(nn.Linear, fan_in, fan_out)  # draws nothing
        plug.linear_default(linear, g)
        layers.append(linear)
        if i < len(config.widths):
            if config.batchnorm:
                layers.append(nn.BatchNorm1d(fan_out))
            layers.append(plug.Activation(config.activation, config.slope))
            if config.dropout:
                layers.append(Dropout(config.dropout, g))
    model = nn.Sequential(*layers)
    if config.init != plug.DEFAULT_INIT:
        spec = plug.init_spec(config.init, config.activation, config.slope, config.init_std)
        for layer in linears(model):
            plug.init_weight(spec, layer.weight, g)
    return model


def linears(model: nn.Sequential) -> list[nn.Linear]:
    return [layer for layer in model if isinstance(layer, nn.Linear)]


def penalty(config: LabConfig, model: nn.Sequential) -> torch.Tensor | None:
    """L1 and L2 weight decay added to the loss (weights, not biases), or None when both are 0."""
    terms = []
    weights = [layer.weight for layer in linears(model)]
    if config.l1:
        terms.append(config.l1 * sum(w.abs().sum() for w in weights))
    if config.l2:
        terms.append(config.l2 * sum((w * w).sum() for w in weights))
    return sum(terms) if terms else None
