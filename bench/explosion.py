"""Time the explosion page's computation (draws, forward, backward, statistics): the default view
and the largest run the bounds allow. Prints medians, and the largest run's peak memory.
Run: python -m bench.explosion"""

from dataclasses import replace

import torch

from bench.timing import median_ms, peak_growth_mb
from core import network


def main() -> None:
    default = network.NetConfig()
    largest, _ = network.validate(replace(default, depth=network.DEPTH.high, width=512,
                                          batch=network.BATCH.high))
    torch.set_num_threads(1)  # as app.py runs it

    def cold(config):
        network._after_construction.cache_clear()
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


if __name__ == "__main__":
    main()
