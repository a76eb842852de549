"""Checkpoints of a lab run: saved as the course saves them (a dict that torch.save writes),
read back with torch.load(..., weights_only=True) and checked against the network before anything
is restored, and a run resumed from one with the parts a student chooses to restore.

A resumed run starts as a restarted script does: everything built again from the seed (the same
data, a fresh model, optimiser, scheduler and generator), then the checkpoint's parts loaded over
it. Restoring every part continues the run bit for bit; leaving one out changes where the run
goes, and why is read from the two runs (the optimiser's lost state, a learning rate that differs,
a batch order that differs)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pandas as pd
import torch

from core.errors import InputError, Notice
from core.lab import plug
from core.lab import script as lab_script
from core.lab.model import LabConfig
from core.lab.train import Trainer

MAX_BYTES = 20 * 2**20  # an upload larger than this is no checkpoint of the lab's small networks
SCHEDULER_WAYS = ("fresh", "last_epoch", "state_dict")  # none; the course's; its own state_dict


@dataclass(frozen=True)
class Restore:
    """What a resume loads from the checkpoint over the rebuilt run (the model always)."""

    optimizer: bool = True
    scheduler: str = "state_dict"  # one of SCHEDULER_WAYS
    random_state: bool = True


EVERYTHING = Restore()
COURSE = Restore(optimizer=True, scheduler="last_epoch", random_state=False)  # its resume script
MODEL_ONLY = Restore(optimizer=False, scheduler="fresh", random_state=False)


# ---- saving and reading -------------------------------------------------------------------

def state(trainer: Trainer) -> dict:
    """The checkpoint of a run now: the course's dict (its "epoch" is the index of the last
    epoch done, counted from 0, as its loop saves it), with the scheduler's state and the
    generator's state too, so that every way of resuming can be tried from one file."""
    checkpoint = {"model_state_dict": trainer.model.state_dict(),
                  "optimizer_state_dict": trainer.optimizer.state_dict(),
                  "rng_state": trainer.generator.get_state(),
                  "epoch": trainer.epoch - 1, "loss": trainer.history[-1]["train_loss"]}
    if trainer.schedule is not None:
        checkpoint["scheduler_state_dict"] = trainer.schedule.state_dict()
    return checkpoint


def save(trainer: Trainer) -> bytes:
    """The .pt file torch.save writes for the run's checkpoint."""
    buffer = io.BytesIO()
    with trainer.lock:
        torch.save(state(trainer), buffer)
    return buffer.getvalue()


def read(data: bytes, name: str = "checkpoint") -> dict:
    """A checkpoint file as torch.load(..., weights_only=True) reads it: tensors and plain values
    only, never an object a pickle would build, never code run. A bare state_dict (what
    torch.save(model.state_dict()) writes) is read as a checkpoint without an epoch. Anything else
    is an InputError naming the file and what is wrong with it."""
    if not data:
        raise InputError("error.inside.file_empty", name=name)
    if len(data) > MAX_BYTES:
        raise InputError("error.inside.file_large", name=name, size=len(data), most=MAX_BYTES)
    try:
        loaded = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as error:  # noqa: BLE001 - any bytes at all: torch raises many kinds
        wanted = re.search(r"GLOBAL ([\w.]+)", str(error))
        if wanted:  # a pickle that would build an object of its choosing: run code
            raise InputError("error.inside.file_code", name=name, what=wanted.group(1)) from None
        raise InputError("error.inside.file_unreadable", name=name,
                         reason=_reason(error)) from None
    if isinstance(loaded, dict) and loaded and all(isinstance(v, torch.Tensor)
                                                  for v in loaded.values()):
        loaded = {"model_state_dict": loaded}
    if not isinstance(loaded, dict) or "model_state_dict" not in loaded:
        raise InputError("error.inside.file_no_model", name=name)
    return loaded


def _reason(error: Exception) -> str:
    """torch's reason, without its advice to load with weights_only=False."""
    text = str(error).split("WeightsUnpickler error:")[-1]
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__)[:200]


def check(checkpoint: dict, trainer: Trainer, name: str, most_epochs: int) -> None:
    """An InputError naming the first part of checkpoint that does not fit the run's network
    (a tensor of another shape, one missing or extra), or an epoch outside 0..most_epochs."""
    own = trainer.model.state_dict()
    theirs = checkpoint["model_state_dict"]
    if not isinstance(theirs, dict):
        raise InputError("error.inside.file_no_model", name=name)
    for key, tensor in own.items():
        if key not in theirs:
            raise InputError("error.inside.file_missing", name=name, entry=key)
        other = theirs[key]
        if not isinstance(other, torch.Tensor) or other.shape != tensor.shape:
            raise InputError("error.inside.file_shape", name=name, entry=key, theirs=_shape(other),
                             ours=_shape(tensor))
    extra = sorted(set(theirs) - set(own))
    if extra:
        raise InputError("error.inside.file_extra", name=name, entry=extra[0])
    epoch = checkpoint.get("epoch")
    if epoch is not None and not (isinstance(epoch, int) and -1 <= epoch < most_epochs):
        raise InputError("error.inside.file_epoch", name=name, epoch=epoch, most=most_epochs)
    for part in ("optimizer_state_dict", "scheduler_state_dict"):
        if part in checkpoint and not isinstance(checkpoint[part], dict):
            raise InputError("error.inside.file_part", name=name, part=part)


def _shape(value) -> str:
    if not isinstance(value, torch.Tensor):
        return type(value).__name__
    return " × ".join(map(str, value.shape)) or "()"


def restore(trainer: Trainer, checkpoint: dict, parts: Restore, name: str = "checkpoint") -> None:
    """Load the checkpoint's parts over a freshly built run, as a resume script does, and set
    its epoch to the one after the checkpoint's. A part the file lacks, or one torch refuses,
    is an InputError naming it."""
    trainer.model.load_state_dict(checkpoint["model_state_dict"])
    loads = []
    if parts.optimizer:
        loads.append(("optimizer_state_dict", trainer.optimizer.load_state_dict))
    if trainer.schedule is not None and parts.scheduler == "state_dict":
        loads.append(("scheduler_state_dict", lambda saved: _load_scheduler(trainer, saved)))
    if parts.random_state:
        loads.append(("rng_state", trainer.generator.set_state))
    for part, load in loads:
        if part not in checkpoint:
            raise InputError("error.inside.file_lacks", name=name, part=part)
        try:
            load(checkpoint[part])
        except (RuntimeError, ValueError, KeyError, TypeError) as error:
            raise InputError("error.inside.file_refused", name=name, part=part,
                             reason=_reason(error)) from None
    start = checkpoint.get("epoch")
    start = -1 if start is None else start
    if trainer.schedule is not None and parts.scheduler == "last_epoch":
        trainer.schedule.last_epoch = start  # the course's way
    trainer.epoch = start + 1


def _load_scheduler(trainer: Trainer, saved: dict) -> None:
    """load_state_dict puts every entry into the scheduler's attributes: only its own entries,
    of the kinds it has, are taken."""
    own = trainer.schedule.state_dict()
    for key, value in saved.items():
        if key not in own or type(value) is not type(own[key]):
            raise ValueError(f"{key} is not one of this scheduler's settings")
    trainer.schedule.load_state_dict(saved)


# ---- stop and resume, against the uninterrupted run ---------------------------------------

@dataclass(frozen=True)
class Cause:
    """One reason a resumed run parts from the uninterrupted one, read from the two runs."""

    key: str  # a text key: inside.cause_<key>
    params: dict


@dataclass(frozen=True)
class Resumed:
    curves: pd.DataFrame  # epoch, run ("uninterrupted" from 0 / "resumed" from the stop), the
    # lab's history columns and lr_used
    difference: pd.DataFrame  # epoch, largest |weight difference| (resumed - uninterrupted)
    stop: int  # epochs done when the checkpoint was taken
    parted: int | None  # the first epoch after which the weights differ; None: bit for bit
    causes: tuple[Cause, ...]
    checkpoint: bytes  # the file torch.save wrote at the stop (the download)
    notices: tuple[Notice, ...] = ()


def flat(trainer: Trainer) -> torch.Tensor:
    """Every number of the model's state (weights, biases, BatchNorm's running statistics)."""
    return torch.cat([value.detach().flatten().double()
                      for value in trainer.model.state_dict().values()])


def resume(config: LabConfig, epochs: int, stop: int, parts: Restore,
           uploaded: tuple[str, bytes] | None = None) -> Resumed:
    """The run trained for epochs without a break, its checkpoint after stop epochs, and the run
    resumed from that checkpoint (or from an uploaded file: (name, bytes)) with parts restored,
    trained to epochs too. config validated (model.validate)."""
    whole = Trainer(config)
    states, checkpoint, at_stop = [flat(whole)], None, None
    for _ in range(epochs):
        if whole.epoch == stop:
            checkpoint, at_stop = save(whole), _snapshot(whole)
        whole.train(epochs=1)
        states.append(flat(whole))
    if checkpoint is None:
        checkpoint, at_stop = save(whole), _snapshot(whole)
    name, data = uploaded if uploaded is not None else ("checkpoint", checkpoint)
    loaded = read(data, name)
    again = Trainer(config)
    check(loaded, again, name, epochs)
    restore(again, loaded, parts, name)
    start = again.epoch
    again.history = [_row_now(again)]  # its history begins at the checkpoint
    causes = _causes_at_start(again, at_stop, parts) if uploaded is None else []
    resumed_states = {start: flat(again)}
    while again.epoch < epochs:
        again.train(epochs=1)
        resumed_states[again.epoch] = flat(again)
    difference = pd.DataFrame(
        [{"epoch": epoch, "difference": (state - states[epoch]).abs().max().item()}
         for epoch, state in resumed_states.items()])
    differing = difference.loc[difference["difference"] > 0, "epoch"]
    parted = int(differing.min()) if len(differing) else None
    curves = _curves(whole, again, start)
    if uploaded is None:
        causes += _lr_causes(curves)
    return Resumed(curves, difference, start, parted, tuple(causes), checkpoint)


def _snapshot(trainer: Trainer) -> dict:
    """What a resume may lose: the optimiser's state and the generator's, at the stop."""
    return {"optimizer": {key: value for param_state in trainer.optimizer.state.values()
                          for key, value in param_state.items()
                          if isinstance(value, torch.Tensor) and value.numel() > 1},
            "generator": trainer.generator.get_state()}


def _causes_at_start(again: Trainer, at_stop: dict, parts: Restore) -> list[Cause]:
    """The state the resumed run starts from that differs from the uninterrupted run's."""
    causes = []
    if not parts.optimizer:
        names = sorted(at_stop["optimizer"])
        causes.append(Cause("optimizer_lost", {"names": ", ".join(names)}) if names
                      else Cause("optimizer_stateless", {}))
    if not torch.equal(again.generator.get_state(), at_stop["generator"]):
        n = len(again.x_train)
        order = torch.randperm(n, generator=torch.Generator().set_state(
            again.generator.get_state()))
        expected = torch.randperm(n, generator=torch.Generator().set_state(at_stop["generator"]))
        causes.append(Cause("batch_order", {"epoch": again.epoch + 1, "moved": int(
            (order != expected).sum()), "points": n}))
    return causes


def _row_now(trainer: Trainer) -> dict:
    """A history row as the lab records one, for a run's state now."""
    train_loss, train_acc = trainer.evaluate(trainer.x_train, trainer.y_train,
                                             trainer.labels_train)
    test_loss, test_acc = trainer.evaluate(trainer.x_test, trainer.y_test, trainer.labels_test)
    return {"epoch": trainer.epoch, "train_loss": train_loss, "test_loss": test_loss,
            "train_acc": train_acc, "test_acc": test_acc,
            "lr": trainer.optimizer.param_groups[0]["lr"]}


def _curves(whole: Trainer, again: Trainer, start: int) -> pd.DataFrame:
    """The uninterrupted run's history and the resumed one's from the checkpoint on, with the
    learning rate each epoch trained at (the lab records the rate after each epoch's scheduler
    step: the next epoch's)."""
    frames = []
    for run, trainer in (("uninterrupted", whole), ("resumed", again)):
        history = pd.DataFrame(trainer.history)
        history["lr_used"] = history["lr"].shift(1)
        frames.append(history.assign(run=run))
    return pd.concat(frames, ignore_index=True)


def _lr_causes(curves: pd.DataFrame) -> list[Cause]:
    """The epochs the resumed run trained at another learning rate than the uninterrupted: the
    first of them with both rates, and how many there are."""
    rates = curves.pivot_table(index="epoch", columns="run", values="lr_used").dropna()
    if "resumed" not in rates:  # it trained no epoch after the checkpoint
        return []
    differ = rates[rates["resumed"] != rates["uninterrupted"]]
    if not len(differ):
        return []
    first = differ.iloc[0]
    return [Cause("lr", {"epoch": int(differ.index[0]), "resumed": float(first["resumed"]),
                         "uninterrupted": float(first["uninterrupted"]),
                         "epochs": len(differ)})]


# ---- the shown script: the course's save and resume, on the lab's network ---------------------

def to_script(config: LabConfig, epochs: int, stop: int, parts: Restore) -> str:
    """A plain script that trains the lab's run (the lab's own script, core.lab.script) for stop
    epochs, saves the course's checkpoint, then builds everything again from the seed as a new
    run would, restores parts and trains on to epochs, printing the losses every epoch as the
    page draws them. Its loop counts epochs from 0, as the course's does."""
    lab = lab_script.to_script(config, epochs, every=1)
    head, rest = lab.split("torch.manual_seed(", 1)
    build, rest = ("torch.manual_seed(" + rest).split("\n\ndef losses():", 1)
    losses = "def losses():" + rest.split("\n\n\nprint(", 1)[0]
    loop = rest.split("for epoch in range(1, ", 1)[1].split("\n", 1)[1]
    body = loop.split("    if epoch % ", 1)[0].rstrip()
    report = ('    print("epoch {}: train loss {!r}, test loss {!r}".format(epoch + 1, '
              '*losses()))')
    scheduler = config.schedule != plug.NO_SCHEDULE
    restores = ['model.load_state_dict(checkpoint["model_state_dict"])',
                'optimizer.load_state_dict(checkpoint["optimizer_state_dict"])'
                if parts.optimizer else None,
                'start_epoch = checkpoint["epoch"]',
                "scheduler.last_epoch = start_epoch  # the course's way"
                if scheduler and parts.scheduler == "last_epoch" else None,
                'scheduler.load_state_dict(checkpoint["scheduler_state_dict"])'
                if scheduler and parts.scheduler == "state_dict" else None,
                'torch.set_rng_state(checkpoint["rng_state"])' if parts.random_state else None]
    lines = [
        "import io", head.rstrip(), "", build.rstrip(), "", "", losses.rstrip(), "", "",
        f"MAX_EPOCH, BREAK_AFTER = {epochs}, {stop}",
        'print("epoch 0: train loss {!r}, test loss {!r}".format(*losses()))',
        "for epoch in range(0, BREAK_AFTER):", body, report, "",
        "checkpoint = {", '    "model_state_dict": model.state_dict(),',
        '    "optimizer_state_dict": optimizer.state_dict(),',
        '    "scheduler_state_dict": scheduler.state_dict(),' if scheduler else None,
        '    "rng_state": torch.get_rng_state(),',
        '    "epoch": BREAK_AFTER - 1,  # the last epoch done, counted from 0 as the loop does',
        '    "loss": losses()[0],', "}",
        'file = io.BytesIO()  # torch.save(checkpoint, "checkpoint_{}_epoch.pt".format(epoch))',
        "torch.save(checkpoint, file)", "",
        "# ---- training breaks; a new run builds everything again from the seed and resumes ----",
        build.rstrip(), "", "file.seek(0)",
        "checkpoint = torch.load(file, weights_only=True)",
        *[line for line in restores if line is not None],
        "for epoch in range(start_epoch + 1, MAX_EPOCH):", body, report,
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


# ---- starting a run from another run's weights (finetuning) ---------------------------------

def start_from(trainer: Trainer, checkpoint: dict, name: str = "checkpoint") -> None:
    """A new run (at epoch 0) starts from a checkpoint's weights, trained on whatever data the run
    has (finetuning): the model's state_dict only, checked against the network first."""
    check(checkpoint, trainer, name, most_epochs=2**31)
    trainer.model.load_state_dict(checkpoint["model_state_dict"])
    trainer.history = [_row_now(trainer)]
