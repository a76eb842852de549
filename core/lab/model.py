"""The lab's settings (one frozen Config, every field a control and a link parameter), their
validation, and the network they describe: a real nn.Sequential."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from core import activations
from core.bounds import Bound
from core.errors import InputError, Notice
from core.lab import plug
from core.lab.data import DATASETS, FEATURES
from core.settings import Setting, setting, validate_settings

# The parts of the two settings that are lists: how many hidden layers (0-6 as the Playground, up
# to 10 for the deep sigmoid challenge), each one's width, and each input feature's switch.
HIDDEN_LAYERS = Setting(name="hidden_layers", kind="int", default=2, low=0, high=10, step=1)
WIDTH = Setting(name="width", kind="int", default=8, low=1, high=32, step=1)
FEATURE = Setting(name="feature", kind="bool", default=False)
LAYERS = Bound("layer", 1, HIDDEN_LAYERS.high + 1)  # a layer's number: hidden ones, then output
# BatchNorm's batch statistics need two points in a batch
BATCH_BATCHNORM = Bound("batch", 2, 2000)
NORMS = ("none", "BatchNorm1d", "LayerNorm", "GroupNorm")


def _drawn(values: dict) -> bool:
    """Whether the dataset is drawn (not the user's CSV)."""
    return DATASETS[values.get("dataset", "circle")].draw is not None


def _takes_slope(values: dict) -> bool:
    return activations.ACTIVATIONS[values.get("activation", "tanh")].takes_slope


@dataclass(frozen=True)
class LabConfig:
    """Every setting of the lab, each a control and a link parameter (core.settings); features
    and widths are lists drawn part by part (FEATURE, HIDDEN_LAYERS and WIDTH), and
    schedule_settings are the schedule's own (the schedules registry's Settings)."""

    dataset: str = setting("circle", choices=DATASETS.keys(), choice_text="lab.dataset_{choice}")
    noise: float = setting(0.0, low=0.0, high=0.5, step=0.05, widget="slider", shown=_drawn)
    points: int = setting(500, low=20, high=2000, step=10, shown=_drawn)
    csv: str = setting("", shown=lambda values: not _drawn(values))  # dataset "csv"
    skip_bad_rows: bool = setting(False, shown=lambda values: not _drawn(values))
    test_percent: int = setting(20, low=10, high=90, step=1, widget="slider")
    features: tuple[str, ...] = ("x1", "x2")
    widths: tuple[int, ...] = (8, 8)  # one width per hidden layer
    activation: str = setting("tanh", choices=plug.ACTIVATIONS)
    slope: float = setting(0.01, low=0.0, high=1.0, step=0.01, format="%.3f",
                           shown=_takes_slope)  # leaky_relu's negative slope
    norm: str = setting("none", choices=NORMS, choice_text="lab.norm_{choice}")
    groups: int = setting(2, low=1, high=WIDTH.high, step=1,
                          shown=lambda values: values.get("norm") == "GroupNorm")
    dropout: float = setting(0.0, low=0.0, high=0.9, step=0.05, format="%.2f")
    l1: float = setting(0.0, low=0.0, high=1.0, step=0.0001, format="%.4f")
    l2: float = setting(0.0, low=0.0, high=1.0, step=0.0001, format="%.4f")
    init: str = setting("default", choices=plug.INITS, choice_text="lab.init_{choice}")
    init_std: float = setting(1.0, low=0.0, high=100.0, step=0.1, format="%.4f")  # normal's
    # layers (hidden ones from 1, then the output) whose Linear and normalisation do not train
    frozen: tuple[int, ...] = setting((), "ints", low=LAYERS.low, high=LAYERS.high)
    # layers trained at their own learning rate (0 included): a second parameter group
    own_lr_layers: tuple[int, ...] = setting((), "ints", low=LAYERS.low, high=LAYERS.high)
    own_lr: float = setting(0.0, low=0.0, high=100.0, step=0.001, format="%.5f",
                            shown=lambda values: bool(values.get("own_lr_layers")))
    loss: str = setting("BCEWithLogitsLoss", choices=plug.LOSSES.keys())
    optimizer: str = setting("SGD", choices=plug.OPTIMIZERS)
    lr: float = setting(0.03, low=1e-5, high=100.0, step=0.01, format="%.5f")
    momentum: float = setting(0.0, low=0.0, high=0.999, step=0.1, format="%.3f",
                              shown=lambda values: values.get("optimizer", "SGD")
                              in plug.MOMENTUM_TAKERS)
    schedule: str = setting("none", choices=plug.SCHEDULES, choice_text="lab.schedule_{choice}")
    schedule_settings: tuple[tuple[str, object], ...] = ()  # those that differ from its preset
    batch: int = setting(10, low=1, high=2000, step=1)
    seed: int = setting(3, low=0, high=2**31 - 1, step=1)

    @property
    def batchnorm(self) -> bool:
        return self.norm == "BatchNorm1d"

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
    """Every setting parsed (core.settings: unknown choices raise InputError naming the field,
    numbers out of range are clamped with a notice), then what depends on several: the loss for
    the task (task: the CSV's when the dataset is the user's own), the layers, BatchNorm's batch.
    """
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    for name in config.features:
        if name not in FEATURES:
            raise InputError("error.unknown_choice", field="features", value=name)
    if not config.features:
        raise InputError("error.lab.no_features")
    task = task or DATASETS[config.dataset].task
    loss = config.loss
    if not plug.fits(loss, task):
        loss = plug.losses_for(task)[0]
        notices.append(Notice("notice.lab.loss_task", {"loss": config.loss, "used": loss}))
    widths = tuple(WIDTH.parse(w, notices, "width") for w in config.widths)
    widths = widths[:HIDDEN_LAYERS.bound.clamp(len(widths), notices)]
    batch = BATCH_BATCHNORM.clamp(config.batch, notices) if config.batchnorm else config.batch
    return replace(config, loss=loss, widths=widths, batch=batch,
                   features=tuple(name for name in FEATURES if name in config.features),
                   frozen=_layers(config.frozen, widths, "frozen", notices),
                   own_lr_layers=_layers(config.own_lr_layers, widths, "own_lr_layers",
                                         notices),
                   schedule_settings=plug.validate_schedule(
                       config.schedule, config.schedule_settings, notices)), notices


def _layers(chosen: tuple[int, ...], widths: tuple[int, ...], field: str,
            notices: list[Notice]) -> tuple[int, ...]:
    """The chosen layers the network has (its hidden layers and the output), a notice for each
    other one."""
    count = len(widths) + 1
    for layer in chosen:
        if layer > count:
            notices.append(Notice("notice.lab.no_such_layer",
                                  {"field": field, "layer": layer, "count": count}))
    return tuple(sorted({layer for layer in chosen if layer <= count}))


def groups_for(config: LabConfig, width: int) -> int:
    """GroupNorm's number of groups in a layer of width neurons: the groups asked for where they
    divide the width, else the largest number that divides both (torch needs the layer's
    neurons in equal groups)."""
    return math.gcd(config.groups, width)


def norm_layer(config: LabConfig, width: int) -> nn.Module | None:
    """The normalisation after a hidden Linear of width outputs (none, or torch's own layer:
    none of them draws anything at construction)."""
    if config.norm == "BatchNorm1d":
        return nn.BatchNorm1d(width)
    if config.norm == "LayerNorm":
        return nn.LayerNorm(width)
    if config.norm == "GroupNorm":
        return nn.GroupNorm(groups_for(config, width), width)
    return None


def norm_code(config: LabConfig, width: int) -> str | None:
    """The same layer as a script writes it."""
    if config.norm == "GroupNorm":
        return f"nn.GroupNorm({groups_for(config, width)}, {width})"
    return None if config.norm == "none" else f"nn.{config.norm}({width})"


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
            norm = norm_layer(config, fan_out)
            if norm is not None:
                layers.append(norm)
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


def layer_modules(model: nn.Sequential) -> list[list[nn.Module]]:
    """Each layer's modules with parameters or statistics, layer 1 first: its Linear and the
    normalisation after it (the output layer: its Linear). Freezing a layer freezes these."""
    found: list[list[nn.Module]] = []
    for module in model:
        if isinstance(module, nn.Linear):
            found.append([module])
        elif isinstance(module, nn.BatchNorm1d | nn.LayerNorm | nn.GroupNorm):
            found[-1].append(module)
    return found


def layer_indices(model: nn.Sequential) -> list[list[int]]:
    """The same modules as their indices in the Sequential (model[i]), as a script names them."""
    index = {id(module): i for i, module in enumerate(model)}
    return [[index[id(module)] for module in modules] for modules in layer_modules(model)]


def parameter_groups(config: LabConfig, model: nn.Sequential) -> list[dict] | list:
    """The layers in config.frozen set requires_grad = False (the optimiser then leaves them: they
    get no gradient); those in own_lr_layers make a second parameter group at own_lr. What
    the optimiser is given: the parameters, or the two groups."""
    layers = layer_modules(model)
    for number in config.frozen:
        for module in layers[number - 1]:
            module.requires_grad_(False)
    if not config.own_lr_layers:
        return list(model.parameters())
    own = [p for number in config.own_lr_layers for m in layers[number - 1]
           for p in m.parameters()]
    rest = [p for p in model.parameters() if all(p is not q for q in own)]
    return [{"params": rest}, {"params": own, "lr": config.own_lr}]


def penalty(config: LabConfig, model: nn.Sequential) -> torch.Tensor | None:
    """L1 and L2 weight decay added to the loss (weights, not biases), or None when both are 0."""
    terms = []
    weights = [layer.weight for layer in linears(model)]
    if config.l1:
        terms.append(config.l1 * sum(w.abs().sum() for w in weights))
    if config.l2:
        terms.append(config.l2 * sum((w * w).sum() for w in weights))
    return sum(terms) if terms else None
