"""One way to say a setting: every value a user can set is a Setting — a lesson's control, a loss's
option, an optimiser's or a scheduler's argument — declared once, with its kind, default, bound,
choices and help, and checked by one parse.

A lesson declares its controls as the fields of its frozen Config:

    @dataclass(frozen=True)
    class NetConfig:
        depth: int = setting(100, low=1, high=200, step=1)
        activation: str = setting("none", choices=("none", "relu", "tanh"))

settings_of(NetConfig) gives each field's Setting (named after the field); validate_settings
checks and clamps a Config by them; the page's widgets, their keys and their link parameters are
derived from the same declaration (ui.widgets), so a setting added to a Config is drawn, linked,
validated and fuzzed with no other line of code. A registry (losses, optimisers, schedulers)
holds Settings of its own in its entries.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass

from core.bounds import Bound
from core.errors import InputError, Notice

KINDS = ("float", "int", "bool", "choice", "ints", "floats", "text")
METADATA = "setting"  # the key of a Config field's metadata that holds its Setting


@dataclass(frozen=True)
class Setting:
    """One value a user can set.

    kind: "float", "int", "bool", "choice" (one of choices), "ints" (a list of integers, typed as
    text, kept sorted), "floats" (a list of numbers, typed as text, kept in order) or "text" (free
    text, such as a CSV). low and high bound a number: a value above high
    is clamped with a notice, one below low too, unless below_low="refuse" (torch refuses it:
    an InputError). optional: None is a value (torch decides, as LBFGS's max_eval).

    How it is shown: label and help are text keys (None: the page derives them: the lesson's
    "<lesson>.<name>" and "<lesson>.<name>_help" where that text exists, or torch's own name);
    choice_text is a text key with "{choice}" for each choice's label (None, or a choice without
    that text: the choice itself, such as a torch name);
    step and format are a number widget's, widget "slider" draws a number as a slider; shown
    tells, from the other values, whether it applies at all (a slope only for leaky ReLU).

    How torch takes it: passed (its value goes to torch's constructor under its name), to_value
    and to_code where torch gets something other than the value itself (a function picked by
    name)."""

    name: str = ""
    kind: str = "float"
    default: object = None
    low: float | None = None
    high: float | None = None
    # a tuple, or a registry's live keys (ACTIVATIONS.keys()): an entry registered later (a
    # throwaway in a test) is a choice too
    choices: Collection = dataclasses.field(default=(), hash=False)
    below_low: str = "clamp"
    optional: bool = False
    label: str | None = None
    help: str | None = None
    choice_text: str | None = None
    step: float | None = None
    format: str | None = None
    widget: str = "input"
    shown: Callable[[dict], bool] | None = None
    passed: bool = True
    to_value: Callable[[object], object] | None = None
    to_code: Callable[[object], str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"setting {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind == "choice" and self.default not in self.choices:
            raise ValueError(f"setting {self.name}: default {self.default!r} is not a choice")

    @property
    def bound(self) -> Bound | None:
        if self.low is None and self.high is None:
            return None
        return Bound(self.name, -math.inf if self.low is None else self.low,
                     math.inf if self.high is None else self.high)

    def applies(self, values: dict) -> bool:
        """Whether this setting applies, given the values of the others."""
        return self.shown is None or bool(self.shown(values))

    def parse(self, value, notices: list[Notice], field: str | None = None):
        """value as the setting takes it: of its kind, inside its bound (clamped with a notice,
        or refused), one of its choices; otherwise an InputError naming field (default: the
        setting's name) and the rule."""
        field = field or self.name
        if value is None and self.optional:
            return None
        if self.kind == "choice":
            if value not in self.choices:
                raise InputError("error.unknown_choice", field=field, value=value)
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise InputError("error.not_a_choice", field=field, value=value)
            return value
        if self.kind == "text":
            if not isinstance(value, str):
                raise InputError("error.not_text", field=field, value=value)
            return value
        if self.kind in ("ints", "floats"):
            return self._parse_numbers(value, notices, field)
        number = _number(value, field)
        if self.kind == "int":
            if number != int(number):
                raise InputError("error.not_int", field=field, value=value)
            number = int(number)
        else:
            number = float(number)
        return self._bounded(number, notices, field)

    def _bounded(self, number: float, notices: list[Notice], field: str):
        if self.below_low == "refuse" and self.low is not None and number < self.low:
            raise InputError("error.below", field=field, value=number, low=self.low)
        if self.bound is None:
            return number
        clamped = Bound(field, self.bound.low, self.bound.high).clamp(number, notices)
        return int(clamped) if self.kind in ("int", "ints") else float(clamped)

    def _parse_numbers(self, value, notices: list[Notice], field: str) -> tuple:
        """Numbers typed as "50, 125 160" (or a tuple of them), each checked and bounded: whole
        numbers sorted (ints: milestones), any numbers in the order typed (floats: betas)."""
        whole = self.kind == "ints"
        items = value if isinstance(value, tuple | list) \
            else str(value).replace(",", " ").split()
        numbers = []
        for item in items:
            try:
                number = float(item)
            except (TypeError, ValueError):
                raise InputError("error.not_int" if whole else "error.not_a_number", field=field,
                                 value=item) from None
            if not math.isfinite(number) or (whole and number != int(number)):
                raise InputError("error.not_int" if whole else "error.not_a_number", field=field,
                                 value=item)
            numbers.append(self._bounded(int(number) if whole else number, notices, field))
        if not numbers and self.default != ():  # a list that may be empty defaults to ()
            raise InputError("error.empty", field=field)
        return tuple(sorted(numbers)) if whole else tuple(numbers)

    def text(self, value) -> str:
        """The value as a widget of this kind holds it (a list of numbers is typed as text)."""
        return ", ".join(map(str, value)) if self.kind in ("ints", "floats") else value

    def torch_value(self, value):
        """What torch's constructor gets for value."""
        if self.to_value is not None:
            return self.to_value(value)
        return list(value) if self.kind in ("ints", "floats") else value

    def code(self, value) -> str:
        """value as a script writes it."""
        if self.to_code is not None:
            return self.to_code(value)
        return repr(self.torch_value(value))


def _number(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError("error.not_a_number", field=field, value=value)
    return value


def setting(default, kind: str | None = None, **options) -> dataclasses.Field:
    """A Config field that is a setting: its default, and how it is set and checked (the
    Setting's other fields). kind is read from the default where not given (a tuple of choices
    makes a choice)."""
    if kind is None:
        kind = "choice" if "choices" in options else _kind_of(default)
    return dataclasses.field(default=default, metadata={
        METADATA: Setting(kind=kind, default=default, **options)})


def _kind_of(default) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "text"
    if isinstance(default, tuple) and all(isinstance(v, int) for v in default):
        return "ints"
    if isinstance(default, tuple) and all(isinstance(v, float) for v in default):
        return "floats"
    raise TypeError(f"give the kind of a setting whose default is {default!r}")


def settings_of(config_type: type) -> dict[str, Setting]:
    """The settings of a Config type, by path in declaration order: its own fields declared with
    setting(), then those of its nested Configs ("init.std")."""
    found: dict[str, Setting] = {}
    for item in dataclasses.fields(config_type):
        if METADATA in item.metadata:
            found[item.name] = dataclasses.replace(item.metadata[METADATA], name=item.name)
        elif dataclasses.is_dataclass(_default(item)):
            for path, nested in settings_of(type(_default(item))).items():
                found[f"{item.name}.{path}"] = nested
    return found


def _default(item: dataclasses.Field):
    if item.default is not dataclasses.MISSING:
        return item.default
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return None


def value_at(config, path: str):
    """The value at a dotted path of a Config ("init.std")."""
    for name in path.split("."):
        config = getattr(config, name)
    return config


def with_values(config, values: dict):
    """config with the values at their dotted paths ({"depth": 50, "init.std": 1.0})."""
    own = {path: value for path, value in values.items() if "." not in path}
    nested: dict[str, dict] = {}
    for path, value in values.items():
        if "." in path:
            head, rest = path.split(".", 1)
            nested.setdefault(head, {})[rest] = value
    own |= {head: with_values(getattr(config, head), inner) for head, inner in nested.items()}
    return dataclasses.replace(config, **own)


def validate_settings(config, notices: list[Notice]):
    """config with every declared setting parsed: of its kind, inside its bound (clamped with a
    notice each), one of its choices; an InputError naming the first that cannot be used. A
    setting that does not apply (shown false) is checked too: a link may hold any value."""
    kinds = settings_of(type(config))
    return with_values(config, {path: kind.parse(value_at(config, path), notices, path)
                                for path, kind in kinds.items()})
