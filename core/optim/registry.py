"""The optimisers of torch.optim that run on a 2-D landscape, one entry each.

An entry reads the optimiser's settings, their kinds and their defaults from torch itself
(`inspect.signature` of the class), each a core.settings.Setting; this module adds only what torch
does not say: the bounds a typed value is refused below or clamped above (LIMITS), the choices of
a text setting, which state entry is drawn as the velocity, and whether `step` needs a closure. A
setting that is a pair in torch (`betas`, `etas`, `step_sizes`) is two settings here, `betas_0`
and `betas_1`, so each is one number in a link. The explanation of each setting is the text
`optim.help_<setting>` (or `optim.help_<Name>_<setting>` where one optimiser means something else
by the same name).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Union, get_args, get_origin

import torch

from core.errors import InputError, Notice
from core.optim import rules
from core.optim.common import SETTING_MAX
from core.settings import Setting

# How torch computes, not what: on a CPU and two numbers they give the same steps, so not offered.
IMPLEMENTATION = frozenset({"foreach", "fused", "capturable", "differentiable"})

# What torch's signature does not say. Every number is refused below its low (torch refuses it:
# an error next to the input) and clamped above its high with a notice; unlisted: 0 to 1e6 (past
# 1e6 torch cannot take a rate as a float32 scalar). "Name.setting" is one optimiser's own.
LIMITS: dict[str, dict] = {
    "betas_0": {"high": 0.999999}, "betas_1": {"high": 0.999999}, "rho": {"high": 1.0},
    "etas_0": {"low": 1e-6, "high": 0.999999}, "etas_1": {"low": 1.000001},
    "max_iter": {"low": 1, "high": 100}, "max_eval": {"low": 1, "high": 200},
    "history_size": {"low": 1, "high": 200}, "t0": {"high": 1e9},
    "beta2_decay": {"low": -SETTING_MAX, "high": 0.0}, "d": {"low": 1.0},
    # LBFGS's strong-Wolfe line search divides by the difference of two step lengths, and with
    # lr = 0 both are 0 (ZeroDivisionError in torch)
    "LBFGS.lr": {"low": 1e-12},
    "line_search_fn": {"kind": "choice", "choices": (None, "strong_wolfe")},  # torch's own
}


def _kind(annotation, default) -> str:
    """bool, int or float from torch's annotation (float | Tensor is a float)."""
    if isinstance(annotation, str):  # a postponed annotation
        annotation = eval(annotation, vars(torch.optim.optimizer), {"torch": torch})  # noqa: S307
    if get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return "float" if float in options else _kind(options[0], default)
    if annotation in (bool, int, float):
        return annotation.__name__
    if isinstance(default, bool | int | float):
        return type(default).__name__
    return "float"


def _setting(optimizer: type, name: str, kind: str, default) -> Setting:
    """One setting as torch declares it, with its limits, shown under torch's own name."""
    limits = {"low": 0.0, "high": SETTING_MAX} | LIMITS.get(name, {}) \
        | LIMITS.get(f"{optimizer.__name__}.{name}", {})
    kind = limits.pop("kind", kind)
    if kind in ("int", "float") and default is not None:
        default = int(default) if kind == "int" else float(default)
    if kind not in ("int", "float"):
        limits = {key: value for key, value in limits.items() if key == "choices"}
    return Setting(name=name, kind=kind, default=default, below_low="refuse",
                   optional=default is None and kind != "choice",
                   label=name.replace("_0", "[0]").replace("_1", "[1]"),
                   step=1 if kind == "int" else None,
                   format="%.5g" if kind == "float" else None, **limits)


def read_settings(optimizer: type[torch.optim.Optimizer]) -> tuple[Setting, ...]:
    """Every setting of the optimiser's constructor but params and the implementation flags."""
    settings = []
    for name, parameter in inspect.signature(optimizer).parameters.items():
        if name == "params" or name in IMPLEMENTATION:
            continue
        default = parameter.default
        if isinstance(default, tuple):  # a pair: one number each
            settings += [_setting(optimizer, f"{name}_{i}", "float", value)
                         for i, value in enumerate(default)]
        else:
            settings.append(_setting(optimizer, name, _kind(parameter.annotation, default),
                                     default))
    return tuple(settings)


def keyword(setting: str) -> str:
    """The keyword torch takes a setting under: betas for betas_0."""
    head, _, index = setting.rpartition("_")
    return head if index.isdigit() and head else setting


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
        """torch's settings, each explained by this optimiser's help text for it."""
        return tuple(replace(setting, help=self.help_key(setting.name))
                     for setting in read_settings(self.cls))

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
            value, name = self.value(setting.name), keyword(setting.name)
            kwargs[name] = (*kwargs.get(name, ()), value) if name != setting.name else value
        return kwargs

    def make(self, params) -> torch.optim.Optimizer:
        return self.entry.cls(params, **self.kwargs())

    def code(self, params: str) -> str:
        """The constructor call, as a script writes it (every setting, torch's defaults too)."""
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.kwargs().items())
        prefix = "torch.optim." if getattr(torch.optim, self.name, None) is self.entry.cls else ""
        return f"{prefix}{self.name}({params}, {arguments})"

    def step_cost(self) -> float:
        """What one step of this run costs, in plain optimiser steps (one loss, one backward and
        one update, about 0.2 ms on one thread): a step that takes a closure evaluates it up to
        max_eval times (torch's default max_iter·5/4), each with LBFGS's own bookkeeping about
        0.4 of a plain step (python -m bench.optim)."""
        if not self.entry.closure:
            return 1.0
        evaluations = self.value("max_eval") or self.value("max_iter") * 5 // 4
        return max(1.0, 0.4 * evaluations)

    def label(self) -> str:
        """Short: lr and every setting that differs from torch's default."""
        shown = [(s.name, self.value(s.name)) for s in self.entry.settings
                 if s.name == "lr" or self.value(s.name) != s.default]
        return f"{self.name}(" + ", ".join(f"{k}={_short(v)}" for k, v in shown) + ")"


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def validate_spec(spec: Spec, run: int, notices: list[Notice]) -> Spec:
    """Each setting parsed (a number where torch wants one, refused below its lowest with an
    error naming the run and the setting, clamped to its highest with a notice); then torch's
    own constructor checks the combination (nesterov's rule, for one) and its message is
    shown. A field is named "r<i>.<setting>" (run i counted from 0, as its widgets are): the
    page names it as its controls are labelled."""
    if spec.name not in OPTIMIZERS:
        raise InputError("error.unknown_choice", field=f"r{run - 1}.name", value=spec.name)
    values = {setting.name: setting.parse(spec.value(setting.name), notices,
                                          f"r{run - 1}.{setting.name}")
              for setting in spec.entry.settings}
    clean = Spec.of(spec.name, **values)
    try:
        clean.make([torch.zeros(2, requires_grad=True)])
    except ValueError as error:
        raise InputError("error.optim.torch_refused", run=run, name=spec.name,
                         message=str(error)) from None
    return clean
