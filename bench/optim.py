"""Time the optimiser page's computations single-threaded, as the app runs torch: the sweep's
batched lr × momentum grid (default 40 × 40 cells, 200 steps, Rosenbrock) against the same grid
run cell by cell with one torch.optim.SGD each; then the largest allowed view (every size at its
bound): each cached computation's CPU time and the peak memory it adds, every optimiser of the
registry included (its path, and its step-by-step table at the last step), and the heaviest of
them against the 300 ms a move may cost. Prints three lines. Run: python -m bench.optim"""

import resource
import time

import torch

from bench.timing import median_ms
from core.optim import anatomy, inside, learning_rate, momentum, paths, sweep
from core.optim.registry import OPTIMIZERS, Spec
from core.settings import settings_of

BUDGET_S = 0.3  # a move's CPU on one thread (issue 27): no student's move stalls the others


def high(config_type: type, path: str):
    """A setting's upper bound: the largest value a student can set."""
    return settings_of(config_type)[path].high


def main() -> None:
    torch.set_num_threads(1)
    config = sweep.SweepConfig()  # Rosenbrock from (-1.5, 2), 40 × 40, 200 steps
    sweep.sweep_losses(config)  # warm up
    batched = median_ms(lambda: sweep.sweep_losses(config), 21)
    cell_by_cell = median_ms(lambda: sweep.sweep_reference(config), 1)
    cells = config.lr_count * config.momentum_count
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, Rosenbrock "
          f"{config.lr_count} x {config.momentum_count} cells x {config.steps} steps: "
          f"batched {batched:.1f} ms (median of 21), cell by cell torch.optim.SGD "
          f"{cell_by_cell / 1000:.1f} s ({cells} optimizers), ratio {cell_by_cell / batched:.0f}x")
    largest()


def largest() -> None:
    """Each of the page's cached computations with every size at its bound, in CPU seconds."""
    steps = paths.STEPS.high

    def at_most(*runs: Spec) -> paths.PathConfig:
        """The landscape tab's Config with steps at their bound, as the page validates it (the
        runs' step budget may cut it)."""
        return paths.validate_path(paths.PathConfig(steps=steps, runs=runs))[0]

    # LBFGS's sizes at their bounds: the most inner iterations and evaluations a step may take
    most = {setting.name: int(setting.high) for setting in OPTIMIZERS["LBFGS"].settings
            if setting.name in ("max_iter", "max_eval", "history_size")}
    lbfgs = Spec.of("LBFGS", **most, tolerance_grad=0.0, tolerance_change=0.0)
    four = at_most(*paths.PathConfig().runs)
    jobs = {
        "lr": lambda: learning_rate.run_lr(learning_rate.LrConfig(
            lr_count=learning_rate.LR_COUNT.high, iterations=learning_rate.ITERATIONS.high,
            thresholds=True)),
        "momentum": lambda: momentum.run_momentum(momentum.MomentumConfig(
            points=high(momentum.MomentumConfig, "points"),
            iterations=high(momentum.MomentumConfig, "iterations"))),
        **{f"path {name}": lambda name=name: paths.run_path(
            at_most(Spec.of(name)), Spec.of(name)) for name in OPTIMIZERS},
        "path LBFGS at its bounds": lambda: paths.run_path(at_most(lbfgs), lbfgs),
        "four default runs": lambda: [paths.run_path(four, spec) for spec in four.runs],
        "anatomy": lambda: anatomy.anatomy(four, 1, four.steps),
        **{f"inside {name}": lambda name=name: inside.inside_step(
            at_most(Spec.of(name)), 1, at_most(Spec.of(name)).steps) for name in OPTIMIZERS},
        "inside LBFGS at its bounds": lambda: inside.inside_step(
            at_most(lbfgs), 1, at_most(lbfgs).steps),
        "course example": lambda: anatomy.course_anatomy(),
        "exercise": lambda: anatomy.exercise(1, high(anatomy.ExerciseConfig, "k")),
        **{name: lambda name=name: anatomy.elsewhere(name) for name in anatomy.ELSEWHERE_SCRIPTS},
        "sweep": lambda: sweep.run_sweep(sweep.SweepConfig(
            lr_count=sweep.GRID_SIZE.high, momentum_count=sweep.GRID_SIZE.high,
            steps=sweep.SWEEP_STEPS.high)),
    }
    figures = {}
    for name, job in jobs.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.process_time()
        job()
        seconds = time.process_time() - start
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        figures[name] = (seconds, grown)
    print(f"largest allowed (steps {steps}, sweep {sweep.GRID_SIZE.high} x "
          f"{sweep.GRID_SIZE.high} x {sweep.SWEEP_STEPS.high}), CPU s: "
          + ", ".join(f"{name} {s:.2f} s +{mb:.0f} MB" for name, (s, mb) in figures.items()))
    heaviest = max(figures, key=lambda name: figures[name][0])
    over = [name for name, (s, _) in figures.items() if s > BUDGET_S]
    print(f"heaviest single computation: {heaviest} {figures[heaviest][0]:.2f} s (budget "
          f"{BUDGET_S} s; over it: {', '.join(over) or 'none'}); the four default runs at "
          f"steps {steps} are cut to {four.steps} by the step budget")


if __name__ == "__main__":
    main()
