"""Every benchmark, one after the other, each printing its figures: each lesson's own computation
(bench/<page>.py, where it exists), server rerun time per page, interaction latency in chromium,
the training lab's redraws while it plays, cold start, and a classroom of sessions. Each starts
and stops its own server on a free port.

Run: python -m bench            (the full run, several minutes; the README's figures)
     python -m bench --quick    (tiny settings, no per-lesson benches: proves the rest works)"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench import cold_start, latency, load, playing, rerun
from bench.protocol import lesson_pages

QUICK = {rerun: ["--repeats", "3"], latency: ["--moves", "5"], playing: ["--seconds", "2"],
         cold_start: ["--runs", "1"],
         load: ["--sessions", "5", "--seconds", "10", "--settle", "3"]}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny settings, a smoke run")
    args = parser.parse_args()
    here = Path(__file__).parent
    for page in lesson_pages():
        if (here / f"{page}.py").exists() and not args.quick:  # they have no quick setting
            print(f"== bench.{page}", flush=True)
            subprocess.run([sys.executable, "-m", f"bench.{page}"], check=False, timeout=600)
    for bench in (rerun, latency, playing, cold_start, load):
        print(f"== {bench.__name__}", flush=True)
        start = time.monotonic()
        bench.main(QUICK[bench] if args.quick else [])
        print(f"   ({time.monotonic() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
