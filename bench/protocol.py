"""What the benchmarks share: the pages app.py registers, a server (or a class behind nginx) on a
free port, a process's memory, and percentiles. The wire-protocol client is harness.protocol."""

from __future__ import annotations

from pathlib import Path

from harness.pages import app_pages
from harness.server import Server


def registered_pages() -> list[str]:
    """The url paths of the pages app.py registers ("" for home), in its order."""
    return [page.url_path for page in app_pages()]


def lesson_pages() -> list[str]:
    return [path for path in registered_pages() if path]


def server(post_script_gc: str | None = None, processes: int = 0):
    """`streamlit run app.py` for a benchmark: as in class, plus no file watcher (an edited
    source must not reload modules mid-run), and runner.postScriptGC overridden if given.
    processes > 0: that many behind nginx (classroom.Classroom). Either has url, pids, stop()."""
    options = ["--server.fileWatcherType", "none"]
    if post_script_gc:
        options += ["--runner.postScriptGC", post_script_gc]
    if processes:
        from classroom.serve import Classroom
        from harness.server import free_port
        return Classroom(processes, free_port(), *options)
    return Server(*options)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered \
        else float("nan")


def summary(ms: list[float]) -> str:
    return (f"n={len(ms)} p50={percentile(ms, 50):.0f} ms p95={percentile(ms, 95):.0f} ms "
            f"max={max(ms, default=float('nan')):.0f} ms")

