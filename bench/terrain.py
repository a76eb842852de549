"""Time the terrain lesson's computations, single-threaded as app.py runs them, on the lab's
default network (2 hidden layers of 8, 500 points, batch 10) trained 50 epochs, and on the
largest network the lesson can set (10 hidden layers of 32, the lab's 500 points); then the
lesson playing in chromium (redraws a second while the sharpness is tracked every epoch), alone
and with a pinned run A beside it.

Then the server's CPU for each move a student can make (bench.moves): a new run (its first
sharpness check from a random start), One epoch, Play's ticks, each tab, alone and with A pinned,
at the defaults and at the bounds (10 layers of 32, L1Loss whose Hessian power iteration found
hardest, mini-batches of 1, the finest slice, the most noise batches).

Run: python -m bench.terrain [--seconds 5] [--no-browser] [--no-server]
Targets (default network): a sharpness check < 50 ms, a 41 × 41 slice < 300 ms, the noise scale
< 50 ms; at least 10 redraws a second while playing; no move over 300 ms of CPU."""

from __future__ import annotations

import argparse
import dataclasses
import os

import torch

from bench.moves import Move, report, seeds
from bench.timing import median_ms, peak_growth_mb
from core.lab.model import LabConfig, validate
from core.lab.train import Trainer
from core.terrain import noise, sharpness, surface, weights
from core.terrain.run import Run

LARGEST = "terrain_depth=10&terrain_width=32"
HARDEST = LARGEST + "&terrain_loss=L1Loss&terrain_activation=sigmoid"  # the slowest first check
BATCH_1 = "&terrain_full_batch=false&terrain_batch=1"
SEEDS = seeds("terrain_seed")
MOVES = [
    Move("default (the edge of stability)", "terrain", vary=SEEDS, clicks=("terrain_step",)),
    Move("default, playing", "terrain", vary=SEEDS, clicks=("terrain_play",), ticks=5),
    Move("default, A and B playing", "terrain", vary=SEEDS,
         clicks=("terrain_pin_button", "terrain_play"), ticks=5),
    Move("largest network", "terrain", LARGEST, SEEDS, ("terrain_step",)),
    Move("largest, L1Loss, sigmoid", "terrain", HARDEST, SEEDS, ("terrain_step",)),
    Move("largest, L1Loss, sigmoid, batch 1", "terrain", HARDEST + BATCH_1, SEEDS,
         ("terrain_step",)),
    Move("the same, playing", "terrain", HARDEST + BATCH_1, SEEDS, ("terrain_play",), 5),
    Move("the same, A and B playing", "terrain", HARDEST + BATCH_1, SEEDS,
         ("terrain_pin_button", "terrain_play"), 5),
    Move("largest, L1Loss, slice 61 x 61", "terrain",
         HARDEST + "&terrain_tab=surface&terrain_surface_grid=61", SEEDS, ("terrain_step",)),
    Move("largest, L1Loss, slice along the path", "terrain",
         HARDEST + "&terrain_tab=surface&terrain_surface_directions=path", SEEDS,
         ("terrain_step",)),
    Move("largest, L1Loss, noise 1,000 batches of 1", "terrain",
         HARDEST + "&terrain_tab=noise&terrain_noise_batches=1000&terrain_noise_batch=1", SEEDS,
         ("terrain_step",)),
    Move("largest, L1Loss, weights", "terrain", HARDEST + "&terrain_tab=weights", SEEDS,
         ("terrain_step",)),
    Move("largest, L1Loss, noise, A and B", "terrain",
         HARDEST + "&terrain_tab=noise&terrain_noise_batches=1000", SEEDS,
         ("terrain_pin_button", "terrain_step")),
]


def computations(name: str, config: LabConfig, repeats: int) -> None:
    run = Run(validate(config)[0])
    run.train(epochs=50)
    print(f"{name} ({run.objective.size} weights, {len(run.trainer.x_train)} training points, "
          f"batch {run.config.batch}), at epoch {run.epoch}:")
    def cold() -> sharpness.Eigen:  # from the first check's random start
        with run.lock:
            return sharpness.top_eigenvalue(sharpness.hessian_product(run.objective), run.start,
                                            sharpness.COLD_ITERATIONS)

    print(f"  sharpness check, warm-started: {median_ms(run.check, repeats):.2f} ms median "
          f"({run.check().iterations} Hessian-vector products); from a random start "
          f"{median_ms(cold, max(3, repeats // 5)):.1f} ms ({cold().iterations} products)")
    plain = Trainer(run.config)
    plain.train(epochs=50)
    print(f"  one epoch: {median_ms(lambda: plain.train(epochs=1), repeats):.2f} ms as the lab "
          f"trains it, {median_ms(lambda: run.train(epochs=1), repeats):.2f} ms with its "
          "sharpness read after it")
    for directions in ("random", "path"):
        found = surface.run_slice(run, directions, 41, 1.0)
        print(f"  {found.grid} x {found.grid} slice, {directions} directions, with the line: "
              f"{median_ms(lambda d=directions: surface.run_slice(run, d, 41, 1.0), repeats):.0f}"
              " ms median")
    print(f"  noise scale (per-example gradients, 200 batches of 10): "
          f"{median_ms(lambda: noise.run_noise(run, 10, 200), repeats):.1f} ms median")
    picked = weights.Picked(1, 0, 0)
    print(f"  network drawing: {median_ms(lambda: weights.drawing(run), repeats):.1f} ms, "
          f"a weight opened: {median_ms(lambda: weights.open_weight(run, picked), repeats):.1f}"
          " ms median")


def memory() -> None:
    """Peak memory of the heaviest views on the largest network (run first, in a fresh
    process's terms: what they add on top of the imports)."""
    largest = dataclasses.replace(LabConfig(), widths=(32,) * 10, batch=400)
    run = Run(validate(largest)[0])
    run.train(epochs=3)
    growth = peak_growth_mb(lambda: (surface.run_slice(run, "random", 61, 1.0),
                                     noise.run_noise(run, 10, 1000)))
    print(f"largest network: slice (clamped to its flop budget) and noise with 1,000 batches "
          f"raise the peak memory by {growth:.0f} MB")


def playing(seconds: float) -> None:
    from bench.playing import alone_then_pinned

    alone_then_pinned("terrain", "the terrain lesson (sharpness tab)", "edge of stability",
                      seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.terrain", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-server", action="store_true", help="no moves over the protocol")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as app.py runs it
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    memory()
    computations("the lab's default network", LabConfig(), args.repeats)
    computations("the lesson's largest network", dataclasses.replace(
        LabConfig(), widths=(32,) * 10), max(3, args.repeats // 4))
    if not args.no_server:
        report("the terrain", MOVES)
    if not args.no_browser:
        playing(args.seconds)


if __name__ == "__main__":
    main()
