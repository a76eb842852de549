"""The optimisers of torch.optim that run on a 2-D landscape, one entry each.

An entry reads the optimiser's settings, their types and their defaults from torch itself
(`inspect.signature` of the class); this module adds only what torch does not say: the bounds a
typed value is clamped to, the choices of a text setting, which state entry is drawn as the
velocity, and whether `step` needs a closure. A setting that is a pair in torch (`betas`, `etas`,
`step_sizes`) is two settings here, `betas_0` and `betas_1`, so each is one number in a link.
The explanation of each setting is the text `optim.help_<setting>` (or `optim.help_<Name>_<setting>`
where one optimiser means something else by the same name).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Union, get_args, get_origin

import torch

from core.errors import InputError, Notice
from core.optim import rules
from core.optim.common import SETTING_MAX, number, upper

# How torch computes, not what: on a CPU and two numbers they give the same steps, so not offered.
IMPLEMENTATION = frozenset({"foreach", "fused", "capturable", "differentiable"})

# (lowest, highest) of each setting a user can type: below the lowest torch refuses the value (an
# error next to the input), above the highest it is clamped with a notice. Unlisted: [0, 1e6].
BOUNDS = {
    "betas_0": (0.0, 0.999999), "betas_1": (0.0, 0.999999), "rho": (0.0, 1.0),
    "etas_0": (1e-6, 0.999999), "etas_1": (1.000001, SETTING_MAX),
    "max_iter": (1, 100), "max_eval": (1, 200), "history_size": (1, 200),
    "t0": (0.0, 1e9),
    "beta2_decay": (-SETTING_MAX, 0.0), "d": (1.0, SETTING_MAX),
    # one optimiser's own, as "Name.setting": LBFGS's strong-Wolfe line search divides by the
    # difference of two step lengths, and with lr = 0 both are 0 (ZeroDivisionError in torch)
    "LBFGS.lr": (1e-12, SETTING_MAX),
}
CHOICES = {"line_search_fn": (None, "strong_wolfe")}  # torch's own accepted values


@dataclass(frozen=True)
class Setting:
    name: str  # torch's keyword, or keyword_i for element i of a pair
    kind: type  # bool, int, float or str (a choice)
    default: object  # torch's default (None: torch decides, e.g. LBFGS's max_eval)
    low: float = 0.0
    high: float = SETTING_MAX
    choices: tuple = ()

    @property
    def keyword(self) -> str:
        """The keyword torch takes it under (betas for betas_0)."""
        return self.name.rsplit("_", 1)[0] if self.name[-1].isdigit() and self.name[-2] == "_" \
            else self.name


def _kind(annotation, default) -> type:
    """bool, int, float or str from torch's annotation (float | Tensor is a float)."""
    if isinstance(annotation, str):  # a postponed annotation
        annotation = eval(annotation, vars(torch.optim.optimizer), {"torch": torch})  # noqa: S307
    if get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return float if float in options else _kind(options[0], default)
    if annotation in (bool, int, float, str):
        return annotation
    return type(default) if default is not None else float


def read_settings(optimizer: type[torch.optim.Optimizer]) -> tuple[Setting, ...]:
    """Every setting of the optimiser's constructor but params and the implementation flags."""
    settings = []
    for name, parameter in inspect.signature(optimizer).parameters.items():
        if name == "params" or name in IMPLEMENTATION:
            continue
        default = parameter.default
        if isinstance(default, tuple):  # a pair: one number each
            for i, value in enumerate(default):
                key = f"{name}_{i}"
                settings.append(Setting(key, float, None if value is None else float(value),
                                        *BOUNDS.get(key, (0.0, SETTING_MAX))))
            continue
        kind = str if name in CHOICES else _kind(parameter.annotation, default)
        if kind in (int, float) and not isinstance(default, bool) and default is not None:
            default = kind(default)
        bounds = BOUNDS.get(f"{optimizer.__name__}.{name}", BOUNDS.get(name, (0, SETTING_MAX)))
        settings.append(Setting(name, kind, default, *bounds, choices=CHOICES.get(name, ())))
    return tuple(settings)


@dataclass(frozen=True)
class Optimizer:
    """One torch.optim optimiser as the lesson uses it."""
    cls: type[torch.optim.Optimizer]
    velocity: str | None = None  # the state entry drawn as the velocity arrow
    closure: bool = False  # step(closure): it evaluates the loss itself, maybe several times
    rule: Callable | None = None  # its update rule (core.optim.rules); None: no per-entry formula
    help_overrides: frozenset = field(default_factory=frozenset)  # settings it means differently

    @property
    def name(self) -> str:
        return self.cls.__name__

    @cached_property
    def settings(self) -> tuple[Setting, ...]:
        return read_settings(self.cls)

    def setting(self, name: str) -> Setting:
        return next(s for s in self.settings if s.name == name)

    def help_key(self, setting: str) -> str:
        """The text that explains a setting of this optimiser."""
        return f"optim.help_{self.name}_{setting}" if setting in self.help_overrides \
            else f"optim.help_{setting}"


OPTIMIZERS: dict[str, Optimizer] = {entry.name: entry for entry in [
    Optimizer(torch.optim.SGD, velocity="momentum_buffer", rule=rules.sgd),
    Optimizer(torch.optim.ASGD, velocity="ax", rule=rules.asgd,
              help_overrides=frozenset({"alpha"})),
    Optimizer(torch.optim.Rprop, rule=rules.rprop),
    Optimizer(torch.optim.Adagrad, rule=rules.adagrad),
    Optimizer(torch.optim.Adadelta, velocity="acc_delta", rule=rules.adadelta),
    Optimizer(torch.optim.RMSprop, velocity="momentum_buffer", rule=rules.rmsprop),
    Optimizer(torch.optim.Adam, velocity="exp_avg", rule=rules.adam),
    Optimizer(torch.optim.AdamW, velocity="exp_avg", rule=rules.adamw),
    Optimizer(torch.optim.Adamax, velocity="exp_avg", rule=rules.adamax),
    Optimizer(torch.optim.NAdam, velocity="exp_avg", rule=rules.nadam),
    Optimizer(torch.optim.RAdam, velocity="exp_avg", rule=rules.radam),
    Optimizer(torch.optim.Adafactor, rule=rules.adafactor,
              help_overrides=frozenset({"lr", "weight_decay"})),
    Optimizer(torch.optim.LBFGS, closure=True, rule=rules.lbfgs),  # rule(..., evaluate)
]}

# The optimisers of torch.optim that cannot step a landscape's point (a vector with a dense
# gradient), and why; the lesson shows each on a parameter it takes (core.optim.anatomy).
ELSEWHERE = {"SparseAdam": "sparse gradients only", "Muon": "2-D parameters only"}


@dataclass(frozen=True)
class Spec:
    """One optimiser with every setting's value: hashable (st.cache_data keys on it), built with
    Spec.of(name, **values), the rest at torch's defaults."""
    name: str = "SGD"
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, name: str, **values) -> Spec:
        entry = OPTIMIZERS[name]
        unknown = set(values) - {s.name for s in entry.settings}
        if unknown:
            raise TypeError(f"{name} has no setting {sorted(unknown)}")
        return cls(name, tuple((s.name, values.get(s.name, s.default)) for s in entry.settings))

    @property
    def entry(self) -> Optimizer:
        return OPTIMIZERS[self.name]

    def value(self, setting: str):
        return dict(self.values)[setting]

    def kwargs(self) -> dict:
        """The keyword arguments of the torch.optim class, pairs put back together."""
        kwargs: dict = {}
        for setting in self.entry.settings:
            value = self.value(setting.name)
            if setting.keyword != setting.name:
                kwargs[setting.keyword] = (*kwargs.get(setting.keyword, ()), value)
            else:
                kwargs[setting.name] = value
        return kwargs

    def make(self, params) -> torch.optim.Optimizer:
        return self.entry.cls(params, **self.kwargs())

    def code(self, params: str) -> str:
        """The constructor call, as a script writes it (every setting, torch's defaults too)."""
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.kwargs().items())
        prefix = "torch.optim." if getattr(torch.optim, self.name, None) is self.entry.cls else ""
        return f"{prefix}{self.name}({params}, {arguments})"

    def label(self) -> str:
        """Short: lr and every setting that differs from torch's default."""
        shown = [(s.name, self.value(s.name)) for s in self.entry.settings
                 if s.name == "lr" or self.value(s.name) != s.default]
        return f"{self.name}(" + ", ".join(f"{k}={_short(v)}" for k, v in shown) + ")"


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def validate_spec(spec: Spec, run: int, notices: list[Notice]) -> Spec:
    """Each setting: a number where torch wants one, not below its lowest (an error naming the run
    and the setting), clamped to its highest with a notice; then torch's own constructor checks
    the combination (nesterov's rule, for one) and its message is shown."""
    if spec.name not in OPTIMIZERS:
        raise InputError("error.unknown_choice", field=f"run {run} optimizer", value=spec.name)
    values = {}
    for setting in spec.entry.settings:
        value = spec.value(setting.name)
        if setting.kind in (int, float) and value is not None:
            number(f"run {run} {setting.name}", value)
            if value < setting.low:
                raise InputError("error.optim.run_below", run=run, field=setting.name,
                                 value=value, low=setting.low)
            if value > setting.high:
                notices.append(Notice("notice.clamped", {
                    "field": f"run {run} {setting.name}", "value": value, "low": setting.low,
                    "high": setting.high, "used": setting.high}))
                value = setting.high
            value = setting.kind(upper(f"run {run} {setting.name}", value, notices)) \
                if setting.kind is float else int(value)
        elif setting.kind is str and value not in setting.choices:
            raise InputError("error.unknown_choice", field=f"run {run} {setting.name}",
                             value=value)
        values[setting.name] = value
    clean = Spec.of(spec.name, **values)
    try:
        clean.make([torch.zeros(2, requires_grad=True)])
    except ValueError as error:
        raise InputError("error.optim.torch_refused", run=run, name=spec.name,
                         message=str(error)) from None
    return clean
