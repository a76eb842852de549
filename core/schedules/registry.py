"""Every scheduler of torch.optim.lr_scheduler, one entry each (SCHEDULERS): its settings, each a
core.settings.Setting whose kind and default are read from torch's own signature (the preset on
top: the course's values where the course has them), how it is built on an optimiser, how it is
stepped (ReduceLROnPlateau is fed a loss and reports where its patience ran out and where its
cooldown ended), and the code that builds it in a script. The explanation of a setting is the text
`schedules.help_<setting>`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace

from torch.optim import lr_scheduler

from core.settings import Setting

# LambdaLR takes a formula of the epoch from this list, never free code (its factor on lr);
# MultiplicativeLR the same for the factor each epoch multiplies the rate by. Each is our own
# constant source, evaluated once into a lambda.
FORMULAS = ("0.1 ** (epoch // 20)", "0.95 ** epoch", "1.0", "1 / (epoch + 1)",
            "max(0.0, 1 - epoch / 200)", "min(1.0, (epoch + 1) / 10)")
FACTORS = ("0.95", "0.99", "0.1 if epoch % 50 == 49 else 1.0", "(epoch + 1) / (epoch + 2)")
# Bounds of every setting by name, wide enough for any sensible schedule, tight enough that torch
# accepts the value: a value outside is clamped with a notice.
LIMITS = {
    "step_size": (1, 1000), "gamma": (0.0, 1.0), "T_max": (1, 1000), "eta_min": (0.0, 10.0),
    "factor": (0.0, 0.999), "patience": (0, 1000), "cooldown": (0, 1000), "min_lr": (0.0, 10.0),
    "threshold": (0.0, 1.0), "start_factor": (1e-6, 1.0), "end_factor": (0.0, 1.0),
    "total_iters": (0, 1000), "power": (0.0, 10.0), "T_0": (1, 1000), "T_mult": (1, 10),
    "base_lr": (0.0, 10.0), "max_lr": (0.0, 10.0), "step_size_up": (1, 1000),
    "total_steps": (1, 10000), "pct_start": (0.01, 0.99), "div_factor": (1.0, 1e4),
    "final_div_factor": (1.0, 1e6), "milestones": (0, 1000), "warmup": (1, 999),
    "loss_before": (-1e6, 1e6), "loss_after": (-1e6, 1e6), "change_epoch": (0, 1000),
}


def setting_of(name: str, kind: str, default, choices: tuple = (), passed: bool = True
               ) -> Setting:
    """A scheduler's setting with its bound, explained by schedules.help_<name>, shown under
    torch's own name. passed: torch's constructor takes it under that name."""
    low, high = LIMITS.get(name, (None, None))
    number = kind in ("int", "float", "ints")
    return Setting(name=name, kind=kind, default=default, choices=choices, passed=passed,
                   low=low if number else None, high=high if number else None,
                   help=f"schedules.help_{name}", label=name, step=1 if kind == "int" else None,
                   format="%.6g" if kind == "float" else None)


def from_torch(cls: type, name: str, preset: object = inspect.Parameter.empty,
               passed: bool = True) -> Setting:
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
        return setting_of(name, "choice", default, choices, passed)
    if "Iterable[int]" in annotation or "list[int]" in annotation:
        return setting_of(name, "ints", tuple(default), passed=passed)
    kind = next((k for k in ("bool", "int", "float") if annotation.startswith(k)), "float")
    return setting_of(name, kind, float(default) if kind == "float" else default, passed=passed)


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


def simple(cls: type, *settings: Setting, course: bool = False,
            own_rates: tuple[str, ...] = ()) -> Scheduler:
    """A scheduler built as cls(optimizer, **its settings)."""
    def build(optimizer, values, max_epoch):
        return cls(optimizer, **{s.name: s.torch_value(values[s.name]) for s in settings})

    def constructor(values, max_epoch):
        arguments = "".join(f", {s.name}={s.code(values[s.name])}" for s in settings)
        return f"torch.optim.lr_scheduler.{cls.__name__}(optimizer{arguments})"

    return Scheduler(cls.__name__, settings, build, constructor, course, own_rates=own_rates)


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
    entry = simple(plateau, from_torch(plateau, "factor", 0.1),
                    from_torch(plateau, "mode", "min"), from_torch(plateau, "patience", 10),
                    from_torch(plateau, "cooldown", 10), from_torch(plateau, "min_lr", 1e-4),
                    from_torch(plateau, "threshold"), course=True)
    feed = (setting_of("loss_before", "float", 0.5, passed=False),
            setting_of("loss_after", "float", 0.4, passed=False),
            setting_of("change_epoch", "int", 5, passed=False))
    return replace(entry, settings=entry.settings + feed, step=_plateau_step,
                   step_code=_plateau_step_code)


# ---- LambdaLR: two parameter groups, a formula each from a short list ------------------------

def _lambda() -> Scheduler:
    formulas = (setting_of("lambda1", "choice", FORMULAS[0], FORMULAS, passed=False),
                setting_of("lambda2", "choice", FORMULAS[1], FORMULAS, passed=False))

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


_FORMULAS = {formula: eval(f"lambda epoch: {formula}")  # noqa: S307
             for formula in FORMULAS + FACTORS}


def _formula(formula: str) -> Callable[[int], float]:
    return _FORMULAS[formula]


# ---- MultiplicativeLR: the rate multiplied each epoch by a factor, a formula from a list -------

def _multiplicative() -> Scheduler:
    factor = setting_of("lr_lambda", "choice", FACTORS[0], FACTORS, passed=False)

    def build(optimizer, values, max_epoch):
        return lr_scheduler.MultiplicativeLR(optimizer, _formula(values["lr_lambda"]))

    def constructor(values, max_epoch):
        return (f"torch.optim.lr_scheduler.MultiplicativeLR(optimizer, "
                f"lr_lambda=lambda epoch: {values['lr_lambda']})")

    return Scheduler("MultiplicativeLR", (factor,), build, constructor)


# ---- Two schedulers of schedulers: a warm-up then a decay ------------------------------------

def _sequential() -> Scheduler:
    """SequentialLR: LinearLR warms up for `warmup` epochs, then CosineAnnealingLR anneals over
    the remaining epochs."""
    settings = (setting_of("warmup", "int", 10, passed=False),
                from_torch(lr_scheduler.LinearLR, "start_factor", 0.1, passed=False),
                from_torch(lr_scheduler.CosineAnnealingLR, "eta_min", passed=False))

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
    settings = (from_torch(linear, "start_factor", 0.1, passed=False),
                from_torch(linear, "total_iters", 10, passed=False),
                from_torch(lr_scheduler.ExponentialLR, "gamma", 0.98, passed=False))

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
        simple(L.StepLR, from_torch(L.StepLR, "step_size", 50), from_torch(L.StepLR, "gamma"),
                course=True),
        simple(L.MultiStepLR, from_torch(L.MultiStepLR, "milestones", (50, 125, 160)),
                from_torch(L.MultiStepLR, "gamma"), course=True),
        simple(L.ExponentialLR, from_torch(L.ExponentialLR, "gamma", 0.95), course=True),
        simple(L.CosineAnnealingLR, from_torch(L.CosineAnnealingLR, "T_max", 50),
                from_torch(L.CosineAnnealingLR, "eta_min", 0.0), course=True),
        _plateau(),
        _lambda(),
        _multiplicative(),
        simple(L.LinearLR, from_torch(L.LinearLR, "start_factor", 0.1),
                from_torch(L.LinearLR, "end_factor"), from_torch(L.LinearLR, "total_iters", 50)),
        simple(L.ConstantLR, from_torch(L.ConstantLR, "factor", 0.5),
                from_torch(L.ConstantLR, "total_iters", 50)),
        simple(L.PolynomialLR, from_torch(L.PolynomialLR, "total_iters", 200),
                from_torch(L.PolynomialLR, "power", 2.0)),
        simple(L.CosineAnnealingWarmRestarts,
                from_torch(L.CosineAnnealingWarmRestarts, "T_0", 25),
                from_torch(L.CosineAnnealingWarmRestarts, "T_mult", 2),
                from_torch(L.CosineAnnealingWarmRestarts, "eta_min", 0.001)),
        simple(L.CyclicLR, from_torch(L.CyclicLR, "base_lr", 0.01),
                from_torch(L.CyclicLR, "max_lr", 0.1), from_torch(L.CyclicLR, "step_size_up", 20),
                from_torch(L.CyclicLR, "mode"), from_torch(L.CyclicLR, "gamma", 0.99),
                own_rates=("base_lr", "max_lr")),
        simple(L.OneCycleLR, from_torch(L.OneCycleLR, "max_lr", 0.1),
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




def settings_differing(entry: Scheduler, values: dict) -> tuple[tuple[str, object], ...]:
    """The (name, value) pairs of values that differ from the entry's preset, for a Config."""
    preset = entry.preset()
    return tuple((name, value) for name, value in values.items() if preset.get(name) != value)
