"""The timing and memory helpers the computation benchmarks share."""

import resource
import statistics
import time


def median_ms(run, repeats: int) -> float:
    """Median wall time of run() over repeats calls, in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def peak_growth_mb(run) -> float:
    """How far run() raises the process's peak resident memory, in MB. Measured before anything
    else runs, it bounds what run() needs on top of the imports (issue 7: about 256 MB at most)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
