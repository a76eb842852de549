"""Time the optimiser page's sweep: the batched lr × momentum grid (default 40 × 40 cells, 200
steps, Rosenbrock) against the same grid run cell by cell with one torch.optim.SGD each; then
the largest allowed view (every size at its bound): each cached computation's time and the peak
memory it adds, every optimiser of the registry included (its path, and its step-by-step table
at the last step), and the heaviest of them. Prints three
lines. Run: python -m bench.optim"""

import resource
import time

import torch

from bench.timing import median_ms
from core.optim import anatomy, common, inside, learning_rate, momentum, paths, sweep
from core.optim.registry import OPTIMIZERS, Spec


def main() -> None:
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
    """Each of the page's cached computations with every size at its bound."""
    path = paths.PathConfig(steps=common.STEPS.high)
    jobs = {
        "lr": lambda: learning_rate.run_lr(learning_rate.LrConfig(
            lr_count=common.LR_COUNT.high, iterations=common.ITERATIONS.high, thresholds=True)),
        "momentum": lambda: momentum.run_momentum(momentum.MomentumConfig(
            points=common.BETA_POINTS.high, iterations=common.ITERATIONS.high)),
        **{f"path {name}": lambda name=name: paths.run_path(path, Spec.of(name))
           for name in OPTIMIZERS},
        "path LBFGS strong_wolfe": lambda: paths.run_path(path, Spec.of(
            "LBFGS", line_search_fn="strong_wolfe")),
        "anatomy": lambda: anatomy.anatomy(path, 1, common.STEPS.high),
        **{f"inside {name}": lambda name=name: inside.inside_step(
            paths.PathConfig(steps=common.STEPS.high, runs=(Spec.of(name),)), 1, common.STEPS.high)
           for name in OPTIMIZERS},
        "course example": lambda: anatomy.course_anatomy(),
        **{name: lambda name=name: anatomy.elsewhere(name) for name in anatomy.ELSEWHERE_SCRIPTS},
        "sweep": lambda: sweep.run_sweep(sweep.SweepConfig(
            lr_count=common.GRID.high, momentum_count=common.GRID.high,
            steps=common.SWEEP_STEPS.high)),
    }
    figures = {}
    for name, job in jobs.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        job()
        seconds = time.perf_counter() - start
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        figures[name] = (seconds, grown)
    print(f"largest allowed (iterations {common.ITERATIONS.high}, steps {common.STEPS.high}, sweep "
          f"{common.GRID.high} x {common.GRID.high} x {common.SWEEP_STEPS.high}): "
          + ", ".join(f"{name} {s:.2f} s +{mb:.0f} MB" for name, (s, mb) in figures.items()))
    heaviest = max(figures, key=lambda name: figures[name][0])
    four = sum(figures[f"path {spec.name}"][0] for spec in path.runs)
    print(f"heaviest single computation: {heaviest} {figures[heaviest][0]:.2f} s; the landscape "
          f"tab's default four runs at {common.STEPS.high} steps: {four:.2f} s")


if __name__ == "__main__":
    main()
