"""Time the optimiser page's sweep: the batched lr × momentum grid (default 40 × 40 cells, 200
steps, Rosenbrock) against the same grid run cell by cell with one torch.optim.SGD each.
Prints one line. Run: python -m bench.optim"""

import statistics
import time

import torch

from core import optim


def main() -> None:
    config = optim.SweepConfig()  # Rosenbrock from (-1.5, 2), 40 × 40, 200 steps
    optim.sweep_losses(config)  # warm up
    times = []
    for _ in range(21):
        start = time.perf_counter()
        optim.sweep_losses(config)
        times.append((time.perf_counter() - start) * 1000)
    batched = statistics.median(times)
    start = time.perf_counter()
    optim.sweep_reference(config)
    cell_by_cell = (time.perf_counter() - start) * 1000
    cells = config.lr_count * config.momentum_count
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, Rosenbrock "
          f"{config.lr_count} x {config.momentum_count} cells x {config.steps} steps: "
          f"batched {batched:.1f} ms (median of 21), cell by cell torch.optim.SGD "
          f"{cell_by_cell / 1000:.1f} s ({cells} optimizers), ratio {cell_by_cell / batched:.0f}x")


if __name__ == "__main__":
    main()
