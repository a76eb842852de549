"""A classroom: N sessions over the wire protocol, each on one of the lessons (in turn), each
moving a control every couple of seconds for a bounded time. On each lesson a teacher moves the
page's first control; at each move a student sets the teacher's current value with probability
--follow (the class follows the lecture), or else nudges a control of its own (explores).
Prints rerun p50/p95/max, errors, and the servers' memory (summed over the app's processes): at
start, after warm-up, during the run, at the end, and after every session has closed.

One process (the default), or --processes N: N Streamlit processes behind nginx, as
`python -m classroom` serves a class (needs Debian's nginx).

Run: python -m bench.load [--sessions 100] [--seconds 60] [--follow 0.8] [--processes N]
Targets: 30 sessions on one process p95 under 300 ms; 100 behind nginx p95 under 500 ms; no
errors; memory back near its start after the sessions close."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time

from bench.protocol import lesson_pages, rss_mb, server, summary
from harness.protocol import Session


async def student(url: str, page: str, seconds: float, interval: float, seed: int,
                  follow: float, lecture: dict[str, object], times: dict[str, list[float]],
                  errors: list[str], teacher: bool = False) -> None:
    """One session: open page, then every interval (jittered) move a control, until time is up.
    The teacher nudges the page's first control and writes its value into lecture[page]; a
    student sets that value with probability follow, else nudges a control of its own.
    Bounded: at most seconds / interval + 1 reruns, each given at most 30 s."""
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    await asyncio.sleep(rng.uniform(0, interval))  # students do not all click at once
    try:
        async with Session(url) as session:
            await session.open(page)
            for _ in range(int(seconds / interval) + 1):
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(rng.uniform(0.5, 1.5) * interval)
                control = session.first_control()
                if teacher and control:
                    lecture[page] = control.nudged(rng)
                    run = await session.rerun({control.id: lecture[page]}, timeout=30)
                elif control and page in lecture and rng.random() < follow:
                    run = await session.rerun({control.id: lecture[page]}, timeout=30)
                else:
                    run = await session.change(rng, timeout=30)
                times.setdefault(page, []).append(run.ms)
                if run.exceptions or run.status != "FINISHED_SUCCESSFULLY":
                    errors.append(f"{page}: {run.status} {run.exceptions}")
    except Exception as error:  # every failure is a figure to report
        errors.append(f"{page}: {type(error).__name__}: {error}")


def memory(pids: list[int]) -> float:
    return sum(rss_mb(pid) for pid in pids)


async def sample_memory(pids: list[int], samples: list[float], stop: asyncio.Event) -> None:
    """The servers' summed RSS once a second until stop."""
    while not stop.is_set():
        samples.append(memory(pids))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1)


async def classroom(url: str, pids: list[int], sessions: int, seconds: float, interval: float,
                    follow: float, pages: list[str]) -> dict:
    times: dict[str, list[float]] = {}  # rerun ms by page
    errors: list[str] = []
    samples: list[float] = []
    lecture: dict[str, object] = {}  # page -> the value the teacher set last
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pids, samples, stop))
    start = time.monotonic()
    # sessions 0 .. len(pages) - 1 are the teachers, one on each lesson
    await asyncio.wait_for(
        asyncio.gather(*(student(url, pages[i % len(pages)], seconds, interval, i, follow,
                                 lecture, times, errors, teacher=i < len(pages))
                         for i in range(sessions))),
        timeout=seconds + 120)
    elapsed = time.monotonic() - start
    stop.set()
    await sampler
    return {"times": times, "errors": errors, "samples": samples, "elapsed": elapsed}


async def warm_up(url: str, pages: list[str]) -> None:
    for page in pages:  # import torch, fill the caches of each page's default view once
        async with Session(url) as session:
            await session.open(page)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between changes")
    parser.add_argument("--follow", type=float, default=0.8,
                        help="probability that a move sets the teacher's value")
    parser.add_argument("--pages", nargs="*", help="url paths; default: every lesson")
    parser.add_argument("--processes", type=int, default=0,
                        help="serve through nginx with this many processes (0: one, no proxy)")
    parser.add_argument("--post-script-gc", choices=["true", "false"],
                        help="override runner.postScriptGC (default: .streamlit/config.toml)")
    parser.add_argument("--settle", type=float, default=10,
                        help="seconds to wait after sessions close before the last reading")
    args = parser.parse_args(argv)
    pages = args.pages or lesson_pages()
    app = server(args.post_script_gc, processes=args.processes)
    try:
        at_start = memory(app.pids)
        for _ in app.pids:  # nginx spreads new sessions: warm every process (likely) once
            asyncio.run(warm_up(app.url, pages))
        warm = memory(app.pids)
        figures = asyncio.run(classroom(app.url, app.pids, args.sessions, args.seconds,
                                        args.interval, args.follow, pages))
        at_end = memory(app.pids)
        time.sleep(args.settle)  # sessions closed: let the server drop them
        closed = memory(app.pids)
    finally:
        app.stop()
    by_page, errors, samples = figures["times"], figures["errors"], figures["samples"]
    times = [ms for page in by_page.values() for ms in page]
    gc = args.post_script_gc or "as configured"
    served = f"{args.processes} processes behind nginx" if args.processes else "one process"
    print(f"load: {args.sessions} sessions on {', '.join(pages)}, one move every "
          f"~{args.interval:g} s each, follow {args.follow:g}, {args.seconds:g} s, {served}, "
          f"runner.postScriptGC {gc}")
    print(f"  reruns: {summary(times)}, {len(times) / figures['elapsed']:.1f} reruns/s")
    for page, page_times in sorted(by_page.items()):
        print(f"    {page:10} {summary(page_times)}")
    print(f"  errors: {len(errors)}" + "".join(f"\n    {e[:300]}" for e in errors[:10]))
    print(f"  server RSS: start {at_start:.0f} MB, warm {warm:.0f} MB, peak {max(samples):.0f} MB,"
          f" end {at_end:.0f} MB, {args.settle:g} s after sessions closed {closed:.0f} MB")
    step = max(1, len(samples) // 10)
    print(f"  server RSS during the run, every {step} s: "
          + " ".join(f"{mb:.0f}" for mb in samples[::step]) + " MB")
    return {"times": times, "errors": errors, "rss": (at_start, warm, max(samples), at_end, closed)}


if __name__ == "__main__":
    main()
