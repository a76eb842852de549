"""Time the explosion page's computation (draws, forward, backward, statistics): the default view
and the largest run the bounds allow. Prints medians, and the largest run's peak memory.
Run: python -m bench.explosion"""

from dataclasses import replace

import torch

from bench.timing import matmul_gflops, median_ms, normal_draws_per_s, peak_growth_mb
from core import network


def main() -> None:
    default = network.NetConfig()
    largest, _ = network.validate(replace(default, depth=network.DEPTH.high, width=512,
                                          batch=network.BATCH.high))
    torch.set_num_threads(1)  # as app.py runs it

    def cold(config):
        network.CONSTRUCTION_STATES.clear()
        network.STANDARD_DRAWS.clear()
        network.run(config)

    grown = peak_growth_mb(lambda: cold(largest))  # first, before anything else raised the peak
    network.run(default)  # warm torch up once
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"default (100 x 256, batch 16), construction draws cached: "
          f"{median_ms(lambda: network.run(default), 21):.1f} ms median")
    print(f"default, from a new seed (all 13.1M draws):          "
          f"{median_ms(lambda: cold(default), 11):.1f} ms median")
    moved = [replace(default, init=replace(default.init, std=0.01 * k)) for k in range(1, 22)]
    moves = iter(moved)
    print(f"default, a std never asked before (standard draw kept):  "
          f"{median_ms(lambda: network.run(next(moves)), 21):.1f} ms median")
    size = f"{largest.depth} x {largest.width}, batch {largest.batch}"
    print(f"largest allowed ({size}), cached:  "
          f"{median_ms(lambda: network.run(largest), 5):.1f} ms median")
    print(f"largest allowed ({size}), new seed: "
          f"{median_ms(lambda: cold(largest), 5):.1f} ms median, peak memory +{grown:.0f} MB")
    floors(default)


def floors(config: network.NetConfig) -> None:
    """What this CPU cannot go below for the default view: its matrix products (forward, then the
    input's and the weight's gradient backward) at the measured matmul rate, and a new seed's
    draws (construction's uniform, the re-initialisation's normal) at the measured normal_ rate."""
    gflops, draws_per_s = matmul_gflops(config.width), normal_draws_per_s()
    work = 3 * config.depth * 2 * config.batch * config.width ** 2
    draws = 2 * config.depth * config.width ** 2
    print(f"floor: {work / 1e9:.2f} GFLOP of matrix products at this CPU's {gflops:.0f} GFLOP/s "
          f"({config.width}x{config.width} matmul, 1 thread) = {work / gflops / 1e6:.1f} ms; "
          f"a new seed's {draws / 1e6:.1f}M draws at {draws_per_s / 1e6:.0f}M normal_ draws/s "
          f"= {draws / draws_per_s * 1000:.0f} ms more")


if __name__ == "__main__":
    main()
