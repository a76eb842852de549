"""Training the lab's network in chunks of epochs, so the page can redraw between chunks.

A Trainer holds one session's model, optimiser, schedule and generator (the page keeps it in
st.session_state: it is mutated, so it is never shared between sessions). Everything it draws
comes from one torch.Generator seeded from the Config, in the order the shown script draws from
torch.manual_seed: the data, the split, the weights (nn.Linear's order), then per epoch the batch
order and the dropout masks. So training is deterministic given the Config, however it is
chunked.

Streamlit may run two of a session's reruns at once (a click while the playing fragment trains, a
double click: it starts the new run before the old one has stopped), so whatever trains or reads
the model holds the Trainer's lock: two threads stepping one model made autograd fail with
"modified by an inplace operation"."""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from dataclasses import dataclass

import pandas as pd
import torch

from core.errors import InputError, Notice
from core.lab import data, plug
from core.lab.model import (
    LabConfig,
    build,
    layer_modules,
    linears,
    parameter_groups,
    penalty,
    validate,
)
from core.lab.watch import watching

CHANGE_COLUMNS = ["layer", "frozen", "lr", "weight_change", "running_mean_change",
                  "train_forward_moves", "eval_forward_moves"]  # Trainer.layer_changes
MAX_EPOCHS = 5000  # a session's run stops here
GRID = 40  # cells per side of the decision surface and the neuron pictures
EXTENT = 6.0  # the plane shown: [-6, 6]²


@dataclass(frozen=True, eq=False)  # one draw is itself: hashed by identity (pictures cache on it)
class Data:
    points: torch.Tensor  # n x 2
    labels: torch.Tensor  # n, float (0/1 for classification)
    train: torch.Tensor  # indices
    test: torch.Tensor
    task: str


def draw_data(config: LabConfig, g: torch.Generator | None) -> tuple[Data, list[Notice]]:
    """The points and the split. The user's CSV: its bad rows are errors, unless the user chose
    to skip them (then they are notices)."""
    notices: list[Notice] = []
    entry = data.DATASETS[config.dataset]
    if entry.draw is None:
        parsed = data.parse_csv(config.csv)
        if parsed.problems and not config.skip_bad_rows:
            raise CsvProblems(parsed.problems)
        notices += parsed.problems + ([parsed.task_note] if parsed.task_note else [])
        if len(parsed.labels) < 4:
            raise InputError("error.lab.csv_too_few", count=len(parsed.labels))
        points, labels, task = parsed.points, parsed.labels, parsed.task
    else:
        points, labels = entry.draw(config.points, config.noise, g)
        task = entry.task
    train, test = data.split(len(labels), config.test_percent, g)
    return Data(points, labels, train, test, task), notices


def is_activation(layer: torch.nn.Module) -> bool:
    """The modules whose output the per-layer charts call a hidden layer's activation."""
    return isinstance(layer, plug.Activation)


class CsvProblems(InputError):
    """Bad rows in the user's CSV that the user has not agreed to skip: every one is listed."""

    def __init__(self, problems: list[Notice]) -> None:
        self.problems = problems
        super().__init__("error.lab.csv_bad_rows", count=len(problems))


@contextlib.contextmanager
def one_thread():
    """torch on one thread while a run trains or is read, whatever thread calls it. app.py sets
    one thread at the top of each rerun, but a button's callback (One epoch) and the playing
    fragment's reruns train in a script thread before or without it: there torch used every
    core, and a BatchNorm run's losses differed from the shown script's (single-threaded) in
    their low digits. torch's thread count is per thread: it is put back as it was."""
    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class Trainer:
    def __init__(self, config: LabConfig) -> None:
        """config validated (model.validate)."""
        self.generator = torch.Generator().manual_seed(config.seed)
        self.data, self.notices = draw_data(config, self.generator)
        self.config, notices = validate(config, self.data.task)
        self.notices += notices
        self.loss_entry = plug.LOSSES[self.config.loss]
        self.model = build(self.config, self.generator)
        self.optimizer = plug.make_optimizer(self.config.optimizer, self.config.lr,
                                             self.config.momentum,
                                             parameter_groups(self.config, self.model))
        # the weights and running statistics at epoch 0, to say what each layer changed since
        self.initial_state = copy.deepcopy(self.model.state_dict())
        self.schedule = plug.make_schedule(self.config.schedule, self.config.schedule_settings,
                                           self.optimizer)
        self.loss_fn = self.loss_entry.module()
        inputs = data.features(self.data.points, self.config.features)
        target = self.loss_entry.target(self.data.labels)
        self.x_train, self.y_train = inputs[self.data.train], target[self.data.train]
        self.x_test, self.y_test = inputs[self.data.test], target[self.data.test]
        self.labels_train = self.data.labels[self.data.train]
        self.labels_test = self.data.labels[self.data.test]
        self.lock = threading.RLock()
        self.epoch = 0
        self.history: list[dict] = []  # one row per epoch
        self.layers: list[dict] = []  # one row per epoch and layer
        self._record(None)

    # ---- training ---------------------------------------------------------------------------
    def run_epoch(self) -> None:
        model, config = self.model, self.config
        model.train()
        n = len(self.x_train)
        order = torch.randperm(n, generator=self.generator)
        stats, loss = None, None
        for start in range(0, n, config.batch):
            index = order[start:start + config.batch]
            if len(index) == 1 and config.batchnorm:  # BatchNorm needs two points (and the
                continue  # script skips such a batch too)
            last = start + config.batch >= n
            # the last batch's statistics, as the per-layer charts draw them, seen by hooks
            with watching(model, is_activation) if last else contextlib.nullcontext() as seen:
                out = model(self.x_train[index])
                loss = self.loss_fn(out, self.y_train[index])
                extra = penalty(config, model)
                if extra is not None:
                    loss = loss + extra
                self.optimizer.zero_grad()
                loss.backward()
            if last:
                stats = seen.rows()
            self.optimizer.step()
        if self.schedule is not None:
            plug.step_schedule(config.schedule, config.schedule_settings, self.schedule,
                               self.epoch, float("nan") if loss is None else loss.item())
        self.epoch += 1
        self._record(stats)

    def train(self, epochs: int | None = None, seconds: float | None = None) -> None:
        """Run epochs epochs, or as many as fit in seconds (at least one), up to MAX_EPOCHS."""
        with self.lock, one_thread():
            started = time.perf_counter()
            done = 0
            while self.epoch < MAX_EPOCHS:
                self.run_epoch()
                done += 1
                if epochs is not None and done >= epochs:
                    break
                if seconds is not None and time.perf_counter() - started >= seconds:
                    break

    def catch_up(self, epoch: int) -> None:
        """Train until this run reaches epoch (a pinned run keeping pace with the other; a step
        clicked twice, whose second run finds the epoch reached, trains nothing)."""
        with self.lock:
            if epoch > self.epoch:
                self.train(epochs=epoch - self.epoch)

    def twin(self) -> Trainer:
        """This run so far, copied (the same weights, optimiser state and generator): a run
        pinned as A, which then trains on beside this one."""
        with self.lock:
            return copy.deepcopy(self)

    def __getstate__(self) -> dict:
        """A copy gets a lock of its own."""
        return {name: value for name, value in self.__dict__.items() if name != "lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, lock=threading.RLock())

    # ---- what is recorded -------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor,
                 labels: torch.Tensor) -> tuple[float, float]:
        """The loss (without weight decay) on a set, and the share of its labels the prediction
        gets right (class 1 where it exceeds 0.5), in eval mode."""
        self.model.eval()
        out = self.model(x)
        loss = self.loss_fn(out, y).item() if len(y) else float("nan")
        if self.data.task != "classification" or not len(y):
            return loss, float("nan")
        predicted = (self.loss_entry.predict(out) > 0.5).float()
        return loss, (predicted == labels).float().mean().item()

    def _record(self, stats) -> None:
        train_loss, train_acc = self.evaluate(self.x_train, self.y_train, self.labels_train)
        test_loss, test_acc = self.evaluate(self.x_test, self.y_test, self.labels_test)
        self.history.append({"epoch": self.epoch, "train_loss": train_loss,
                             "test_loss": test_loss, "train_acc": train_acc,
                             "test_acc": test_acc,
                             "lr": self.optimizer.param_groups[0]["lr"]})
        if stats is not None:  # the last batch's rows (core.lab.watch)
            self.layers += [{"epoch": self.epoch, **row} for row in stats]

    def curves(self, points: int | None = None) -> pd.DataFrame:
        """One row per epoch; points: thinned to about that many epochs (and the last)."""
        return pd.DataFrame(self._thinned(self.history, points))

    def layer_stats(self, points: int | None = None) -> pd.DataFrame:
        return pd.DataFrame(self._thinned(self.layers, points),
                            columns=["epoch", "layer", "act_std", "grad_std"])

    def _thinned(self, rows: list[dict], points: int | None) -> list[dict]:
        """rows (each with its epoch) at every k-th epoch and the last, so that at most points
        epochs and the last are left (k rounded up: rounded down, up to twice as many were):
        the charts redrawn while training stay small however long it runs."""
        every = max(1, -(-self.epoch // points)) if points else 1
        if every == 1:
            return rows
        return [row for row in rows if row["epoch"] % every == 0 or row["epoch"] == self.epoch]

    def weights(self) -> pd.DataFrame:
        """Every weight of every Linear layer (layer 1 is the first), for the histograms."""
        with self.lock:
            return pd.DataFrame([{"layer": i, "weight": w} for i, layer in
                                 enumerate(linears(self.model), start=1)
                                 for w in layer.weight.detach().flatten().tolist()])

    # ---- what each layer changed --------------------------------------------------------------
    def layer_changes(self) -> pd.DataFrame:
        """One row per layer (hidden ones from 1, then the output): whether it is frozen, its
        learning rate now, the largest change of a weight of its Linear since epoch 0, and, where
        it has BatchNorm, the largest change of its running_mean since epoch 0 and what one more
        forward pass of the training points moves it by in train() and in eval() (on a copy)."""
        with self.lock, one_thread():
            moved = {mode: self._running_mean_moves(mode) for mode in ("train", "eval")}
            rates = {id(p): group["lr"] for group in self.optimizer.param_groups
                     for p in group["params"]}
            rows = []
            for number, modules in enumerate(layer_modules(self.model), start=1):
                linear, norm = modules[0], modules[1] if len(modules) > 1 else None
                weight = f"{self._name_of(linear)}.weight"
                row = {"layer": number, "frozen": number in self.config.frozen,
                       "lr": rates[id(linear.weight)],
                       "weight_change": _largest_change(self.model.state_dict()[weight],
                                                        self.initial_state[weight])}
                if isinstance(norm, torch.nn.BatchNorm1d):
                    mean = f"{self._name_of(norm)}.running_mean"
                    row |= {"running_mean_change": _largest_change(
                        self.model.state_dict()[mean], self.initial_state[mean]),
                        "train_forward_moves": moved["train"][number],
                        "eval_forward_moves": moved["eval"][number]}
                rows.append(row)
            return pd.DataFrame(rows, columns=CHANGE_COLUMNS)

    def _name_of(self, module: torch.nn.Module) -> str:
        return next(name for name, found in self.model.named_children() if found is module)

    def _running_mean_moves(self, mode: str) -> dict[int, float]:
        """By layer: how far one forward pass of the training points in mode ("train" or
        "eval") moves each BatchNorm's running_mean, on a copy of the network (the run goes on
        untouched); nan where BatchNorm cannot run in train() (a single training point)."""
        model = copy.deepcopy(self.model)
        model.train(mode == "train")
        norms = {number: modules[1] for number, modules in
                 enumerate(layer_modules(model), start=1)
                 if len(modules) > 1 and isinstance(modules[1], torch.nn.BatchNorm1d)}
        if mode == "train" and len(self.x_train) < 2:
            return dict.fromkeys(norms, float("nan"))
        before = {number: norm.running_mean.clone() for number, norm in norms.items()}
        with torch.no_grad():
            model(self.x_train)
        return {number: _largest_change(norm.running_mean, before[number])
                for number, norm in norms.items()}

    # ---- the plane --------------------------------------------------------------------------
    @torch.no_grad()
    def plane(self) -> tuple[torch.Tensor, list[list[torch.Tensor]]]:
        """Over a GRID x GRID grid of the plane (row 0 at the top, y = +EXTENT): the network's
        prediction (probability of class 1, or the value), and every neuron's own output: the
        input features, then each hidden layer's activations, as lists of GRID x GRID tensors."""
        with self.lock, one_thread():
            return self._plane()

    def _plane(self) -> tuple[torch.Tensor, list[list[torch.Tensor]]]:
        self.model.eval()
        axis = torch.linspace(-EXTENT, EXTENT, GRID)
        y, x = torch.meshgrid(axis.flip(0), axis, indexing="ij")
        points = torch.stack([x.flatten(), y.flatten()], 1)
        h = data.features(points, self.config.features)
        neurons = [[h[:, j].reshape(GRID, GRID) for j in range(h.shape[1])]]
        for layer in self.model:
            h = layer(h)
            if isinstance(layer, plug.Activation):
                neurons.append([h[:, j].reshape(GRID, GRID) for j in range(h.shape[1])])
        prediction = self.loss_entry.predict(h).reshape(GRID, GRID)
        return prediction, neurons


def _largest_change(now: torch.Tensor, before: torch.Tensor) -> float:
    return (now - before).abs().max().item()
