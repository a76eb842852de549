"""A classroom on one server: N sessions over the wire protocol, each on one of the lessons (in
turn), each nudging one of its page's controls every couple of seconds for a bounded time.
Prints rerun p50/p95/max, errors, and the server's memory: at start, after warm-up, during the
run, at the end, and after every session has closed.

Run: python -m bench.load [--sessions 100] [--seconds 60] [--post-script-gc false]
Targets (issue 7): 100 sessions, p95 under 500 ms, zero errors, memory back near its start."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time

from bench.protocol import Session, lesson_pages, rss_mb, server, summary


async def student(url: str, page: str, seconds: float, interval: float, seed: int,
                  times: dict[str, list[float]], errors: list[str]) -> None:
    """One session: open page, then every interval (jittered) change a control, until time is up.
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
                run = await session.change(rng, timeout=30)
                times.setdefault(page, []).append(run.ms)
                if run.exceptions or run.status != "FINISHED_SUCCESSFULLY":
                    errors.append(f"{page}: {run.status} {run.exceptions}")
    except Exception as error:  # every failure is a figure to report
        errors.append(f"{page}: {type(error).__name__}: {error}")


async def sample_memory(pid: int, samples: list[float], stop: asyncio.Event) -> None:
    """The server's RSS once a second until stop."""
    while not stop.is_set():
        samples.append(rss_mb(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1)


async def classroom(url: str, pid: int, sessions: int, seconds: float, interval: float,
                    pages: list[str]) -> dict:
    times: dict[str, list[float]] = {}  # rerun ms by page
    errors: list[str] = []
    samples: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pid, samples, stop))
    start = time.monotonic()
    await asyncio.wait_for(
        asyncio.gather(*(student(url, pages[i % len(pages)], seconds, interval, i, times, errors)
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
    parser.add_argument("--post-script-gc", choices=["true", "false"],
                        help="override runner.postScriptGC (default: .streamlit/config.toml)")
    parser.add_argument("--settle", type=float, default=10,
                        help="seconds to wait after sessions close before the last reading")
    args = parser.parse_args(argv)
    pages = lesson_pages()
    app = server(args.post_script_gc)
    try:
        pid = app.process.pid
        at_start = rss_mb(pid)
        asyncio.run(warm_up(app.url, pages))
        warm = rss_mb(pid)
        figures = asyncio.run(classroom(app.url, pid, args.sessions, args.seconds,
                                        args.interval, pages))
        at_end = rss_mb(pid)
        time.sleep(args.settle)  # sessions closed: let the server drop them
        closed = rss_mb(pid)
    finally:
        app.stop()
    by_page, errors, samples = figures["times"], figures["errors"], figures["samples"]
    times = [ms for page in by_page.values() for ms in page]
    gc = args.post_script_gc or "as configured"
    print(f"load: {args.sessions} sessions on {', '.join(pages)}, one change every "
          f"~{args.interval:g} s each, {args.seconds:g} s, runner.postScriptGC {gc}")
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
