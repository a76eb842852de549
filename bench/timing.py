"""The timing and memory helpers the computation benchmarks share."""

import resource
import statistics
import time

import torch


def median_ms(run, repeats: int, clock=time.perf_counter) -> float:
    """Median time of run() over repeats calls, in milliseconds: wall time, or clock's
    (time.thread_time: this thread's CPU, which other processes on a busy machine do not
    lengthen)."""
    times = []
    for _ in range(repeats):
        start = clock()
        run()
        times.append((clock() - start) * 1000)
    return statistics.median(times)


def cpu_ms(run, repeats: int) -> float:
    """Median CPU time of the calling thread over repeats calls of run(), in milliseconds: what a
    single-threaded computation costs the server, whatever else the machine is doing."""
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        run()
        times.append((time.thread_time() - start) * 1000)
    return statistics.median(times)


def peak_growth_mb(run) -> float:
    """How far run() raises the process's peak resident memory, in MB. Measured before anything
    else runs, it bounds what run() needs on top of the imports (issue 7: about 256 MB at most)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def matmul_gflops(size: int = 256, repeats: int = 200) -> float:
    """This CPU's float32 matrix-multiply rate on the current thread count, in GFLOP/s: the floor
    under a computation that is matmuls is its floating-point work divided by this rate."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm up
    seconds = median_ms(lambda: [a @ b for _ in range(repeats)], 5) / 1000
    return 2 * size ** 3 * repeats / seconds / 1e9


def normal_draws_per_s(count: int = 1 << 20) -> float:
    """How many float32 standard normal numbers torch's normal_ draws a second on the current
    thread count: the floor under a computation that is mostly drawing weights."""
    out = torch.empty(count)
    out.normal_()  # warm up
    return count / (median_ms(out.normal_, 21) / 1000)
