"""The training loss as a function of the weights: the quantity whose curvature, surface and
gradient noise the lesson reads.

It is the loss the optimiser descends, on the whole training set: the loss function, plus the L1
and L2 penalties on the Linear layers' weights when the run has them, with the network in eval
mode (dropout off; BatchNorm with its running statistics, as the lab's loss curve reads it). Its
variables are the parameters training moves (requires_grad); every other tensor of the model
(buffers, frozen parameters) stays as it is."""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, vmap

# A batched evaluation (vmap) runs in chunks whose tensors stay near this many bytes
CHUNK_BYTES = 48 * 2**20


class Objective:
    """loss(params) for params named as model.named_parameters() (the trainable ones), and
    the flat view of those parameters: one vector, in that order."""

    def __init__(self, model: nn.Sequential, loss_fn: nn.Module, x: torch.Tensor,
                 y: torch.Tensor, l1: float = 0.0, l2: float = 0.0) -> None:
        self.model, self.loss_fn, self.x, self.y, self.l1, self.l2 = model, loss_fn, x, y, l1, l2
        self.names = [name for name, p in model.named_parameters() if p.requires_grad]
        self.shapes = [p.shape for name, p in model.named_parameters() if p.requires_grad]
        linear = {f"{i}.weight" for i, layer in enumerate(model) if isinstance(layer, nn.Linear)}
        self.penalised = [name for name in self.names if name in linear]

    @classmethod
    def of(cls, trainer) -> Objective:
        """The objective of a lab run (core.lab.train.Trainer), on its training set."""
        config = trainer.config
        return cls(trainer.model, trainer.loss_fn, trainer.x_train, trainer.y_train,
                   config.l1, config.l2)

    # ---- the weights as one vector ----------------------------------------------------------
    @property
    def size(self) -> int:
        return sum(shape.numel() for shape in self.shapes)

    def current(self) -> list[torch.Tensor]:
        """The trainable parameters' values now (detached, not copied)."""
        named = dict(self.model.named_parameters())
        return [named[name].detach() for name in self.names]

    def flat(self, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        """params (default: the current weights) as one vector, copied."""
        params = self.current() if params is None else params
        return torch.cat([p.reshape(-1) for p in params])

    def unflat(self, vector: torch.Tensor) -> list[torch.Tensor]:
        """One vector as tensors of the parameters' shapes (views of it)."""
        pieces, start = [], 0
        for shape in self.shapes:
            pieces.append(vector[start:start + shape.numel()].view(shape))
            start += shape.numel()
        return pieces

    # ---- the loss -----------------------------------------------------------------------------
    def loss(self, params: list[torch.Tensor] | None = None, x: torch.Tensor | None = None,
             y: torch.Tensor | None = None, penalty: bool = True) -> torch.Tensor:
        """The loss at params (a tensor per trainable parameter; None: the model's own, read in
        place) on x, y (default: the training set), the model in eval mode. Works under
        torch.func transforms (vmap, grad) with params given."""
        self.model.eval()
        x = self.x if x is None else x
        if params is None:  # the model itself: a quarter of functional_call's cost
            named = dict(self.model.named_parameters())
            out = self.model(x)
        else:
            named = dict(zip(self.names, params, strict=True))
            out = functional_call(self.model, named, (x,))
        value = self.loss_fn(out, self.y if y is None else y)
        if penalty:
            value = value + self.penalty(named)
        return value

    def penalty(self, named: dict[str, torch.Tensor]) -> torch.Tensor | float:
        """L1 and L2 on the Linear layers' weights, as the lab adds them (core.lab.model)."""
        total = 0.0
        for name in self.penalised:
            if self.l1:
                total = total + self.l1 * named[name].abs().sum()
            if self.l2:
                total = total + self.l2 * (named[name] * named[name]).sum()
        return total

    def at(self, vector: torch.Tensor) -> torch.Tensor:
        """The loss at a flat vector of weights."""
        return self.loss(self.unflat(vector))

    def chunk(self, bytes_per_row: int) -> int:
        """Rows of a batched evaluation that fit CHUNK_BYTES, bytes_per_row each."""
        return max(1, CHUNK_BYTES // max(1, bytes_per_row))

    def losses_at(self, weights: torch.Tensor) -> torch.Tensor:
        """The loss at each row of weights (flat vectors), batched with torch.func.vmap in
        chunks of bounded memory (each row's activations: every layer's outputs on the
        training set)."""
        widths = sum(shape[0] for shape in self.shapes) + self.x.shape[1]
        with torch.no_grad():
            return vmap(self.at, chunk_size=self.chunk(12 * len(self.x) * widths))(weights)
