"""The lab runs this lesson trains: its settings (a few of the lab's, on the lab's network and
data), the stop-and-resume view and the TensorBoard view, with the bounds that keep one view
under a few hundred milliseconds of training."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from core.errors import Notice
from core.inside.freeze import TWO_CLASSES
from core.lab import checkpoint, plug
from core.lab.model import LabConfig
from core.lab.model import validate as validate_lab
from core.settings import setting, validate_settings

DATASETS = TWO_CLASSES
MAX_EPOCHS = 200
# Optimiser steps one view may take (both runs of a resume): the lab takes about 7,400 a second
# on one core of this machine, so with its evaluations a view stays near 0.3 s
MAX_STEPS = 2000


@dataclass(frozen=True)
class RunConfig:
    """The lab settings this lesson offers; the rest are the lab's defaults. The learning
    rate follows the course's StepLR."""

    dataset: str = setting("circle", choices=DATASETS, label="inside.dataset",
                           choice_text="lab.dataset_{choice}")
    optimizer: str = setting("SGD", choices=plug.OPTIMIZERS, label="inside.optimizer")
    lr: float = setting(0.01, low=1e-5, high=10.0, step=0.01, format="%g", label="inside.lr")
    momentum: float = setting(0.9, low=0.0, high=0.999, step=0.1, label="inside.momentum",
                              help="inside.momentum_help")
    step_size: int = setting(6, low=1, high=MAX_EPOCHS, step=1, label="inside.step_size",
                             help="inside.step_size_help")
    gamma: float = setting(0.1, low=0.0, high=1.0, step=0.05, format="%g",
                           label="inside.gamma")
    batch: int = setting(10, low=1, high=400, step=1, label="inside.batch")
    seed: int = setting(3, low=0, high=2**31 - 1, step=1, label="inside.seed",
                        help="inside.seed_help")

    def lab(self) -> LabConfig:
        """The lab's Config for this run (validated)."""
        return validate_lab(replace(
            LabConfig(), dataset=self.dataset, optimizer=self.optimizer, lr=self.lr,
            momentum=self.momentum, schedule="StepLR",
            schedule_settings=(("step_size", self.step_size), ("gamma", self.gamma)),
            batch=self.batch, seed=self.seed))[0]


def steps_per_epoch(run: RunConfig) -> int:
    train = LabConfig().points - LabConfig().points * LabConfig().test_percent // 100
    return -(-train // run.batch)


def _within_steps(epochs: int, runs: int, run: RunConfig, notices: list[Notice]) -> int:
    most = max(1, MAX_STEPS // (runs * steps_per_epoch(run)))
    if epochs > most:
        notices.append(Notice("notice.inside.steps", {"epochs": epochs, "used": most,
                                                      "batch": run.batch}))
        return most
    return epochs


@dataclass(frozen=True)
class ResumeConfig:
    """Train, stop after `stop` epochs with a checkpoint, resume with the parts chosen."""

    run: RunConfig = field(default_factory=RunConfig)
    epochs: int = setting(10, low=1, high=MAX_EPOCHS, step=1)
    stop: int = setting(5, low=0, high=MAX_EPOCHS, step=1)
    optimizer_state: bool = setting(True)
    scheduler: str = setting("last_epoch", choices=checkpoint.SCHEDULER_WAYS,
                             choice_text="inside.scheduler_{choice}")
    random_state: bool = setting(False)

    def parts(self) -> checkpoint.Restore:
        return checkpoint.Restore(self.optimizer_state, self.scheduler, self.random_state)


COURSE_RESUME = ResumeConfig()  # the course's: SGD(0.01, momentum 0.9), StepLR(6, 0.1), 10 epochs
EVERYTHING = replace(ResumeConfig(), optimizer_state=True, scheduler="state_dict",
                     random_state=True)


def validate_resume(config: ResumeConfig) -> tuple[ResumeConfig, list[Notice]]:
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    epochs = _within_steps(config.epochs, 2, config.run, notices)
    stop = min(config.stop, epochs)
    if stop != config.stop:
        notices.append(Notice("notice.inside.stop", {"stop": config.stop, "epochs": epochs}))
    return replace(config, epochs=epochs, stop=stop), notices


@dataclass(frozen=True)
class LogConfig:
    """A lab run trained for `epochs`, written as a TensorBoard log."""

    logged: RunConfig = field(default_factory=RunConfig)
    epochs: int = setting(20, low=1, high=MAX_EPOCHS, step=1)


def validate_log(config: LogConfig) -> tuple[LogConfig, list[Notice]]:
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    # writing the log and reading it back cost about as much again as training the run
    return replace(config, epochs=_within_steps(config.epochs, 2, config.logged, notices)), \
        notices
