"""Time the lesson "inside a training run", single-threaded as the app runs torch: writing a
200-epoch lab run's TensorBoard log (the target: under 1 s), what recording each epoch's weights
costs the training, each tab's view as the page computes it, and the hooks' collection of the
lab's per-layer statistics. Prints one line per figure.
Run: python -m bench.inside"""

import os

import torch

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


def main() -> None:
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, medians (ms); load "
          f"average {os.getloadavg()[0]:.1f}, float32 matmul {matmul_gflops():.0f} GFLOP/s "
          "(a quiet machine here: 88-109)")
    log_figures()
    view_figures()


if __name__ == "__main__":
    main()
