"""Challenge cards: a task, the settings it starts from, and its pass condition, checked live on
the run so far. Texts: lab.challenge_<id> and lab.challenge_<id>_task in the locales."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.lab.model import LabConfig

# The learning-rate challenge on the default network: lr 1 still converges (train loss 1e-4
# after 100 epochs), lr 2 does not (0.36), measured with seed 3.
CONVERGED_LOSS = 0.05
LARGE_LR = 1.0


@dataclass(frozen=True)
class Challenge:
    start: tuple[tuple[str, object], ...]  # the settings the card's button sets
    passed: Callable[[LabConfig, list[dict]], bool]  # (the run's config, its history per epoch)


def _reached(history: list[dict], column: str, level: float, within: int) -> bool:
    return any(row[column] >= level for row in history if row["epoch"] <= within)


CHALLENGES: dict[str, Challenge] = {
    "spiral": Challenge(
        (("dataset", "spiral"), ("features", ("x1", "x2")), ("widths", (8, 8)),
         ("optimizer", "SGD"), ("lr", 0.03)),
        lambda config, history: config.dataset == "spiral"
        and _reached(history, "test_acc", 0.95, 500)),
    "deep_sigmoid": Challenge(
        (("dataset", "circle"), ("widths", (8,) * 10), ("activation", "sigmoid"),
         ("batchnorm", False), ("init", "default")),
        lambda config, history: len(config.widths) >= 10 and config.activation == "sigmoid"
        and config.dataset == "circle" and _reached(history, "test_acc", 0.9, 300)),
    "largest_lr": Challenge(
        (("dataset", "circle"), ("widths", (8, 8)), ("optimizer", "SGD"), ("momentum", 0.0),
         ("lr", 0.03)),
        lambda config, history: config.dataset == "circle" and config.optimizer == "SGD"
        and config.lr >= LARGE_LR and history[-1]["epoch"] >= 100
        and history[-1]["train_loss"] <= CONVERGED_LOSS),
}
