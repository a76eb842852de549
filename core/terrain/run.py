"""A lab run that reads its terrain as it trains: after every epoch, the sharpness (warm-started
from the last check's eigenvector) and a snapshot of the weights for the path; before every
optimiser step, what the step starts from, so the last update can be written out weight by
weight (core.terrain.weights).

The first check starts from a random direction drawn from a generator of its own, seeded from the
seed: the lab's generator is left to training, so a run trains exactly as the lab trains the same
Config."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import pandas as pd
import torch

from core.lab.model import LabConfig
from core.lab.train import Trainer, one_thread
from core.terrain import sharpness
from core.terrain.objective import Objective

PATH_POINTS = 200  # weight snapshots kept for the path; beyond, every other one is let go


def path_stride(epoch: int) -> int:
    """The path keeps the weights at every multiple of this many epochs up to epoch: the
    smallest power of two that keeps at most PATH_POINTS of them."""
    stride = 1
    while epoch // stride + 1 > PATH_POINTS:
        stride *= 2
    return stride


@dataclass
class StepRecord:
    """What one optimiser step started from, for each trainable parameter by name: its value, the
    gradient the step used, the optimiser's state before it and the group's settings."""

    epoch: int  # the epoch the step belongs to (1 = the first)
    before: dict[str, torch.Tensor]
    grad: dict[str, torch.Tensor]
    state: dict[str, dict]
    group: dict[str, dict]


class Run:
    """One lab run (core.lab.train.Trainer) with its terrain tracked. Use the trainer's lock
    (run.lock) around anything that reads the model while another thread might train it."""

    def __init__(self, config: LabConfig) -> None:
        """config validated (core.lab.model.validate)."""
        self.trainer = Trainer(config)
        self.objective = Objective.of(self.trainer)
        self.start = sharpness.random_start(self.objective.size,
                                            torch.Generator().manual_seed(config.seed))
        self.vector = self.start
        self.checks: list[dict] = []
        self.initial = self.objective.flat()
        self.path: list[tuple[int, torch.Tensor]] = []
        self.last_step: StepRecord | None = None
        self._watch()
        self._read()

    @property
    def lock(self):
        return self.trainer.lock

    @property
    def config(self) -> LabConfig:
        return self.trainer.config

    @property
    def epoch(self) -> int:
        return self.trainer.epoch

    # ---- training ---------------------------------------------------------------------------
    def train(self, epochs: int | None = None, seconds: float | None = None) -> None:
        """epochs epochs, or as many as fit in seconds (at least one), each read after it."""
        with self.lock, one_thread():
            started, done = time.perf_counter(), 0
            while True:
                before = self.trainer.epoch
                self.trainer.train(epochs=1)
                if self.trainer.epoch == before:  # the lab's last epoch reached
                    return
                self._read()
                done += 1
                if epochs is not None and done >= epochs:
                    return
                if seconds is not None and time.perf_counter() - started >= seconds:
                    return
                if epochs is None and seconds is None:
                    return

    def catch_up(self, epoch: int) -> None:
        """Train until this run reaches epoch (a pinned run keeping pace with the other)."""
        with self.lock:
            if epoch > self.epoch:
                self.train(epochs=epoch - self.epoch)

    def twin(self) -> Run:
        """This run so far, copied (weights, optimiser state, generators, what was read)."""
        with self.lock:
            return copy.deepcopy(self)

    def __setstate__(self, state: dict) -> None:
        """A copy's optimiser has lost its hooks (torch copies none): its own is registered."""
        self.__dict__.update(state)
        self._watch()

    def _watch(self) -> None:
        """Record what each optimiser step starts from (torch's step pre-hook)."""
        self._names = {id(p): name for name, p in self.trainer.model.named_parameters()}
        self.trainer.optimizer.register_step_pre_hook(self._before_step)

    # ---- what is read after each epoch --------------------------------------------------------
    def _read(self) -> None:
        with self.lock, one_thread():
            cold = self.vector is self.start
            found = self.check(sharpness.COLD_ITERATIONS if cold else sharpness.ITERATIONS)
            if torch.isfinite(found.vector).all():
                self.vector = found.vector
            else:  # a diverged run's check: the next starts afresh
                self.vector = self.start
            last = self.trainer.history[-1]
            self.checks.append({"epoch": self.epoch, "sharpness": found.value,
                                "iterations": found.iterations, "converged": found.converged,
                                "loss": last["train_loss"], "lr": last["lr"]})
            self._snapshot()

    def check(self, iterations: int = sharpness.ITERATIONS,
              tolerance: float = sharpness.TOLERANCE) -> sharpness.Eigen:
        """The sharpness at the current weights, from the last check's eigenvector."""
        with self.lock, one_thread():
            product = sharpness.hessian_product(self.objective)
            return sharpness.top_eigenvalue(product, self.vector, iterations, tolerance)

    def _snapshot(self) -> None:
        """The weights now, for the path, at every path_stride-th epoch (the older ones thinned
        when the stride grows)."""
        stride = path_stride(self.epoch)
        if self.epoch % stride:
            return
        self.path = [(e, w) for e, w in self.path if e % stride == 0]
        self.path.append((self.epoch, self.objective.flat()))

    def path_points(self) -> tuple[list[int], torch.Tensor]:
        """The epochs and weights of the path (rows), the current weights last."""
        with self.lock:
            epochs = [e for e, _ in self.path]
            weights = [w for _, w in self.path]
            if epochs[-1] != self.epoch:
                epochs.append(self.epoch)
                weights.append(self.objective.flat())
            return epochs, torch.stack(weights)

    def sharpness_frame(self, points: int | None = None) -> pd.DataFrame:
        """One row per epoch: epoch, sharpness, iterations, converged, loss, lr; thinned to about
        points epochs and the last (as the lab thins its curves)."""
        every = max(1, -(-self.epoch // points)) if points else 1
        rows = self.checks if every == 1 else [
            row for row in self.checks if row["epoch"] % every == 0 or row["epoch"] == self.epoch]
        return pd.DataFrame(rows, columns=["epoch", "sharpness", "iterations", "converged",
                                           "loss", "lr"])

    # ---- the optimiser's last step ----------------------------------------------------------
    def _before_step(self, optimizer: torch.optim.Optimizer, args, kwargs) -> None:
        """torch's step pre-hook: what this step starts from (the last one is kept). The state's
        tensors are copied (the step updates them in place); its numbers are immutable."""
        before, grad, state, group = {}, {}, {}, {}
        for settings in optimizer.param_groups:
            shared = {key: value for key, value in settings.items() if key != "params"}
            for p in settings["params"]:
                name = self._names.get(id(p))
                if p.grad is None or name is None:
                    continue
                before[name], grad[name] = p.detach().clone(), p.grad.detach().clone()
                state[name] = {key: value.clone() if isinstance(value, torch.Tensor) else value
                               for key, value in optimizer.state.get(p, {}).items()}
                group[name] = shared
        self.last_step = StepRecord(self.trainer.epoch + 1, before, grad, state, group)
