"""Every weight open: the network drawn as neurons and connections, and for one weight (a
connection) or bias (a neuron) its value, its gradient, the optimiser's state for it, and its
last update written into the optimiser's formula with that step's numbers.

The update is the optimiser lesson's "inside a step" (core.optim.inside) for one real weight: the
optimiser's rule (its registry entry's, core.optim.rules) is evaluated on the whole parameter
tensor the weight belongs to, from what torch's last step started from (recorded by the run),
and each entry is shown for this weight alone beside what torch holds after its step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from core.errors import Notice
from core.optim import inside
from core.optim.registry import OPTIMIZERS
from core.terrain.run import Run

DRAWN = 1200  # connections drawn at most: the largest in size beyond that (a notice says so)
BIAS = -1  # the source of a neuron's own bias


@dataclass(frozen=True)
class Picked:
    """One weight: Linear layer `layer` (1 = the first), the `neuron` it feeds, and its `source`
    (a neuron of the layer before, or BIAS)."""

    layer: int
    neuron: int
    source: int

    @property
    def parameter(self) -> str:
        return "bias" if self.source == BIAS else "weight"

    @property
    def index(self) -> tuple[int, ...]:
        return (self.neuron,) if self.source == BIAS else (self.neuron, self.source)


def linear_names(run: Run) -> list[str]:
    """The model's Linear layers by their index in the Sequential, in order."""
    return [str(i) for i, layer in enumerate(run.trainer.model) if isinstance(layer, nn.Linear)]


def pick(run: Run, layer: int, neuron: int, source: int, notices: list[Notice]) -> Picked:
    """The weight asked for, moved into the network (with a notice) where it lies outside."""
    linears = [run.trainer.model[int(name)] for name in linear_names(run)]
    used_layer = min(max(layer, 1), len(linears))
    shape = linears[used_layer - 1].weight.shape
    used = Picked(used_layer, min(max(neuron, 0), shape[0] - 1),
                  min(max(source, BIAS), shape[1] - 1))
    if (used.layer, used.neuron, used.source) != (layer, neuron, source):
        notices.append(Notice("notice.terrain.picked", {
            "asked": f"{layer}.{neuron}.{source}",
            "used": f"{used.layer}.{used.neuron}.{used.source}"}))
    return used


def drawing(run: Run) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The network as a picture: neurons (x, y, layer, neuron, source, bias, grad) and
    connections (x, y, x2, y2, layer, neuron, source, weight, grad), and how many connections
    were left out (the smallest, beyond DRAWN). Column 0 holds the inputs (source −2: no
    parameter); Linear layer k's neurons sit in column k, centred on the same middle row."""
    with run.lock:
        linears = [run.trainer.model[int(name)] for name in linear_names(run)]
        sizes = [linears[0].in_features, *(layer.out_features for layer in linears)]
        neurons = [pd.DataFrame({"x": 0.0, "y": _rows(sizes[0]), "layer": 0,
                                 "neuron": np.arange(sizes[0]), "source": -2,
                                 "bias": np.nan, "grad": np.nan})]
        edges = []
        for k, layer in enumerate(linears, start=1):
            neurons.append(pd.DataFrame({
                "x": float(k), "y": _rows(sizes[k]), "layer": k, "neuron": np.arange(sizes[k]),
                "source": BIAS, "bias": layer.bias.detach().numpy().astype(float),
                "grad": _grads(layer.bias)}))
            to, source = np.meshgrid(np.arange(sizes[k]), np.arange(sizes[k - 1]),
                                     indexing="ij")
            edges.append(pd.DataFrame({
                "x": float(k - 1), "y": _rows(sizes[k - 1])[source.ravel()], "x2": float(k),
                "y2": _rows(sizes[k])[to.ravel()], "layer": k, "neuron": to.ravel(),
                "source": source.ravel(),
                "weight": layer.weight.detach().numpy().ravel().astype(float),
                "grad": _grads(layer.weight).ravel()}))
    edges_frame = pd.concat(edges, ignore_index=True)
    hidden = max(0, len(edges_frame) - DRAWN)
    if hidden:
        edges_frame = edges_frame.loc[edges_frame["weight"].abs().nlargest(DRAWN).index]
    return pd.concat(neurons, ignore_index=True), edges_frame.reset_index(drop=True), hidden


def _rows(size: int) -> np.ndarray:
    """The heights of a column's neurons, centred on 0, the first at the top."""
    return (size - 1) / 2 - np.arange(size, dtype=float)


def _grads(parameter: torch.Tensor) -> np.ndarray:
    if parameter.grad is None:
        return np.full(parameter.shape, np.nan)
    return parameter.grad.detach().numpy().astype(float)


def _grad(parameter: torch.Tensor, index: tuple[int, ...]) -> float:
    return float(parameter.grad[index]) if parameter.grad is not None else float("nan")


@dataclass(frozen=True)
class Opened:
    picked: Picked
    name: str  # the parameter's name in the model ("2.weight")
    value: float  # the weight now
    grad: float  # its gradient in the last step (nan before any step, or when it is frozen)
    state: pd.DataFrame  # key, value: the optimiser's state for this weight now
    step: pd.DataFrame  # inside.COLUMNS: the last update, entry by entry; empty without one
    epoch: int  # the epoch the last step belongs to (0: no step yet)
    written: bool  # every entry of the rule agrees with torch's step (False: shown as torch's)


def open_weight(run: Run, picked: Picked) -> Opened:
    """The weight's value, gradient and state now, and its last update written out."""
    name = f"{linear_names(run)[picked.layer - 1]}.{picked.parameter}"
    with run.lock:
        parameter = dict(run.trainer.model.named_parameters())[name]
        index = picked.index
        state = run.trainer.optimizer.state.get(parameter, {})
        rows = [{"key": key, "value": _element(value, parameter, index)}
                for key, value in state.items()]
        step, written = last_update(run, name, parameter, index)
        epoch = run.last_step.epoch if run.last_step is not None else 0
        return Opened(picked, name, float(parameter.detach()[index]),
                      _grad(parameter, index), pd.DataFrame(rows, columns=["key", "value"]),
                      step, epoch, written)


def last_update(run: Run, name: str, parameter: torch.Tensor,
                index: tuple[int, ...]) -> tuple[pd.DataFrame, bool]:
    """The rule's entries for this weight from the recorded start of the last step, beside
    torch's after it; whether every entry agrees (an optimiser without a rule, or whose state
    for this parameter is not the rule's, shows none: an empty table)."""
    record = run.last_step
    rule = OPTIMIZERS[run.config.optimizer].rule
    if record is None or name not in record.before or rule is None:
        return pd.DataFrame(columns=inside.COLUMNS), False
    with torch.no_grad():
        entries = rule(record.grad[name], record.before[name], record.state[name],
                       record.group[name])
    held = {**run.trainer.optimizer.state[parameter], "param": parameter.detach()}
    if any(entry.key not in held for entry in entries):  # not torch's state (a factored one)
        return pd.DataFrame(columns=inside.COLUMNS), False
    rows = []
    for entry in entries:
        ours, theirs = _pick(entry.value, parameter, index), _pick(held[entry.key], parameter,
                                                                    index)
        rows.append({"key": entry.key, "formula": entry.formula,
                     "evaluated": inside.fill(entry.work, {
                         key: _pick(value, parameter, index)
                         for key, value in entry.numbers.items()}),
                     "ours": _shown(ours), "torch": _shown(theirs),
                     "agree": inside.agree(ours, theirs)})
    frame = pd.DataFrame(rows, columns=inside.COLUMNS)
    return frame, bool(frame["agree"].all())


def _pick(value, parameter: torch.Tensor, index: tuple[int, ...]):
    """This weight's element of a tensor of the parameter's shape; anything else as it is."""
    if isinstance(value, torch.Tensor) and value.shape == parameter.shape:
        return value[index]
    return value


def _element(value, parameter: torch.Tensor, index: tuple[int, ...]) -> float | str:
    picked = _pick(value, parameter, index)
    if isinstance(picked, torch.Tensor) and picked.numel() == 1:
        return float(picked)
    return picked if isinstance(picked, int | float) else str(picked)


def _shown(value) -> str:
    value = torch.as_tensor(value)
    return ", ".join(f"{v:.8g}" for v in value.flatten().tolist()[:4])
