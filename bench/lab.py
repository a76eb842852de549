"""Time the training lab's computation, single-threaded as app.py runs it: optimiser steps per
second for the default network (2 hidden layers of 8, 500 points, batch 10: 40 steps an epoch,
each epoch also evaluating the train and test losses), and the time of one decision surface with
every neuron's picture (the plane's forward pass and the two SVG pictures); then epochs per second
with each normalisation (and BatchNorm at batch size 2, the small-batch card), and the time of the
table of what each layer changed (drawn on every paused rerun).
Run: python -m bench.lab"""

import dataclasses
import os
import time

import torch

from bench.timing import median_ms
from core.lab import pictures
from core.lab.model import NORMS, LabConfig, validate
from core.lab.train import Trainer


def main() -> None:
    torch.set_num_threads(1)  # as app.py runs it
    trainer = Trainer(validate(LabConfig())[0])
    trainer.train(epochs=5)  # warm up
    steps_per_epoch = -(-len(trainer.x_train) // trainer.config.batch)
    epochs = 50
    start, cpu_start = time.perf_counter(), time.process_time()
    trainer.train(epochs=epochs)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"default network ({trainer.config.widths}, {trainer.config.points} points, "
          f"batch {trainer.config.batch}): {epochs * steps_per_epoch / seconds:.0f} optimiser "
          f"steps/s including the per-epoch evaluation ({epochs / seconds:.0f} epochs/s); "
          f"{epochs * steps_per_epoch / cpu_seconds:.0f} per second of this process's CPU time "
          "(what a machine not shared with other work would reach)")

    def surface():
        prediction, neurons = trainer.plane()
        pictures.surface(trainer, prediction)
        pictures.network_svg(trainer, neurons, prediction)

    print(f"decision surface (plane forward pass): {median_ms(trainer.plane, 51):.2f} ms median")
    print(f"decision surface and neuron pictures drawn: {median_ms(surface, 51):.1f} ms median")
    for norm, batch in [(norm, 10) for norm in NORMS] + [("BatchNorm1d", 2), ("GroupNorm", 2)]:
        print(f"{norm}, batch {batch}: {epochs_per_second(norm=norm, batch=batch):.1f} epochs/s")
    frozen = Trainer(validate(LabConfig(norm="BatchNorm1d", frozen=(1,)))[0])
    frozen.train(epochs=2)
    print(f"table of what each layer changed (BatchNorm, layer 1 frozen): "
          f"{median_ms(frozen.layer_changes, 51):.2f} ms median")


def epochs_per_second(**settings) -> float:
    trainer = Trainer(validate(dataclasses.replace(LabConfig(), **settings))[0])
    trainer.train(epochs=2)  # warm up
    start = time.perf_counter()
    trainer.train(epochs=10)
    return 10 / (time.perf_counter() - start)


if __name__ == "__main__":
    main()
