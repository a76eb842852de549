"""Time the training lab's computation, single-threaded as app.py runs it: optimiser steps per
second for the default network (2 hidden layers of 8, 500 points, batch 10: 40 steps an epoch,
each epoch also evaluating the train and test losses), and the time of one decision surface with
every neuron's picture (the plane's forward pass and the two SVG pictures); then epochs per second
with each normalisation (and BatchNorm at batch size 2, the small-batch card), and the time of the
table of what each layer changed (drawn on every paused rerun); then the server's CPU for each
move a student can make (bench.moves): a new run, One epoch, Play's ticks, alone and with A
pinned, at the defaults and at the bounds (2,000 points, batch 1 or 2, 10 layers of 32, every
feature, BatchNorm, dropout, Adam, L1 and L2).
Run: python -m bench.lab [--no-server]"""

import argparse
import dataclasses
import os
import time

import torch

from bench.moves import Move, report, seeds
from bench.timing import median_ms
from core.lab import pictures
from core.lab.model import NORMS, LabConfig, validate
from core.lab.train import Trainer

# The largest network the lab draws, on its largest data set with every input feature
WIDEST = "&".join(["lab_hidden_layers=10", *(f"lab_width_{i}=32" for i in range(1, 11)),
                   "lab_points=2000", "lab_test_percent=10",
                   *(f"lab_feature_{name}=true" for name in ("x1sq", "x2sq", "x1x2", "sinx1",
                                                             "sinx2"))])
# and the costliest step on it: BatchNorm's smallest batch, dropout, Adam, both penalties
HEAVIEST = (WIDEST + "&lab_norm=BatchNorm1d&lab_batch=2&lab_dropout=0.5&lab_optimizer=Adam"
            "&lab_l1=0.001&lab_l2=0.001")
SEEDS = seeds("lab_seed")
MOVES = [
    Move("default", "lab", vary=SEEDS, clicks=("lab_step",)),
    Move("default, playing", "lab", vary=SEEDS, clicks=("lab_play_button",), ticks=5),
    Move("default, A and B playing", "lab", vary=SEEDS,
         clicks=("lab_pin_button", "lab_play_button"), ticks=5),
    Move("2,000 points, batch 1", "lab", "lab_points=2000&lab_test_percent=10&lab_batch=1",
         SEEDS, ("lab_step",)),
    Move("largest network, batch 1", "lab", WIDEST + "&lab_batch=1", SEEDS, ("lab_step",)),
    Move("largest, BatchNorm at batch 2, dropout, Adam, L1, L2", "lab", HEAVIEST, SEEDS,
         ("lab_step",)),
    Move("the same, playing", "lab", HEAVIEST, SEEDS, ("lab_play_button",), 5),
    Move("the same, A and B playing", "lab", HEAVIEST, SEEDS,
         ("lab_pin_button", "lab_play_button"), 5),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lab", description=__doc__)
    parser.add_argument("--no-server", action="store_true", help="the computations only")
    args = parser.parse_args(argv)
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
    if not args.no_server:
        report("the lab", MOVES)


def epochs_per_second(**settings) -> float:
    trainer = Trainer(validate(dataclasses.replace(LabConfig(), **settings))[0])
    trainer.train(epochs=2)  # warm up
    start = time.perf_counter()
    trainer.train(epochs=10)
    return 10 / (time.perf_counter() - start)


if __name__ == "__main__":
    main()
