"""Time the optimiser page's sweep: the batched lr × momentum grid (default 40 × 40 cells, 200
steps, Rosenbrock) against the same grid run cell by cell with one torch.optim.SGD each; then
the largest allowed view (every size at its bound): each cached computation's time and the peak
memory it adds. Prints two lines. Run: python -m bench.optim"""

import resource
import time

import torch

from bench.timing import median_ms
from core import optim


def main() -> None:
    config = optim.SweepConfig()  # Rosenbrock from (-1.5, 2), 40 × 40, 200 steps
    optim.sweep_losses(config)  # warm up
    batched = median_ms(lambda: optim.sweep_losses(config), 21)
    cell_by_cell = median_ms(lambda: optim.sweep_reference(config), 1)
    cells = config.lr_count * config.momentum_count
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, Rosenbrock "
          f"{config.lr_count} x {config.momentum_count} cells x {config.steps} steps: "
          f"batched {batched:.1f} ms (median of 21), cell by cell torch.optim.SGD "
          f"{cell_by_cell / 1000:.1f} s ({cells} optimizers), ratio {cell_by_cell / batched:.0f}x")
    largest()


def largest() -> None:
    """Each of the page's cached computations with every size at its bound."""
    high = {"lr": optim.LrConfig(lr_count=optim.LR_COUNT.high, iterations=optim.ITERATIONS.high),
            "momentum": optim.MomentumConfig(points=optim.BETA_POINTS.high,
                                             iterations=optim.ITERATIONS.high),
            "path": optim.PathConfig(steps=optim.STEPS.high),
            "sweep": optim.SweepConfig(lr_count=optim.GRID.high, momentum_count=optim.GRID.high,
                                       steps=optim.SWEEP_STEPS.high)}
    jobs = {"lr": lambda: optim.run_lr(high["lr"]),
            "momentum": lambda: optim.run_momentum(high["momentum"]),
            **{f"path {spec.name}": lambda spec=spec: optim.run_path(high["path"], spec)
               for spec in high["path"].runs},
            "anatomy": lambda: optim.anatomy(high["path"], 1, optim.STEPS.high),
            "sweep": lambda: optim.run_sweep(high["sweep"])}
    figures = []
    for name, job in jobs.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        job()
        seconds = time.perf_counter() - start
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        figures.append(f"{name} {seconds:.2f} s +{grown:.0f} MB")
    print(f"largest allowed (iterations {optim.ITERATIONS.high}, steps {optim.STEPS.high}, sweep "
          f"{optim.GRID.high} x {optim.GRID.high} x {optim.SWEEP_STEPS.high}): "
          + ", ".join(figures))


if __name__ == "__main__":
    main()
