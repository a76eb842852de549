"""Time the initialisation page's computations, single-threaded as the app runs them: the matrix
(every activation x every scheme through core.network), forward only as the page opens it and
with its backward, its draws kept and from a new depth (every re-initialisation drawn anew),
at the course's sizes and the largest the bounds and the matrix's budget allow; the chosen cell's
full run; the gains table; one histogram draw. Prints CPU milliseconds of the computing thread
(what one move costs the server) and the largest matrices' peak memory.
Run: python -m bench.init [--quick]
Target: no move above 300 ms of CPU at any size a student can set."""

import argparse
from dataclasses import replace

import torch

from bench.timing import cpu_ms, matmul_gflops, peak_growth_mb
from core import activations, init_lab, network
from core.settings import settings_of


def largest() -> list[init_lab.MatrixConfig]:
    """The largest matrices the bounds allow, each cut by the budgets."""
    default = init_lab.MatrixConfig()
    return [init_lab.validate_matrix(replace(default, depth=network.DEPTH.high, width=width,
                                             batch=batch))[0]
            for width, batch in ((256, network.BATCH.high), (512, network.BATCH.high),
                                 (network.WIDTH.high, 16))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.init", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    repeats = 2 if parser.parse_args(argv).quick else 5
    torch.set_num_threads(1)  # as the app runs torch (app.py), the matrix on one worker thread
    biggest = largest()
    grown = peak_growth_mb(lambda: [init_lab.matrix(big, backward=True) for big in biggest])
    default = init_lab.MatrixConfig()
    init_lab.matrix(default)  # warm torch up once
    cells = len(activations.ACTIVATIONS) * len(init_lab.SCHEMES)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread; CPU ms of one "
          f"computation, median of {repeats}")
    for name, config in {f"course's sizes ({cells} cells of 100 x 256, batch 16)": default,
                         **{f"largest allowed ({c.depth} x {c.width}, batch {c.batch})": c
                            for c in biggest}}.items():
        print(f"matrix, {name}:")
        for backward in (False, True):
            kept = cpu_ms(lambda c=config, b=backward: init_lab.matrix(c, b), repeats)
            new = cpu_ms(lambda c=config, b=backward: cold(c, b), max(2, repeats // 2))
            print(f"  {'with its backward' if backward else 'forward only     '}: draws kept "
                  f"{kept:.0f} ms, a new depth {new:.0f} ms")
    deeper = iter(replace(default, depth=100 + k) for k in range(1, 99))
    print(f"matrix forward, one layer deeper (the construction kept): "
          f"{cpu_ms(lambda: init_lab.matrix(next(deeper)), repeats):.0f} ms")
    work = cells * default.depth * 2 * default.batch * default.width ** 2
    gflops = matmul_gflops(default.width)
    print(f"floor of the course's forward matrix: {work / 1e9:.2f} GFLOP of matrix products at "
          f"this CPU's {gflops:.0f} GFLOP/s (1 thread) = {work / gflops / 1e6:.0f} ms, before "
          "any draw; its backward as much again")
    print(f"peak memory of the largest matrices with their backward: +{grown:.0f} MB at most")
    cell = init_lab.cell(default, "tanh", "xavier_gain")
    print(f"the chosen cell's full network.run (the course's tanh + Xavier-gain demo): "
          f"{cpu_ms(lambda: network.run(cell), repeats):.0f} ms")
    gains = init_lab.GainConfig(samples=settings_of(init_lab.GainConfig)["samples"].high)
    print(f"gains table, N = {gains.samples}: {cpu_ms(lambda: init_lab.gains(gains), 3):.0f} ms")
    fan = settings_of(init_lab.DrawConfig)["fan_in"].high
    for method in ("xavier_uniform", "orthogonal", "sparse", "dirac"):
        draw = init_lab.DrawConfig(replace(init_lab.DrawConfig().init, method=method),
                                   fan_in=fan, fan_out=fan)
        print(f"draw + histogram, {method}_ at fan {fan}: "
              f"{cpu_ms(lambda d=draw: init_lab.draw(d), 3):.0f} ms")


def cold(config: init_lab.MatrixConfig, backward: bool) -> None:
    """The matrix for a depth never asked before: every re-initialisation drawn anew (the
    construction, grown across depths, is kept as the page keeps it)."""
    network.STANDARD_DRAWS.clear()
    init_lab.matrix(config, backward)


if __name__ == "__main__":
    main()
