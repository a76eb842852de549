"""Freezing a layer (the course's lesson on finetuning), checked on a small network of the
lesson's own: Linear(2, 4) -> BatchNorm1d(4) -> Tanh -> Linear(4, 1), on the lab's circle.

The ways to keep the first layer and its BatchNorm where they are, each trained for the same
steps from the same weights: requires_grad = False; a parameter group with lr 0; and
requires_grad = False set after training has begun, with zero_grad(set_to_none=False), which
leaves a zero gradient rather than none. What moved is read from the weights themselves."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace

import pandas as pd
import torch
from torch import nn

from core.lab import checkpoint, data, plug
from core.lab import script as lab_script
from core.lab.model import LabConfig
from core.lab.train import Trainer
from core.settings import setting

WAYS = ("trained", "requires_grad", "lr_zero", "frozen_late")
FROZEN = ("0.weight", "0.bias", "1.weight", "1.bias")  # the first Linear and its BatchNorm
BEFORE_FREEZING = 3  # steps "frozen_late" trains before it freezes
# The lab's datasets of two classes (drawn, not the user's CSV): the lab's default network fits
# them all, so a checkpoint trained on one starts a run on another.
TWO_CLASSES = tuple(name for name, entry in data.DATASETS.items()
                    if entry.task == "classification" and entry.draw is not None)


@dataclass(frozen=True)
class FreezeConfig:
    optimizer: str = setting("SGD", choices=plug.OPTIMIZERS)
    lr: float = setting(0.1, low=1e-5, high=10.0, format="%g")
    momentum: float = setting(0.9, low=0.0, high=0.999, step=0.1)
    weight_decay: float = setting(0.01, low=0.0, high=1.0, step=0.01, format="%g")
    steps: int = setting(20, low=BEFORE_FREEZING + 1, high=500, step=1)
    seed: int = setting(1, low=0, high=2**31 - 1, step=1)
    # finetuning: the lab's network trained on source, then on target (and from scratch)
    source: str = setting("gauss", choices=TWO_CLASSES, choice_text="lab.dataset_{choice}")
    target: str = setting("circle", choices=TWO_CLASSES, choice_text="lab.dataset_{choice}")
    tune_epochs: int = setting(15, low=1, high=16, step=1)  # 3 runs: 1,920 steps at most


def network(g: torch.Generator) -> nn.Sequential:
    model = nn.Sequential(torch.nn.utils.skip_init(nn.Linear, 2, 4), nn.BatchNorm1d(4),
                          nn.Tanh(), torch.nn.utils.skip_init(nn.Linear, 4, 1))
    for layer in (model[0], model[3]):
        plug.linear_default(layer, g)  # nn.Linear's own draw
    return model


def optimizer_settings(config: FreezeConfig) -> dict:
    """The config's lr, and its momentum and weight decay where the optimiser takes them."""
    takes = inspect.signature(getattr(torch.optim, config.optimizer)).parameters
    return {"lr": config.lr} | {name: getattr(config, name)
                                for name in ("momentum", "weight_decay") if name in takes}


def optimizer_for(config: FreezeConfig, groups) -> torch.optim.Optimizer:
    return getattr(torch.optim, config.optimizer)(groups, **optimizer_settings(config))


def train(config: FreezeConfig, way: str) -> tuple[nn.Sequential, nn.Sequential,
                                                    torch.optim.Optimizer]:
    """The network when the first layer was kept (at the start; for "frozen_late" when it
    was frozen) and after config.steps steps, and the optimiser."""
    g = torch.Generator().manual_seed(config.seed)
    points, labels = data.circle(64, 0.0, g)
    model = network(g)
    start = network(torch.Generator())
    start.load_state_dict(model.state_dict())
    first = [p for name, p in model.named_parameters() if name in FROZEN]
    rest = [p for name, p in model.named_parameters() if name not in FROZEN]
    if way == "requires_grad":
        for param in first:
            param.requires_grad = False
    groups = [{"params": first, "lr": 0.0}, {"params": rest}] if way == "lr_zero" \
        else model.parameters()
    optimizer = optimizer_for(config, groups)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for step in range(config.steps):
        if way == "frozen_late" and step == BEFORE_FREEZING:
            start.load_state_dict(model.state_dict())
            for param in first:
                param.requires_grad = False
        optimizer.zero_grad(set_to_none=way != "frozen_late")
        loss_fn(model(points / data.RADIUS), labels[:, None]).backward()
        optimizer.step()
    return start, model, optimizer


def moves(config: FreezeConfig) -> pd.DataFrame:
    """One row per way and parameter of the first layer and its BatchNorm (and BatchNorm's
    running mean): how far it moved from the start (largest |change|), whether it requires a
    gradient, whether its .grad is None, and the size of the optimiser's state for it."""
    rows = []
    for way in WAYS:
        start, model, optimizer = train(config, way)
        before, after = start.state_dict(), model.state_dict()
        params = dict(model.named_parameters())
        for name in (*FROZEN, "1.running_mean"):
            param = params.get(name)
            state = optimizer.state.get(param, {}) if param is not None else {}
            rows.append({
                "way": way, "tensor": name,
                "moved": (after[name] - before[name]).abs().max().item(),
                "requires_grad": None if param is None else param.requires_grad,
                "grad_is_none": None if param is None else param.grad is None,
                "state": ", ".join(sorted(k for k, v in state.items()
                                          if isinstance(v, torch.Tensor) and v.numel() > 1)),
            })
    return pd.DataFrame(rows)


def lr_zero_by_optimizer(config: FreezeConfig) -> pd.DataFrame:
    """For each optimiser the lab offers: how far a parameter group with lr 0 moved (Rprop's
    step size is clamped to at least step_size_min, whatever lr it starts from)."""
    rows = []
    for name in plug.OPTIMIZERS:
        start, model, _ = train(FreezeConfig(optimizer=name, lr=config.lr,
                                             momentum=config.momentum,
                                             weight_decay=config.weight_decay,
                                             steps=config.steps, seed=config.seed), "lr_zero")
        moved = max((model.state_dict()[n] - start.state_dict()[n]).abs().max().item()
                    for n in FROZEN)
        rows.append({"optimizer": name, "moved": moved})
    return pd.DataFrame(rows)


def batchnorm_modes(config: FreezeConfig) -> pd.DataFrame:
    """A frozen BatchNorm (requires_grad = False) given one batch in train() and in eval():
    its running mean and variance before and after. train() updates them: freezing stops the
    gradient, not the running statistics."""
    g = torch.Generator().manual_seed(config.seed)
    points, _ = data.circle(64, 0.0, g)
    model = network(g)
    for param in model[1].parameters():
        param.requires_grad = False
    rows = []
    for mode in ("train", "eval"):
        model.train(mode == "train")
        mean, var = model[1].running_mean.clone(), model[1].running_var.clone()
        with torch.no_grad():
            model(points / data.RADIUS)
        rows.append({"mode": mode, "mean_before": mean.tolist(),
                     "mean_after": model[1].running_mean.tolist(),
                     "var_before": var.tolist(), "var_after": model[1].running_var.tolist(),
                     "moved": (model[1].running_mean - mean).abs().max().item()})
    return pd.DataFrame(rows)


def finetune(config: LabConfig, source: str, epochs: int) -> pd.DataFrame:
    """The lab's run on config's data from scratch, and started from a checkpoint of the same
    network trained for epochs on the dataset source: each one's test loss and accuracy per
    epoch (columns epoch, run, test_loss, test_acc)."""
    pretrained = Trainer(replace(config, dataset=source))
    pretrained.train(epochs=epochs)
    scratch, tuned = Trainer(config), Trainer(config)
    checkpoint.start_from(tuned, checkpoint.read(checkpoint.save(pretrained)))
    frames = []
    for run, trainer in (("scratch", scratch), ("finetuned", tuned)):
        trainer.train(epochs=epochs)
        frames.append(pd.DataFrame(trainer.history).assign(run=run))
    return pd.concat(frames, ignore_index=True)[["epoch", "run", "test_loss", "test_acc"]]


def to_script(config: FreezeConfig) -> str:
    """A plain script of the four ways to keep the first layer, printing how far each tensor
    moved as the page's table shows it."""
    settings = ", ".join(f"{name}={value!r}" for name, value in
                         optimizer_settings(config).items())
    return SCRIPT.format(radius=data.RADIUS, circle=inspect.getsource(data.circle).strip(),
                         seed=config.seed, optimizer=config.optimizer, settings=settings,
                         steps=config.steps, late=BEFORE_FREEZING, ways=WAYS,
                         tensors=(*FROZEN, "1.running_mean"))


SCRIPT = '''import math

import torch
from torch import nn

RADIUS = {radius!r}


{circle}


def run(way):
    torch.manual_seed({seed})
    points, labels = circle(64, 0.0, None)
    model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 1))
    first = list(model[0].parameters()) + list(model[1].parameters())  # Linear and BatchNorm
    if way == "requires_grad":
        for param in first:
            param.requires_grad = False
    groups = [{{"params": first, "lr": 0.0}}, {{"params": model[3].parameters()}}] \\
        if way == "lr_zero" else model.parameters()
    optimizer = torch.optim.{optimizer}(groups, {settings})
    start = {{name: value.clone() for name, value in model.state_dict().items()}}
    for step in range({steps}):
        if way == "frozen_late" and step == {late}:
            start = {{name: value.clone() for name, value in model.state_dict().items()}}
            for param in first:
                param.requires_grad = False
        optimizer.zero_grad(set_to_none=way != "frozen_late")  # zeroed, not None, when late
        nn.BCEWithLogitsLoss()(model(points / RADIUS), labels[:, None]).backward()
        optimizer.step()
    for name in {tensors!r}:
        moved = (model.state_dict()[name] - start[name]).abs().max().item()
        print(way, name, repr(moved))


for way in {ways!r}:
    run(way)
'''


def finetune_script(config: LabConfig, source: str, epochs: int) -> str:
    """The lab's own scripts (core.lab.script) one after the other: the network trained on
    source and its state_dict saved, then the run on config's data started from it (loaded with
    weights_only=True), printing its losses every epoch after the line "# finetuning"."""
    pretrain = lab_script.to_script(replace(config, dataset=source), epochs, every=epochs)
    tune = lab_script.to_script(config, epochs, every=1)
    if "\nloss_fn = " not in tune:
        raise ValueError("the lab's script no longer builds its loss after its model")
    tune = tune.replace("\nloss_fn = ", "\nmodel.load_state_dict(torch.load(file, weights_only="
                        f"True))  # pretrained on {source}\nloss_fn = ", 1)
    return ("import io\n\n" + pretrain + "\nfile = io.BytesIO()  # a .pt file in practice\n"
            "torch.save(model.state_dict(), file)\nfile.seek(0)\n"
            f'print("{FINETUNING}")\n\n' + tune)


FINETUNING = "# finetuning"
