"""A lab run as a TensorBoard log (the course's lessons on TensorBoard): written with
torch.utils.tensorboard.SummaryWriter, downloaded as one .tar.gz that `tensorboard --logdir`
opens once unpacked, and read back with TensorBoard's own event reader.

Per epoch: the loss and accuracy on the training and test sets and the learning rate (the lab's
history), and a histogram of each layer's weights and of their gradients. The weights and
gradients of each epoch are kept while the run trains by a hook on its optimiser
(register_step_post_hook: after every step, the latest wins, so each epoch keeps its last
batch's gradient and its weights at its end), so that writing the log trains nothing again."""

from __future__ import annotations

import io
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch

from core.lab.train import Trainer

RUN = "lab"  # the run's folder inside the archive: TensorBoard names the run after it
# Bins of each histogram: SummaryWriter's default ("tensorflow", about 1,500 edges) made writing a
# 200-epoch run's 2,400 histograms take ten times as long, for layers of 2 to 1,024 weights
BINS = 30
SCALARS = {"train_loss": "loss/train", "test_loss": "loss/test", "train_acc": "accuracy/train",
           "test_acc": "accuracy/test", "lr": "learning_rate"}


@dataclass
class Recorder:
    """Each epoch's parameters and gradients, as a hook on the run's optimiser records them:
    {epoch: {name: (weights, gradient or None)}}, epoch counted from 1 (the epoch just done)."""

    trainer: Trainer
    epochs: dict[int, dict[str, tuple[torch.Tensor, torch.Tensor | None]]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        self.handle = self.trainer.optimizer.register_step_post_hook(self._after_step)
        self.epochs[self.trainer.epoch] = self._now(gradients=False)  # where it starts

    def _after_step(self, optimizer, args, kwargs) -> None:
        self.epochs[self.trainer.epoch + 1] = self._now(gradients=True)

    def _now(self, gradients: bool) -> dict[str, tuple[torch.Tensor, torch.Tensor | None]]:
        return {name: (param.detach().clone(),
                       param.grad.clone() if gradients and param.grad is not None else None)
                for name, param in self.trainer.model.named_parameters()}

    def remove(self) -> None:
        self.handle.remove()


def record(trainer: Trainer) -> Recorder:
    """Start keeping each epoch's weights and gradients of a run (before it trains them)."""
    return Recorder(trainer)


def write(trainer: Trainer, recorder: Recorder | None, directory: Path) -> None:
    """The run's log into directory/RUN: every epoch's scalars from its history, and the
    histograms of every epoch the recorder kept (without one, of the weights as they are now)."""
    from torch.utils.tensorboard import SummaryWriter  # imports TensorBoard: only when asked

    writer = SummaryWriter(log_dir=str(directory / RUN), max_queue=10_000, flush_secs=3600)
    try:
        for row in trainer.history:
            for column, tag in SCALARS.items():
                if pd.notna(row[column]):
                    writer.add_scalar(tag, row[column], row["epoch"])
        kept = recorder.epochs if recorder is not None else {trainer.epoch: {
            name: (param.detach(), param.grad) for name, param in
            trainer.model.named_parameters()}}
        for epoch, params in sorted(kept.items()):
            for name, (weights, gradient) in params.items():
                writer.add_histogram(f"weights/{name}", weights, epoch, bins=BINS)
                if gradient is not None:
                    writer.add_histogram(f"gradients/{name}", gradient, epoch, bins=BINS)
    finally:
        writer.close()


def archive(trainer: Trainer, recorder: Recorder | None = None) -> bytes:
    """The run's log as a .tar.gz holding RUN/events.out.tfevents...: unpack it and run
    `tensorboard --logdir .` where it was unpacked. The function the lab page calls for its own
    run (with the recorder it started, else scalars only)."""
    with tempfile.TemporaryDirectory() as folder, trainer.lock:
        write(trainer, recorder, Path(folder))
        packed = io.BytesIO()
        # the lightest compression: an event file's floats hardly compress, and level 9 was a
        # fifth of the time a 200-epoch log took
        with tarfile.open(fileobj=packed, mode="w:gz", compresslevel=1) as tar:
            tar.add(Path(folder) / RUN, arcname=RUN)
    return packed.getvalue()


def run_log(trainer: Trainer, epochs: int) -> bytes:
    """Train a new run for epochs with a recorder, and its log's archive."""
    recorder = record(trainer)
    try:
        trainer.train(epochs=epochs)
    finally:
        recorder.remove()
    return archive(trainer, recorder)


def read_back(data: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What TensorBoard reads from an archive, with its own event reader (EventAccumulator):
    the scalars (tag, step, value) and the histograms (tag, step, count, min, max)."""
    from tensorboard.backend.event_processing.event_accumulator import (
        HISTOGRAMS,
        EventAccumulator,
    )
    from tensorboard.backend.event_processing.event_accumulator import (
        SCALARS as SCALAR_KIND,
    )

    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(folder, filter="data")
        events = EventAccumulator(str(Path(folder) / RUN), size_guidance={SCALAR_KIND: 0,
                                                                          HISTOGRAMS: 0})
        events.Reload()
        scalars = pd.DataFrame([{"tag": tag, "step": event.step, "value": event.value}
                                for tag in events.Tags()[SCALAR_KIND]
                                for event in events.Scalars(tag)])
        histograms = pd.DataFrame([{"tag": tag, "step": event.step,
                                    "count": event.histogram_value.num,
                                    "min": event.histogram_value.min,
                                    "max": event.histogram_value.max}
                                   for tag in events.Tags()[HISTOGRAMS]
                                   for event in events.Histograms(tag)])
    return scalars, histograms


def to_script(config, epochs: int) -> str:
    """The lab's own script (core.lab.script) for config, logging each epoch with a
    SummaryWriter into runs/lab: the losses, the learning rate and every parameter's histogram
    and gradient histogram; it prints the losses it logs."""
    from core.lab import script as lab_script

    lab = lab_script.to_script(config, epochs, every=1)
    first = 'print("epoch 0: train loss {!r}, test loss {!r}".format(*losses()))'
    later = '        print("epoch {}: train loss {!r}, test loss {!r}".format(epoch, *losses()))'
    if first not in lab or later not in lab:
        raise ValueError("the lab's script no longer prints its losses as expected")
    return lab.replace("import torch\n", "import torch\nfrom torch.utils.tensorboard import "
                       "SummaryWriter\n", 1).replace(first, LOG + "log(0)").replace(
        later, "        log(epoch)")


LOG = f'''writer = SummaryWriter("runs/{RUN}")  # then: tensorboard --logdir runs


def log(epoch):
    train_loss, test_loss = losses()
    writer.add_scalar("loss/train", train_loss, epoch)
    writer.add_scalar("loss/test", test_loss, epoch)
    writer.add_scalar("learning_rate", optimizer.param_groups[0]["lr"], epoch)
    for name, param in model.named_parameters():
        writer.add_histogram(f"weights/{{name}}", param, epoch, bins={BINS})
        if param.grad is not None:
            writer.add_histogram(f"gradients/{{name}}", param.grad, epoch, bins={BINS})
    writer.flush()
    print("epoch {{}}: train loss {{!r}}, test loss {{!r}}".format(epoch, train_loss, test_loss))


'''
