"""Challenge cards: a task, the settings it starts from, and its pass condition, checked live on
the run so far. Texts: lab.challenge_<id> and lab.challenge_<id>_task in the locales."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Protocol

from core import activations
from core.lab.model import LabConfig

# The learning-rate challenge on the default network: lr 1 still converges (train loss 1e-4
# after 100 epochs), lr 2 does not (0.36), measured with seed 3.
CONVERGED_LOSS = 0.05
LARGE_LR = 1.0


def _from_default(**own) -> tuple[tuple[str, object], ...]:
    """The card's own settings over every other setting of the lab's default network (not its
    seed or the user's data file): a card starts from the same network whatever was set before
    it (the spiral and learning-rate cards left sigmoid, BatchNorm or noise in place)."""
    default = LabConfig()
    kept = {f.name: getattr(default, f.name) for f in fields(LabConfig)
            if f.name not in ("seed", "csv", "skip_bad_rows")}
    return tuple((kept | own).items())


# Ten sigmoid layers of 8 on the circle, plain SGD: every run the card starts stays at chance
# (test accuracy 0.50-0.59 after 300 epochs, seeds 0-5), and so do Xavier, Kaiming and orthogonal
# (torch's gain for sigmoid is 1: the weights stay about 1/sqrt(8), and each sigmoid passes back
# at most 1/4 of the gradient). Two fixes pass within 300 epochs at lr 0.1 for seeds 0-5
# (measured with core.lab): BatchNorm at epoch 5-16, nn.init.normal_ with std 3 at epoch 13-61
# (std 2: 22-247; std 1.41, the 4/sqrt(8) that makes up for the 1/4, misses seed 0). At the
# lab's default lr 0.03 the init fix with std 2 took 149 epochs, hence the card's lr.
DEEP_SIGMOID = _from_default(widths=(8,) * 10, activation="sigmoid", lr=0.1)
# what the task lets the user change: the initialisation, or a normalisation layer
DEEP_SIGMOID_FIXES = ("norm", "groups", "init", "init_std")
DEEP_SIGMOID_INIT_STD = 3.0  # the task's hint: nn.init.normal_ with this std
# What torch's own sigmoid gain (1) gives these 8-wide layers: Xavier's gain·sqrt(2 / (8 + 8))
# and Kaiming's gain / sqrt(8) are the same std.
DEEP_SIGMOID_GAIN_STD = activations.gain("sigmoid", 0.0) / math.sqrt(8)


def _as_started(config: LabConfig, start: tuple, free: tuple[str, ...]) -> bool:
    """Whether config keeps every setting the card starts from, but those in free."""
    return all(getattr(config, field) == value for field, value in start if field not in free)


# BatchNorm with batches of two on the circle (the default network, seed 3): it stays at chance
# (test accuracy 0.62 after 30 epochs), while GroupNorm (2 groups) and LayerNorm reach 1.0 by
# epoch 10, and so does the network without normalisation. With two points a batch, BatchNorm1d
# turns each neuron's two values into about -1 and +1 whatever they were, and eval() then
# normalises with running statistics gathered from those.
SMALL_BATCH = _from_default(norm="BatchNorm1d", batch=2)
SMALL_BATCH_FIXES = ("norm", "groups")
SMALL_BATCH_EPOCHS = 20


class Run(Protocol):
    """What a card reads of a run (a core.lab.train.Trainer)."""

    config: LabConfig
    history: list[dict]
    layers: list[dict]


def gradient_reach(runs: list[Run]) -> dict | None:
    """How much of the gradient reaches the first layer in the latest epoch of the last run (the
    one the controls describe): the first layer's weight-gradient std over the last layer's
    (None before an epoch, or where either is not a positive number)."""
    layers = runs[-1].layers
    if not layers:
        return None
    latest = [row for row in layers if row["epoch"] == layers[-1]["epoch"]]
    first, last = latest[0]["grad_std"], latest[-1]["grad_std"]
    if not (first >= 0 and last > 0 and math.isfinite(first / last)):
        return None
    return {"epoch": layers[-1]["epoch"], "ratio": first / last}


def accuracy_by_norm(runs: list[Run]) -> dict | None:
    """Each run's normalisation and test accuracy at its epoch (the pinned A first): how
    BatchNorm at batch size 2 compares with GroupNorm trained beside it. None before an epoch."""
    if runs[-1].history[-1]["epoch"] == 0:
        return None
    return {"epoch": runs[-1].history[-1]["epoch"],
            "runs": "; ".join(f"{run.config.norm} {run.history[-1]['test_acc']:.0%}"
                              for run in runs)}


@dataclass(frozen=True)
class Challenge:
    start: tuple[tuple[str, object], ...]  # the settings the card's button sets
    passed: Callable[[LabConfig, list[dict]], bool]  # (the run's config, its history per epoch)
    free: tuple[str, ...] | None = None  # what the task lets the user change (None: anything)
    params: dict = field(default_factory=dict)  # the task text's numbers
    # what the card says of the runs shown while one of them does its task (the runs, A first
    # -> the text lab.challenge_<id>_now's numbers, or None)
    measure: Callable[[list[Run]], dict | None] | None = None

    def doing(self, config: LabConfig) -> bool:
        """Whether a run of config is this card's task (its settings, but those it frees)."""
        return self.free is not None and _as_started(config, self.start, self.free)

    def said(self, runs: list[Run]) -> dict | None:
        """The numbers of what the card says of the runs, when one of them does its task."""
        if self.measure is None or not any(self.doing(run.config) for run in runs):
            return None
        return self.measure(runs)


def _reached(history: list[dict], column: str, level: float, within: int) -> bool:
    return any(row[column] >= level for row in history if row["epoch"] <= within)


CHALLENGES: dict[str, Challenge] = {
    "spiral": Challenge(
        _from_default(dataset="spiral"),
        lambda config, history: config.dataset == "spiral"
        and _reached(history, "test_acc", 0.95, 500)),
    "deep_sigmoid": Challenge(
        DEEP_SIGMOID,
        lambda config, history: _as_started(config, DEEP_SIGMOID, DEEP_SIGMOID_FIXES)
        and _reached(history, "test_acc", 0.9, 300),
        free=DEEP_SIGMOID_FIXES, params={"gain_std": DEEP_SIGMOID_GAIN_STD},
        measure=gradient_reach),
    "small_batch": Challenge(
        SMALL_BATCH,
        lambda config, history: _as_started(config, SMALL_BATCH, SMALL_BATCH_FIXES)
        and config.norm in ("GroupNorm", "LayerNorm")
        and _reached(history, "test_acc", 0.9, SMALL_BATCH_EPOCHS),
        free=SMALL_BATCH_FIXES, params={"epochs": SMALL_BATCH_EPOCHS},
        measure=accuracy_by_norm),
    "largest_lr": Challenge(
        _from_default(dataset="circle"),
        lambda config, history: config.dataset == "circle" and config.optimizer == "SGD"
        and config.lr >= LARGE_LR and history[-1]["epoch"] >= 100
        and history[-1]["train_loss"] <= CONVERGED_LOSS),
}
