"""The lab's one adapter to the other lessons' registries: activations, init methods, losses,
optimisers; and the learning-rate schedules the lab offers. When those registries change, this
file is the only one in the lab that changes with them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from core import activations, initializers, losses, schedules, settings
from core.errors import InputError, Notice
from core.initializers import InitSpec
from core.optim.registry import OPTIMIZERS as OPTIMISER_REGISTRY
from core.optim.registry import Spec

# ---- Activations: the registry's function as a layer of the Sequential ------------------------

# Those a script can write as an nn layer (numerically the registry's function).
ACTIVATIONS = tuple(name for name, entry in activations.ACTIVATIONS.items() if entry.module)


class Activation(nn.Module):
    """The activation called name, from core.activations, as a layer."""

    def __init__(self, name: str, slope: float) -> None:
        super().__init__()
        self.name, self.slope = name, slope
        self.function = activations.function(name, slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.function(x)


def activation_code(name: str, slope: float) -> str:
    return activations.ACTIVATIONS[name].module.format(slope=repr(float(slope)))


# ---- Initialisation: "default" is nn.Linear's own; the others are nn.init methods ------------

DEFAULT_INIT = "default"  # nn.Linear's own initialisation, not an nn.init method
# every nn.init method that fills a Linear's weight (dirac_ fills a convolution's only)
INITS = (DEFAULT_INIT, *(name for name, method in initializers.METHODS.items()
                         if method.kernel is None))


def linear_default(layer: nn.Linear, g: torch.Generator | None) -> None:
    """What nn.Linear's constructor draws (reset_parameters), from generator g."""
    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=g)
    bound = 1 / math.sqrt(layer.in_features) if layer.in_features else 0
    nn.init.uniform_(layer.bias, -bound, bound, generator=g)


def init_spec(method: str, activation: str, slope: float, std: float) -> InitSpec:
    """The init method with the parameters the lab picks for the network's activation: Xavier's
    gain and Kaiming's nonlinearity are the activation's (the init lesson's point)."""
    gain_names = activations.ACTIVATIONS[activation].gain_names
    gain_name = gain_names[0] if gain_names else "linear"
    return InitSpec(method, std=std, gain=activations.gain(activation, slope), a=slope,
                    nonlinearity=gain_name)


def init_weight(spec: InitSpec, weight: torch.Tensor, g: torch.Generator) -> None:
    with torch.no_grad():
        initializers.apply(spec, weight, g)


def init_code(spec: InitSpec, target: str) -> str:
    return initializers.code(spec, target)


# ---- Losses: the loss lesson's entries the lab's raw outputs can feed ---------------------------

@dataclass(frozen=True)
class LabLoss:
    """How the lab uses a loss: the tasks it trains, the network's number of outputs, the target
    as the loss wants it (from labels), the prediction (probability of class 1, or the value)
    from outputs."""

    tasks: tuple[str, ...]
    module: type[nn.Module]
    outputs: int
    target: Callable[[torch.Tensor], torch.Tensor]
    target_code: str  # the same, as a script writes it, of `labels`
    predict: Callable[[torch.Tensor], torch.Tensor]


# By a loss's family and the kinds of its two tables (what it is called on, what it compares
# with), in the loss registry's words: how the lab feeds it. The network's outputs are raw
# (logits or values), so a loss that wants probabilities or log-probabilities (BCELoss, NLLLoss)
# or log-rates (PoissonNLLLoss) is not among them; squared error and its kin also learn the
# classes (the labels 0 and 1 as values, as TensorFlow Playground does).
_INDICES = lambda module: LabLoss(  # noqa: E731
    ("classification",), module, 2, lambda y: y.long(), "labels.long()",
    lambda out: torch.softmax(out, 1)[:, 1])
_UNIT = lambda module: LabLoss(  # noqa: E731
    ("classification",), module, 1, lambda y: y[:, None], "labels[:, None]",
    lambda out: torch.sigmoid(out[:, 0]))
FEEDS = {
    ("classification", "logits", "indices"): _INDICES,
    ("binary", "logits", "unit"): _UNIT,
    ("multilabel", "logits", "unit"): _UNIT,
    ("binary", "logits", "signs"): lambda module: LabLoss(
        ("classification",), module, 1, lambda y: y[:, None] * 2 - 1, "labels[:, None] * 2 - 1",
        lambda out: torch.sigmoid(out[:, 0])),  # log(1 + exp(-y x)): x is the log-odds
    ("regression", "values", "values"): lambda module: LabLoss(
        ("regression", "classification"), module, 1, lambda y: y[:, None], "labels[:, None]",
        lambda out: out[:, 0]),
}


def _feed(entry: losses.Loss) -> tuple[str, ...]:
    """The entry's family and the kinds of the tables it is called on (default options)."""
    specs = entry.tables({option.name: option.default for option in entry.options})
    return (entry.family, *(spec.kind for spec in specs if not spec.optional))


LOSSES: dict[str, LabLoss] = {name: FEEDS[_feed(entry)](entry.module)
                              for name, entry in losses.LOSSES.items() if _feed(entry) in FEEDS}


def losses_for(task: str) -> list[str]:
    """The losses that train task, those made for it first (cross-entropy before squared error
    for the classes)."""
    fitting = [name for name, entry in LOSSES.items() if task in entry.tasks]
    return sorted(fitting, key=lambda name: LOSSES[name].tasks.index(task))


def fits(loss: str, task: str) -> bool:
    return task in LOSSES[loss].tasks


# ---- Optimisers (the optimiser lesson's) and schedules ----------------------------------------

# Those whose step needs no closure (LBFGS evaluates the loss itself, several times a step).
OPTIMIZERS = tuple(name for name, entry in OPTIMISER_REGISTRY.items() if not entry.closure)
MOMENTUM_TAKERS = tuple(name for name in OPTIMIZERS
                        if any(s.name == "momentum" for s in OPTIMISER_REGISTRY[name].settings))


def make_optimizer(name: str, lr: float, momentum: float, params) -> torch.optim.Optimizer:
    return _spec(name, lr, momentum).make(params)


def optimizer_code(name: str, lr: float, momentum: float,
                   params: str = "model.parameters()") -> str:
    return _spec(name, lr, momentum).code(params)


def _spec(name: str, lr: float, momentum: float) -> Spec:
    return Spec.of(name, lr=lr, **({"momentum": momentum} if name in MOMENTUM_TAKERS else {}))


# ---- Schedules: the schedules lesson's registry, stepped once per epoch ------------------------

NO_SCHEDULE = "none"
# Every scheduler that can be stepped once an epoch for as long as the lab trains (OneCycleLR
# refuses a step beyond its total_steps).
SCHEDULES = (NO_SCHEDULE, *(name for name, entry in schedules.SCHEDULERS.items()
                            if not any(s.name == "total_steps" for s in entry.settings)))
SCHEDULE_EPOCHS = 500  # the run's length for those that span it (SequentialLR's annealing)
# The course's made-up loss fed to ReduceLROnPlateau: the lab feeds the real one instead
FED_LOSS = ("loss_before", "loss_after", "change_epoch")
STEP_LOSS = "loss.item()"  # the epoch's last batch loss, as a script names it


def schedule_settings(name: str) -> tuple[settings.Setting, ...]:
    """The settings of schedule name the lab offers (none for no schedule)."""
    if name == NO_SCHEDULE:
        return ()
    return tuple(s for s in schedules.SCHEDULERS[name].settings if s.name not in FED_LOSS)


def as_setting(setting) -> settings.Setting:
    """A schedule's setting as the one Setting type every widget is drawn from (its kind,
    default, choices and bound; a float shown with six significant digits)."""
    if isinstance(setting, settings.Setting):
        return setting
    bound = setting.bound
    return settings.Setting(
        name=setting.name, kind=setting.kind, default=setting.default,
        choices=setting.choices, low=None if bound is None else bound.low,
        high=None if bound is None else bound.high,
        format="%.6g" if setting.kind == "float" else None)


def schedule_values(name: str, settings: tuple[tuple[str, object], ...]) -> dict:
    return schedules.SCHEDULERS[name].preset() | dict(settings)


def every_schedule_setting(name: str, settings: tuple[tuple[str, object], ...]
                           ) -> tuple[tuple[str, object], ...]:
    """Each setting the lab offers for schedule name at its value (settings, else the preset)."""
    if name not in schedules.SCHEDULERS:
        return settings  # no schedule, or an unknown one that validation refuses
    values = schedule_values(name, settings)
    return tuple((s.name, values[s.name]) for s in schedule_settings(name))


def validate_schedule(name: str, settings: tuple[tuple[str, object], ...],
                      notices: list[Notice]) -> tuple[tuple[str, object], ...]:
    """The settings parsed as the schedules lesson parses them (a value torch would refuse is an
    InputError naming the setting, sizes clamped with a notice); only those that differ from the
    preset are kept, so one schedule has one Config."""
    offered = {s.name: s for s in schedule_settings(name)}
    parsed = {}
    for key, value in settings:
        if key not in offered:
            raise InputError("error.unknown_choice", field=f"{name} setting", value=key)
        parsed[key] = offered[key].parse(value, notices)
    return schedules.settings_differing(schedules.SCHEDULERS[name], parsed) \
        if name != NO_SCHEDULE else ()


def make_schedule(name: str, settings: tuple[tuple[str, object], ...],
                  optimizer: torch.optim.Optimizer):
    if name == NO_SCHEDULE:
        return None
    return schedules.SCHEDULERS[name].build(optimizer, schedule_values(name, settings),
                                            SCHEDULE_EPOCHS)


def step_schedule(name: str, settings: tuple[tuple[str, object], ...], scheduler, epoch: int,
                  loss: float) -> None:
    """One step after an epoch (ReduceLROnPlateau is fed the epoch's last batch loss)."""
    schedules.SCHEDULERS[name].step(scheduler, epoch, schedule_values(name, settings), loss)


def schedule_code(name: str, settings: tuple[tuple[str, object], ...] = ()) -> str | None:
    if name == NO_SCHEDULE:
        return None
    return schedules.SCHEDULERS[name].constructor(schedule_values(name, settings),
                                                  SCHEDULE_EPOCHS)


def schedule_step_code(name: str, settings: tuple[tuple[str, object], ...]) -> list[str]:
    entry = schedules.SCHEDULERS[name]
    return entry.step_code(schedule_values(name, settings), STEP_LOSS)
