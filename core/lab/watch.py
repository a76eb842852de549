"""The lab's per-layer statistics, collected with hooks: the std of each hidden layer's
activation and of each Linear weight's gradient on the last batch of an epoch, as the lab's
"activation std per layer" and "gradient std per layer" charts draw them. The Trainer watches its
last batch of each epoch with these hooks; the lesson Inside a training run shows this code."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch
from torch import nn


class LayerWatch:
    """Each hidden layer's activation std and each Linear weight's gradient std, from the last
    batch a model trained on, collected with hooks instead of a forward loop of one's own:
    a forward hook on every activation layer (it sees the layer's output), and a tensor hook on
    every Linear weight (it sees the weight's gradient as backward computes it). Evaluation
    passes (eval mode) are not recorded. remove() takes the hooks off."""

    def __init__(self, model: nn.Module, is_activation: Callable[[nn.Module], bool]) -> None:
        self.activations: dict[int, float] = {}
        self.gradients: dict[int, float] = {}
        self.handles = []
        hidden = [m for m in model if is_activation(m)]
        linears = [m for m in model if isinstance(m, nn.Linear)]
        for number, layer in enumerate(hidden, start=1):
            self.handles.append(layer.register_forward_hook(self._keep_activation(number)))
        self.layers = len(linears)
        for number, layer in enumerate(linears, start=1):
            if layer.weight.requires_grad:  # torch refuses a hook on a frozen weight
                self.handles.append(layer.weight.register_hook(self._keep_gradient(number)))

    def _keep_activation(self, number: int):
        def hook(module, inputs, output):
            if module.training:
                self.activations[number] = _std(output.detach())
        return hook

    def _keep_gradient(self, number: int):
        def hook(grad):
            self.gradients[number] = _std(grad)
        return hook

    def rows(self) -> list[dict]:
        """One row per Linear layer: its number, the std of the activation after it (nan for
        the output layer) and of its weight's gradient (nan for a frozen layer); none before a
        training batch has run."""
        if not self.activations and not self.gradients:
            return []
        nan = float("nan")
        return [{"layer": number, "act_std": self.activations.get(number, nan),
                 "grad_std": self.gradients.get(number, nan)}
                for number in range(1, self.layers + 1)]

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def _std(tensor: torch.Tensor) -> float:
    return tensor.std().item() if tensor.numel() > 1 else float("nan")


@contextlib.contextmanager
def watching(model: nn.Module, is_activation: Callable[[nn.Module], bool]):
    """A LayerWatch on model while the block runs."""
    watch = LayerWatch(model, is_activation)
    try:
        yield watch
    finally:
        watch.remove()
