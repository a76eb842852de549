"""Time the lesson "inside a training run", single-threaded as the app runs torch: writing a
200-epoch lab run's TensorBoard log (the target: under 1 s), what recording each epoch's weights
costs the training, each tab's view as the page computes it, and the hooks' collection of the
lab's per-layer statistics. Prints one line per figure. Then the server's CPU for each move a
student can make on each tab (bench.moves), at the defaults and at the bounds.
Run: python -m bench.inside [--no-server]"""

import argparse
import os

import torch

from bench.moves import Move, report, seeds
from bench.timing import matmul_gflops, median_ms
from core.inside import freeze, hooks, runs
from core.lab import checkpoint, plug, tensorboard
from core.lab.model import LabConfig
from core.lab.train import Trainer

EPOCHS = 200


def log_figures() -> None:
    """The 200-epoch run trained once with a recorder; then its log written and archived."""
    run = Trainer(LabConfig())
    recorder = tensorboard.record(run)
    run.train(epochs=EPOCHS)
    recorder.remove()
    write = median_ms(lambda: tensorboard.archive(run, recorder), 5)
    print(f"TensorBoard log of a {EPOCHS}-epoch lab run ({len(recorder.epochs)} epochs of "
          f"histograms): written and archived in {write:.0f} ms (target 1,000)")
    read = median_ms(lambda: tensorboard.read_back(tensorboard.archive(run, recorder)), 3)
    print(f"  written, archived and read back with EventAccumulator: {read:.0f} ms")

    def train(recorded: bool) -> None:
        trainer = Trainer(LabConfig())
        kept = tensorboard.record(trainer) if recorded else None
        trainer.train(epochs=50)
        if kept is not None:
            kept.remove()

    plain, recorded = median_ms(lambda: train(False), 3), median_ms(lambda: train(True), 3)
    print(f"50 lab epochs: {plain:.0f} ms, with the recorder's hook {recorded:.0f} ms "
          f"(x{recorded / plain:.2f})")


def view_figures() -> None:
    resume = runs.COURSE_RESUME
    course = median_ms(lambda: checkpoint.resume(resume.run.lab(), resume.epochs, resume.stop,
                                                 resume.parts()), 5)
    print(f"stop and resume, the course's view (10 epochs, stop after 5): {course:.0f} ms")
    largest = runs.validate_resume(runs.ResumeConfig(epochs=runs.MAX_EPOCHS, stop=0))[0]
    widest = median_ms(lambda: checkpoint.resume(largest.run.lab(), largest.epochs, 0,
                                                 largest.parts()), 3)
    print(f"  at its bound ({largest.epochs} epochs, both runs whole): {widest:.0f} ms")
    log = runs.validate_log(runs.LogConfig(epochs=runs.MAX_EPOCHS))[0]
    tab = median_ms(lambda: tensorboard.read_back(tensorboard.run_log(
        Trainer(log.logged.lab()), log.epochs)), 3)
    print(f"TensorBoard tab at its bound ({log.epochs} epochs: train, write, read): {tab:.0f} ms")
    config = hooks.HookConfig()
    both = median_ms(lambda: (hooks.tensor_hooks(config), hooks.module_hooks(config)), 5)
    print(f"hooks tab: {both:.1f} ms")
    settings = freeze.FreezeConfig()
    moves = median_ms(lambda: (freeze.moves(settings), freeze.lr_zero_by_optimizer(settings),
                               freeze.batchnorm_modes(settings)), 3)
    print(f"freezing tab (4 ways, {len(plug.OPTIMIZERS)} optimisers, BatchNorm): {moves:.0f} ms")
    epochs = freeze.FreezeConfig().tune_epochs
    tune = median_ms(lambda: freeze.finetune(LabConfig(), "gauss", epochs), 3)
    print(f"finetuning, {epochs} epochs on each of two datasets and from scratch: {tune:.0f} ms")


RESUME = "inside_tab=resume&inside_epochs=200&inside_stop=0"
DATASETS = ("circle", "xor", "gauss", "spiral", "moons")
# the finetuning runs do not depend on the seed: each repeat another pair of datasets
PAIRS = tuple(f"inside_source={source}&inside_target={target}" for source in DATASETS
              for target in DATASETS if source != target)
MOVES = [
    Move("TensorBoard, default", "inside", vary=seeds("inside_logged_seed")),
    Move("TensorBoard, 200 epochs", "inside", "inside_epochs=200",
         seeds("inside_logged_seed")),
    Move("TensorBoard, 200 epochs, Adam", "inside",
         "inside_epochs=200&inside_logged_optimizer=Adam", seeds("inside_logged_seed")),
    Move("hooks, default", "inside", "inside_tab=hooks", seeds("inside_seed")),
    Move("resume, the course's", "inside", "inside_tab=resume", seeds("inside_run_seed")),
    *(Move(f"resume, 200 epochs, batch {batch}", "inside", f"{RESUME}&inside_run_batch={batch}",
           seeds("inside_run_seed")) for batch in (1, 10, 400)),
    Move("resume, 200 epochs, Adam, stop at 100", "inside",
         "inside_tab=resume&inside_epochs=200&inside_stop=100&inside_run_optimizer=Adam",
         seeds("inside_run_seed")),
    Move("freezing, default", "inside", "inside_tab=freeze", seeds("inside_seed")),
    Move("freezing, 500 steps", "inside", "inside_tab=freeze&inside_steps=500",
         seeds("inside_seed")),
    Move("finetuning, 16 epochs", "inside", "inside_tab=freeze&inside_tune_epochs=16", PAIRS),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inside", description=__doc__)
    parser.add_argument("--no-server", action="store_true", help="the computations only")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, medians (ms); load "
          f"average {os.getloadavg()[0]:.1f}, float32 matmul {matmul_gflops():.0f} GFLOP/s "
          "(a quiet machine here: 88-109)")
    log_figures()
    view_figures()
    if not args.no_server:
        report("inside a training run", MOVES)


if __name__ == "__main__":
    main()
