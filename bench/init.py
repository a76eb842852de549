"""Time the initialisation page's computations: the matrix (every activation x every scheme through
core.network) at the default sizes and the largest allowed, one cell's full run, the gains table and
one histogram draw. Prints medians. Run: python -m bench.init"""

import os
from dataclasses import replace

import torch

from bench.timing import matmul_gflops, median_ms, peak_growth_mb
from core import activations, init_lab, network


def main() -> None:
    torch.set_num_threads(1)  # as the app runs torch (app.py); the matrix uses every core itself
    default = init_lab.MatrixConfig()
    # the largest allowed: every size at its maximum, the matrix's budget then cuts the depth
    largest = [init_lab.validate_matrix(replace(default, depth=network.DEPTH.high, width=width,
                                                batch=batch))[0]
               for width, batch in ((256, network.BATCH.high), (512, network.BATCH.high),
                                    (network.WIDTH.high, 1))]
    # first, before anything else raised the peak: all three, so a bound for each
    grown = peak_growth_mb(lambda: [init_lab.matrix(big) for big in largest])
    init_lab.matrix(default)  # warm torch up once
    cells = len(activations.ACTIVATIONS) * len(init_lab.SCHEMES)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"matrix, default ({cells} cells of 100 x 256, batch 16): "
          f"{median_ms(lambda: init_lab.matrix(default), 7):.0f} ms median")
    for big in largest:
        size = f"{big.depth} x {big.width}, batch {big.batch}"
        print(f"matrix, largest allowed ({size}): "
              f"{median_ms(lambda b=big: init_lab.matrix(b), 3):.0f} ms median")
    work = cells * 2 * default.depth * 2 * default.batch * default.width ** 2
    gflops = matmul_gflops(default.width)
    print(f"floor of the default matrix: {work / 1e9:.2f} GFLOP of matrix products (every cell "
          f"forward and its pre-activations' gradient backward) at this CPU's {gflops:.0f} "
          f"GFLOP/s (1 thread) = {work / gflops / 1e6:.0f} ms on one core, "
          f"{work / gflops / 1e6 / os.cpu_count():.0f} ms on this machine's {os.cpu_count()} "
          "(the matrix runs its groups on every core), before any draw")
    print(f"peak memory of the largest matrices: +{grown:.0f} MB at most each")
    cell = init_lab.cell(default, "tanh", "xavier_gain")
    print(f"one cell's full network.run (per-layer curves): "
          f"{median_ms(lambda: network.run(cell), 7):.0f} ms median")
    gains = init_lab.GainConfig(samples=init_lab.SAMPLES.high)
    print(f"gains table, N = {gains.samples}: "
          f"{median_ms(lambda: init_lab.gains(gains), 5):.0f} ms median")
    for method in ("xavier_uniform", "orthogonal", "sparse"):
        draw = init_lab.DrawConfig(replace(init_lab.DrawConfig().init, method=method),
                                   fan_in=init_lab.FAN.high, fan_out=init_lab.FAN.high)
        print(f"draw + histogram, {method}_ 1024 x 1024: "
              f"{median_ms(lambda d=draw: init_lab.draw(d), 3):.0f} ms median")


if __name__ == "__main__":
    main()
