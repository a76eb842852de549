"""Learning-rate schedules: every scheduler of torch.optim.lr_scheduler in the course's setting.

One registry entry per scheduler (SCHEDULERS) holds everything about it: its settings (types and
defaults read from torch's own signature, the preset on top: the course's values where the course
has them; a small table of bounds; the explanation is the text key `schedules.help_<setting>`),
how it is built on an optimiser, how it is stepped (ReduceLROnPlateau is fed a loss and reports
where its patience ran out and where its cooldown ended), and the code that builds it in a script.

The course's loop (run): torch.manual_seed(1), lr = 0.1, max_epoch = 200, iteration = 10 steps per
epoch, SGD(momentum=0.9) on w = randn(1) with loss (w - 0)², record scheduler.get_last_lr() at the
start of each epoch, then the iterations, then scheduler.step(). Here the draw comes from a
private torch.Generator seeded like the course (core never touches torch's global RNG).

applied.py runs a schedule on the optimiser lesson's landscapes and on the course's 4x²;
range_test.py is the learning-rate range test (torch-lr-finder's method).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
import torch
from torch.optim import lr_scheduler

from core.bounds import Bound
from core.errors import InputError, Notice

MAX_EPOCH = Bound("max_epoch", 1, 1000)
ITERATION = Bound("iteration", 1, 50)
LR = Bound("lr", 1e-8, 10.0)
SEED = Bound("seed", 0, 2**31 - 1)
# LambdaLR takes a formula of the epoch from this list, never free code: each is our own constant
# source, evaluated once into a lambda.
FORMULAS = ("0.1 ** (epoch // 20)", "0.95 ** epoch", "1.0", "1 / (epoch + 1)",
            "max(0.0, 1 - epoch / 200)", "min(1.0, (epoch + 1) / 10)")
# Bounds of every setting by name, wide enough for any sensible schedule, tight enough that torch
# accepts the value: (low, high).
BOUNDS = {
    "step_size": (1, 1000), "gamma": (0.0, 1.0), "T_max": (1, 1000), "eta_min": (0.0, 10.0),
    "factor": (0.0, 0.999), "patience": (0, 1000), "cooldown": (0, 1000), "min_lr": (0.0, 10.0),
    "threshold": (0.0, 1.0), "start_factor": (1e-6, 1.0), "end_factor": (0.0, 1.0),
    "total_iters": (0, 1000), "power": (0.0, 10.0), "T_0": (1, 1000), "T_mult": (1, 10),
    "base_lr": (0.0, 10.0), "max_lr": (0.0, 10.0), "step_size_up": (1, 1000),
    "total_steps": (1, 10000), "pct_start": (0.01, 0.99), "div_factor": (1.0, 1e4),
    "final_div_factor": (1.0, 1e6), "milestones": (0, 1000), "warmup": (1, 999),
    "loss_before": (-1e6, 1e6), "loss_after": (-1e6, 1e6), "change_epoch": (0, 1000),
}


@dataclass(frozen=True)
class Setting:
    """One setting of a scheduler. kind: "int", "float", "bool", "ints" (a list of integers,
    typed as text), or "choice" (one of choices)."""

    name: str
    kind: str
    default: object
    choices: tuple = ()
    constructor: bool = True  # passed to the scheduler's constructor under its own name

    @property
    def bound(self) -> Bound | None:
        low_high = BOUNDS.get(self.name)
        return Bound(self.name, *low_high) if low_high else None

    def parse(self, value, notices: list[Notice]):
        """The value as the scheduler takes it: clamped into its bound (with a notice), or an
        InputError that names the setting and the rule."""
        if self.kind == "choice":
            if value not in self.choices:
                raise InputError("error.unknown_choice", field=self.name, value=value)
            return value
        if self.kind == "bool":
            return bool(value)
        if self.kind == "ints":
            items = value if isinstance(value, tuple) else str(value).replace(",", " ").split()
            numbers = []
            for item in items:
                try:
                    number = float(item)
                except ValueError:
                    raise InputError("error.schedules.not_int", field=self.name,
                                     value=item) from None
                if not math.isfinite(number) or number != int(number):
                    raise InputError("error.schedules.not_int", field=self.name, value=item)
                numbers.append(int(self.bound.clamp(int(number), notices)))
            if not numbers:
                raise InputError("error.schedules.empty", field=self.name)
            return tuple(sorted(numbers))
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise InputError("error.not_a_number", field=self.name, value=value)
        if self.kind == "int":
            if value != int(value):
                raise InputError("error.schedules.not_int", field=self.name, value=value)
            value = int(value)
        else:
            value = float(value)
        return self.bound.clamp(value, notices) if self.bound else value

    def code(self, value) -> str:
        return repr(list(value)) if self.kind == "ints" else repr(value)


def from_torch(cls: type, name: str, preset: object = inspect.Parameter.empty,
               **options) -> Setting:
    """A setting of torch scheduler cls, its kind and default read from cls's signature; preset
    (the course's value, or a value that makes sense in the course's 200 epochs) replaces torch's
    default where given, and is required where torch has none."""
    parameter = inspect.signature(cls).parameters[name]
    annotation = str(parameter.annotation)
    default = parameter.default if preset is inspect.Parameter.empty else preset
    if default is inspect.Parameter.empty:
        raise TypeError(f"{cls.__name__}.{name} has no default in torch: give a preset")
    if annotation.startswith("Literal"):
        choices = tuple(part.strip(" '\"") for part in annotation[8:-1].split(","))
        return Setting(name, "choice", default, choices, **options)
    if "Iterable[int]" in annotation or "list[int]" in annotation:
        return Setting(name, "ints", tuple(default), **options)
    kind = next((k for k in ("bool", "int", "float") if annotation.startswith(k)), "float")
    return Setting(name, kind, default, **options)


def _plain_step(scheduler, epoch: int, values: dict, loss: float | None) -> list[str]:
    scheduler.step()
    return []


def _plain_step_code(values: dict, loss: str | None) -> list[str]:
    return ["scheduler.step()"]


@dataclass(frozen=True)
class Scheduler:
    """One registry entry. build(optimizer, values, max_epoch) makes the torch scheduler;
    constructor(values, max_epoch) is the same call as source, with `optimizer` as its argument.
    step(scheduler, epoch, values, loss) steps it once after an epoch and returns the events of
    that step (text keys `schedules.event_name_<event>`); step_code(values, loss) is that step as
    lines of source, loss an expression of the step's loss (None: the course's loop)."""

    name: str
    settings: tuple[Setting, ...]
    build: Callable
    constructor: Callable[[dict, int], str]
    course: bool = False  # the preset is the course's example
    groups: int = 1  # parameter groups of its example: 2 is the course's LambdaLR example
    logged_after: bool = False  # the course records this one's rates after scheduler.step()
    # settings from which it sets the rates itself, replacing the optimiser's lr (CyclicLR's
    # base_lr and max_lr, OneCycleLR's max_lr): a run beside a constant lr is not like for like
    own_rates: tuple[str, ...] = ()
    step: Callable = _plain_step
    step_code: Callable[[dict, str | None], list[str]] = _plain_step_code

    def preset(self) -> dict:
        return {s.name: s.default for s in self.settings}


def _simple(cls: type, *settings: Setting, course: bool = False,
            own_rates: tuple[str, ...] = ()) -> Scheduler:
    """A scheduler built as cls(optimizer, **its settings)."""
    def build(optimizer, values, max_epoch):
        return cls(optimizer, **{s.name: _torch_value(s, values[s.name]) for s in settings})

    def constructor(values, max_epoch):
        arguments = "".join(f", {s.name}={s.code(values[s.name])}" for s in settings)
        return f"torch.optim.lr_scheduler.{cls.__name__}(optimizer{arguments})"

    return Scheduler(cls.__name__, settings, build, constructor, course, own_rates=own_rates)


def _torch_value(setting: Setting, value):
    return list(value) if setting.kind == "ints" else value


# ---- ReduceLROnPlateau: fed the course's loss, its patience and cooldown marked ---------------

def _fed_loss(epoch: int, values: dict) -> float:
    return values["loss_after"] if epoch >= values["change_epoch"] else values["loss_before"]


def _plateau_step(scheduler, epoch: int, values: dict, loss: float | None) -> list[str]:
    """step(loss) with the course's loss (or the real one, when a run gives it), and what torch's
    own counters say happened: patience ran out (the bad epochs exceeded it and the rate was cut)
    or the cooldown ended (the counter reached 0: bad epochs count again from the next)."""
    bad, best, counter = scheduler.num_bad_epochs, scheduler.best, scheduler.cooldown_counter
    scheduler.step(_fed_loss(epoch, values) if loss is None else loss)
    events = []
    if counter == 0 and bad == scheduler.patience and scheduler.num_bad_epochs == 0 \
            and scheduler.best == best:
        events.append("patience")
    if counter == 1 and scheduler.cooldown_counter == 0:
        events.append("cooldown")
    return events


def _plateau_step_code(values: dict, loss: str | None) -> list[str]:
    """step(loss) with the given loss expression, or with the course's fed loss."""
    if loss is not None:
        return [f"scheduler.step({loss})"]
    return [f"loss_value = {values['loss_after']!r} if epoch >= {values['change_epoch']} "
            f"else {values['loss_before']!r}", "scheduler.step(loss_value)"]


def _plateau() -> Scheduler:
    plateau = lr_scheduler.ReduceLROnPlateau
    entry = _simple(plateau, from_torch(plateau, "factor", 0.1),
                    from_torch(plateau, "mode", "min"), from_torch(plateau, "patience", 10),
                    from_torch(plateau, "cooldown", 10), from_torch(plateau, "min_lr", 1e-4),
                    from_torch(plateau, "threshold"), course=True)
    feed = (Setting("loss_before", "float", 0.5, constructor=False),
            Setting("loss_after", "float", 0.4, constructor=False),
            Setting("change_epoch", "int", 5, constructor=False))
    return replace(entry, settings=entry.settings + feed, step=_plateau_step,
                   step_code=_plateau_step_code)


# ---- LambdaLR: two parameter groups, a formula each from a short list ------------------------

def _lambda() -> Scheduler:
    formulas = (Setting("lambda1", "choice", FORMULAS[0], FORMULAS, constructor=False),
                Setting("lambda2", "choice", FORMULAS[1], FORMULAS, constructor=False))

    def build(optimizer, values, max_epoch):
        chosen = [values["lambda1"], values["lambda2"]][:len(optimizer.param_groups)]
        return lr_scheduler.LambdaLR(optimizer, [_formula(f) for f in chosen])

    def constructor(values, max_epoch):
        # one formula per parameter group: the course's two, or the first for one group
        return (f"torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=[\n"
                f"    lambda epoch: {values['lambda1']},\n    lambda epoch: {values['lambda2']},\n"
                f"][:len(optimizer.param_groups)])")

    return Scheduler("LambdaLR", formulas, build, constructor, course=True, groups=2,
                     logged_after=True)


_FORMULAS = {formula: eval(f"lambda epoch: {formula}") for formula in FORMULAS}  # noqa: S307


def _formula(formula: str) -> Callable[[int], float]:
    return _FORMULAS[formula]


# ---- Two schedulers of schedulers: a warm-up then a decay ------------------------------------

def _sequential() -> Scheduler:
    """SequentialLR: LinearLR warms up for `warmup` epochs, then CosineAnnealingLR anneals over
    the remaining epochs."""
    settings = (Setting("warmup", "int", 10, constructor=False),
                replace(from_torch(lr_scheduler.LinearLR, "start_factor", 0.1), constructor=False),
                replace(from_torch(lr_scheduler.CosineAnnealingLR, "eta_min"), constructor=False))

    def build(optimizer, values, max_epoch):
        warmup = values["warmup"]
        return lr_scheduler.SequentialLR(optimizer, [
            lr_scheduler.LinearLR(optimizer, start_factor=values["start_factor"],
                                  total_iters=warmup),
            lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(max_epoch - warmup, 1),
                                           eta_min=values["eta_min"])], milestones=[warmup])

    def constructor(values, max_epoch):
        warmup = values["warmup"]
        return (f"torch.optim.lr_scheduler.SequentialLR(optimizer, [\n"
                f"    torch.optim.lr_scheduler.LinearLR(optimizer, start_factor="
                f"{values['start_factor']!r}, total_iters={warmup}),\n"
                f"    torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max="
                f"{max(max_epoch - warmup, 1)}, eta_min={values['eta_min']!r}),\n"
                f"], milestones=[{warmup}])")

    return Scheduler("SequentialLR", settings, build, constructor)


def _chained() -> Scheduler:
    """ChainedScheduler: LinearLR's warm-up and ExponentialLR's decay, both applied every step
    (their factors multiply)."""
    linear = lr_scheduler.LinearLR
    settings = (replace(from_torch(linear, "start_factor", 0.1), constructor=False),
                replace(from_torch(linear, "total_iters", 10), constructor=False),
                replace(from_torch(lr_scheduler.ExponentialLR, "gamma", 0.98),
                        constructor=False))

    def build(optimizer, values, max_epoch):
        return lr_scheduler.ChainedScheduler([
            linear(optimizer, start_factor=values["start_factor"],
                   total_iters=values["total_iters"]),
            lr_scheduler.ExponentialLR(optimizer, gamma=values["gamma"])])

    def constructor(values, max_epoch):
        return (f"torch.optim.lr_scheduler.ChainedScheduler([\n"
                f"    torch.optim.lr_scheduler.LinearLR(optimizer, start_factor="
                f"{values['start_factor']!r}, total_iters={values['total_iters']}),\n"
                f"    torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma="
                f"{values['gamma']!r}),\n])")

    return Scheduler("ChainedScheduler", settings, build, constructor)


def _registry() -> dict[str, Scheduler]:
    L = lr_scheduler  # noqa: N806
    entries = [
        _simple(L.StepLR, from_torch(L.StepLR, "step_size", 50), from_torch(L.StepLR, "gamma"),
                course=True),
        _simple(L.MultiStepLR, from_torch(L.MultiStepLR, "milestones", (50, 125, 160)),
                from_torch(L.MultiStepLR, "gamma"), course=True),
        _simple(L.ExponentialLR, from_torch(L.ExponentialLR, "gamma", 0.95), course=True),
        _simple(L.CosineAnnealingLR, from_torch(L.CosineAnnealingLR, "T_max", 50),
                from_torch(L.CosineAnnealingLR, "eta_min", 0.0), course=True),
        _plateau(),
        _lambda(),
        _simple(L.LinearLR, from_torch(L.LinearLR, "start_factor", 0.1),
                from_torch(L.LinearLR, "end_factor"), from_torch(L.LinearLR, "total_iters", 50)),
        _simple(L.ConstantLR, from_torch(L.ConstantLR, "factor", 0.5),
                from_torch(L.ConstantLR, "total_iters", 50)),
        _simple(L.PolynomialLR, from_torch(L.PolynomialLR, "total_iters", 200),
                from_torch(L.PolynomialLR, "power", 2.0)),
        _simple(L.CosineAnnealingWarmRestarts,
                from_torch(L.CosineAnnealingWarmRestarts, "T_0", 25),
                from_torch(L.CosineAnnealingWarmRestarts, "T_mult", 2),
                from_torch(L.CosineAnnealingWarmRestarts, "eta_min", 0.001)),
        _simple(L.CyclicLR, from_torch(L.CyclicLR, "base_lr", 0.01),
                from_torch(L.CyclicLR, "max_lr", 0.1), from_torch(L.CyclicLR, "step_size_up", 20),
                from_torch(L.CyclicLR, "mode"), from_torch(L.CyclicLR, "gamma", 0.99),
                own_rates=("base_lr", "max_lr")),
        _simple(L.OneCycleLR, from_torch(L.OneCycleLR, "max_lr", 0.1),
                from_torch(L.OneCycleLR, "total_steps", 200), from_torch(L.OneCycleLR, "pct_start"),
                from_torch(L.OneCycleLR, "anneal_strategy"),
                from_torch(L.OneCycleLR, "div_factor"),
                from_torch(L.OneCycleLR, "final_div_factor"),
                from_torch(L.OneCycleLR, "three_phase"), own_rates=("max_lr",)),
        _sequential(),
        _chained(),
    ]
    return {entry.name: entry for entry in entries}


SCHEDULERS = _registry()


# ---- The course's loop ------------------------------------------------------------------------

@dataclass(frozen=True)
class ScheduleConfig:
    """A scheduler in the course's setting. settings: (name, value) pairs that differ from the
    entry's preset (none: the preset itself)."""

    scheduler: str = "StepLR"
    settings: tuple[tuple[str, object], ...] = ()
    lr: float = 0.1
    max_epoch: int = 200
    iteration: int = 10
    seed: int = 1

    @property
    def entry(self) -> Scheduler:
        return SCHEDULERS[self.scheduler]

    def values(self) -> dict:
        return self.entry.preset() | dict(self.settings)

    def compared(self) -> dict:
        """The scheduler with every setting at its value (the preset's too) as one call, for
        core.compare.differences: "StepLR(step_size=50, gamma=0.1) → StepLR(step_size=50,
        gamma=0.37)". Compared setting by setting, a change of scheduler listed every setting
        one of the two lacks ("settings.step_size: 50 → —")."""
        values = self.values() if self.scheduler in SCHEDULERS else dict(self.settings)
        return {"scheduler": self.call(values), "settings": ()}

    def call(self, values: dict) -> str:
        return f"{self.scheduler}(" + ", ".join(
            f"{name}={_short(value)}" for name, value in values.items()) + ")"


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(_short, value)) + "]"
    return str(value)


def validate(config: ScheduleConfig) -> tuple[ScheduleConfig, list[Notice]]:
    """Reject an unknown scheduler or a setting torch would refuse, naming it; clamp sizes."""
    if config.scheduler not in SCHEDULERS:
        raise InputError("error.unknown_choice", field="scheduler", value=config.scheduler)
    notices: list[Notice] = []
    given = dict(config.settings)
    unknown = set(given) - {s.name for s in config.entry.settings}
    if unknown:
        raise InputError("error.unknown_choice", field=f"{config.scheduler} setting",
                         value=sorted(unknown)[0])
    settings = tuple((s.name, s.parse(given[s.name], notices))
                     for s in config.entry.settings if s.name in given)
    for name in ("lr", "max_epoch", "iteration", "seed"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise InputError("error.not_a_number", field=name, value=value)
    return replace(config, settings=settings, lr=LR.clamp(float(config.lr), notices),
                   max_epoch=MAX_EPOCH.clamp(int(config.max_epoch), notices),
                   iteration=ITERATION.clamp(int(config.iteration), notices),
                   seed=SEED.clamp(int(config.seed), notices)), notices


@dataclass(frozen=True)
class ScheduleResult:
    rates: pd.DataFrame  # epoch, group, lr (recorded before scheduler.step(), as the course does)
    rates_after: pd.DataFrame  # epoch, group, lr (recorded after scheduler.step())
    events: pd.DataFrame  # epoch, event: what a step reported (ReduceLROnPlateau)
    weights: pd.DataFrame  # epoch, w: the trained weight at the end of each epoch
    initial_w: float


def course_parameters(entry: Scheduler, generator: torch.Generator) -> tuple[list, torch.Tensor]:
    """The course's parameter groups and the weight it trains: w = randn(1); for the two-group
    example (LambdaLR) also w1 = randn(6, 3, 5, 5) and w2 = ones(5, 5), one group each."""
    weights = torch.randn((1,), generator=generator, requires_grad=True)
    if entry.groups == 2:
        w1 = torch.randn((6, 3, 5, 5), generator=generator)
        return [{"params": [w1]}, {"params": [torch.ones((5, 5))]}], weights
    return [weights], weights


def _refused(config: ScheduleConfig, error: Exception) -> InputError:
    """torch refused a combination of settings the bounds let through (OneCycleLR with fewer total
    steps than epochs, a cosine period of 0...): its own words, naming the scheduler."""
    return InputError("error.schedules.refused", scheduler=config.scheduler, message=str(error))


def run(config: ScheduleConfig) -> ScheduleResult:
    """The course's loop with the real scheduler: every epoch record get_last_lr(), run the
    iterations, step the scheduler, record get_last_lr() again."""
    entry, values = config.entry, config.values()
    generator = torch.Generator().manual_seed(config.seed)
    groups, weights = course_parameters(entry, generator)
    initial = weights.item()
    optimizer = torch.optim.SGD(groups, lr=config.lr, momentum=0.9)
    target = torch.zeros((1,))
    before, after, events, trained = [], [], [], []
    try:
        scheduler = entry.build(optimizer, values, config.max_epoch)
        for epoch in range(config.max_epoch):
            before += [(epoch, g, lr) for g, lr in enumerate(scheduler.get_last_lr())]
            for _ in range(config.iteration):
                if entry.groups == 1:
                    loss = torch.pow((weights - target), 2)
                    loss.backward()
                optimizer.step()
                optimizer.zero_grad()
            trained.append((epoch, weights.item()))
            events += [(epoch, event) for event in entry.step(scheduler, epoch, values, None)]
            after += [(epoch, g, lr) for g, lr in enumerate(scheduler.get_last_lr())]
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise _refused(config, error) from None
    columns = ["epoch", "group", "lr"]
    return ScheduleResult(pd.DataFrame(before, columns=columns),
                          pd.DataFrame(after, columns=columns),
                          pd.DataFrame(events, columns=["epoch", "event"]),
                          pd.DataFrame(trained, columns=["epoch", "w"]), initial)


def to_script(config: ScheduleConfig) -> str:
    """The course's script for this scheduler: it prints each epoch's rates, as run() records
    them (before scheduler.step(); and after it too, for a scheduler the course logs after it,
    as the page draws both orders), and the trained weight."""
    entry, values = config.entry, config.values()
    if entry.groups == 2:
        setup = ("w1 = torch.randn((6, 3, 5, 5))\nw2 = torch.ones((5, 5))\n"
                 "optimizer = torch.optim.SGD([{'params': [w1]}, {'params': [w2]}], lr=LR, "
                 "momentum=0.9)")
        train = "        optimizer.step()  # w1 and w2 have no gradient: the course only steps"
    else:
        setup = "optimizer = torch.optim.SGD([weights], lr=LR, momentum=0.9)"
        train = ("        loss = torch.pow((weights - target), 2)\n        loss.backward()\n"
                 "        optimizer.step()")
    step = "\n    ".join(entry.step_code(values, None) + (
        ['print(f"after step() epoch {epoch} lr {scheduler.get_last_lr()}")  # the course\'s order']
        if entry.logged_after else []))
    return f'''import torch

torch.manual_seed({config.seed})
LR = {config.lr!r}
iteration = {config.iteration}
max_epoch = {config.max_epoch}
weights = torch.randn((1), requires_grad=True)
target = torch.zeros((1))
{setup}
scheduler = {entry.constructor(values, config.max_epoch)}
for epoch in range(max_epoch):
    print(f"epoch {{epoch}} lr {{scheduler.get_last_lr()}}")
    for i in range(iteration):
{train}
        optimizer.zero_grad()
    {step}
print(f"w {{weights.item()}}")
'''


def settings_differing(entry: Scheduler, values: dict) -> tuple[tuple[str, object], ...]:
    """The (name, value) pairs of values that differ from the entry's preset, for a Config."""
    preset = entry.preset()
    return tuple((name, value) for name, value in values.items() if preset.get(name) != value)

