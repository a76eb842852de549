"""Time the explosion page's computations (draws, forward and backward in float32, the float64 run
where float32 overflows, statistics), single-threaded as the app runs them: the course's demo,
its BatchNorm demo with the three initialisations beside it, and the largest run the bounds and
the work budget allow, each with its draws kept and from a new seed. Prints CPU milliseconds of
the thread that computes (what one move costs the server) and the largest run's peak memory.
Run: python -m bench.explosion [--quick]
Target: no move above 300 ms of CPU at any size a student can set."""

import argparse
from dataclasses import replace

import torch

from bench.timing import cpu_ms, matmul_gflops, normal_draws_per_s, peak_growth_mb
from core import network


def largest() -> list[network.NetConfig]:
    """The largest runs the bounds allow, each cut by the budgets: every width's largest batch."""
    default = network.NetConfig()
    return [network.validate(replace(default, depth=network.DEPTH.high, width=width,
                                      batch=network.BATCH.high))[0]
            for width in (256, 512, network.WIDTH.high)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.explosion", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    repeats = 3 if parser.parse_args(argv).quick else 9
    torch.set_num_threads(1)  # as app.py runs it
    biggest = largest()
    grown = peak_growth_mb(lambda: [cold(config) for config in biggest])  # first: its own peak
    network.run(network.NetConfig())  # warm torch up once
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread; CPU ms of one move, "
          f"median of {repeats}")
    views = {"course demo (100 x 256, batch 16, std = 1)": network.NetConfig(),
             "std = sqrt(1/n), stays finite (no float64 run)": replace(
                 network.NetConfig(), init=replace(network.NetConfig().init, std=1 / 16)),
             "BatchNorm demo (seed 1, ReLU)": network.BATCHNORM_COURSE}
    for config in biggest:
        views[f"largest allowed: {config.depth} x {config.width}, batch {config.batch}"] = config
    for name, config in views.items():
        kept = cpu_ms(lambda c=config: network.run(c), repeats)
        new = cpu_ms(lambda c=config: cold(c), max(2, repeats // 3))
        print(f"  {name}: draws kept {kept:.0f} ms, new seed {new:.0f} ms")
    course = network.BATCHNORM_COURSE
    print(f"  BatchNorm's three initialisations (forward only): "
          f"{cpu_ms(lambda: network.batchnorm_inits(course), repeats):.0f} ms")
    moved = iter(replace(network.NetConfig(), init=replace(network.NetConfig().init,
                                                           std=0.01 * k)) for k in range(1, 99))
    print(f"  a std never asked before (its standard draw kept): "
          f"{cpu_ms(lambda: network.run(next(moved)), repeats):.0f} ms")
    deeper = iter(replace(network.NetConfig(), depth=100 + k) for k in range(1, 99))
    print(f"  one layer deeper (the construction kept, the re-initialisation new): "
          f"{cpu_ms(lambda: network.run(next(deeper)), repeats):.0f} ms")
    print(f"  peak memory of the largest runs: +{grown:.0f} MB")
    floors(network.NetConfig())


def cold(config: network.NetConfig) -> None:
    network.clear_draws()
    network.run(config)


def floors(config: network.NetConfig) -> None:
    """What this CPU cannot go below for the default view: its matrix products (forward, then the
    input's and the weight's gradient backward) at the measured matmul rate, and a new seed's
    draws (construction's uniform, the re-initialisation's normal) at the measured normal_ rate."""
    gflops, draws_per_s = matmul_gflops(config.width), normal_draws_per_s()
    work = 3 * config.depth * 2 * config.batch * config.width ** 2
    draws = 2 * config.depth * config.width ** 2
    print(f"floor: {work / 1e9:.2f} GFLOP of float32 matrix products at this CPU's {gflops:.0f} "
          f"GFLOP/s ({config.width}x{config.width} matmul, 1 thread) = "
          f"{work / gflops / 1e6:.1f} ms (the float64 run: about twice that again); a new "
          f"seed's {draws / 1e6:.1f}M draws at {draws_per_s / 1e6:.0f}M normal_ draws/s = "
          f"{draws / draws_per_s * 1000:.0f} ms more")


if __name__ == "__main__":
    main()
