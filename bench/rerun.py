"""Server-side rerun time per page over the wire protocol (what a browser waits for, minus the
drawing): the default view and the heaviest allowed view, each timed twice: repeated as is
(the computation cached) and with a new seed each time (computed afresh).

The heaviest view of a page is its link with every integer control at 10**9, which core clamps
to the largest size its bounds allow; found at run time, so new pages are covered. A page that
runs only its open tab (lessons.TABS) is timed tab by tab.

Run: python -m bench.rerun [--repeats 20] [--pages explosion loss]
Targets (the README's): median under 30 ms for every view with its result cached, under 500 ms
for the heaviest computed afresh. (Issue 7 set 60 ms when a one-line app took 44 ms here, most
of it the 40 ms the server's sockets held each reply for; ui/sockets.py sends at once since.)"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from urllib.parse import urlencode

from bench.protocol import registered_pages, server
from harness.protocol import Session
from lessons import TABS

HUGE = 10**9
TARGET_MS = 30  # median, a view with its result cached


async def medians(session: Session, repeats: int) -> tuple[float, float, list[str]]:
    """(median ms as is, median ms with a new seed each rerun, exceptions seen)."""
    errors, same, fresh = [], [], []
    # the lesson's seed (each lesson keeps its own: explosion_seed, optim_course_seed, ...)
    seed = next((w for w in session.widgets.values() if w.key and w.key.endswith("seed")), None)
    for i in range(repeats):
        run = await session.rerun()
        same.append(run.ms)
        errors += run.exceptions
        if seed is not None:
            run = await session.rerun({seed.id: 1000 + i})
            fresh.append(run.ms)
            errors += run.exceptions
    return statistics.median(same), statistics.median(fresh) if fresh else float("nan"), errors


def heaviest_query(session: Session) -> str:
    """The link to the page's largest view: every integer control of the page at HUGE."""
    return urlencode({w.key: HUGE for w in (session.widgets[i] for i in session.main)
                      if w.kind == "number_input" and w.proto.data_type == w.proto.INT})


async def view(url: str, page: str, query: str, repeats: int) -> tuple[float, float, list]:
    try:
        async with Session(url) as session:
            await session.open(page, query=query)
            return await medians(session, repeats)
    except TimeoutError:  # a view that takes over a minute is a figure too
        return float("inf"), float("inf"), ["timed out: one run took over 60 s"]


def tab_queries(page: str) -> list[str]:
    """The links to each tab of a page that runs only its open tab ("" is its default view)."""
    return ["", *(f"{page}_tab={tab}" for tab in TABS.get(page, ())[1:])]


async def measure(url: str, pages: list[str], repeats: int) -> list[tuple]:
    rows = []
    for page in pages:
        for tab in tab_queries(page):
            async with Session(url) as session:
                await session.open(page, query=tab)
                heaviest = "&".join(q for q in (tab, heaviest_query(session)) if q)
            rows.append((page or "home", f"?{tab}" if tab else "default",
                         *await view(url, page, tab, repeats)))
            if heaviest != tab:
                rows.append((page, f"heaviest ?{heaviest}",
                             *await view(url, page, heaviest, repeats)))
    return rows


def main(argv: list[str] | None = None) -> list[tuple]:
    parser = argparse.ArgumentParser(prog="python -m bench.rerun", description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--pages", nargs="*", help="url paths ('' is home); default: all")
    parser.add_argument("--post-script-gc", choices=["true", "false"],
                        help="override runner.postScriptGC (default: .streamlit/config.toml)")
    args = parser.parse_args(argv)
    pages = registered_pages() if args.pages is None else args.pages
    app = server(args.post_script_gc)
    try:
        rows = asyncio.run(measure(app.url, pages, args.repeats))
    finally:
        app.stop()
    print(f"server rerun time over the protocol, median of {args.repeats} "
          f"(runner.postScriptGC {args.post_script_gc or 'as configured'}):")
    for page, view, same, fresh, errors in rows:
        print(f"  {page:12} {view[:70]:70} cached {same:6.0f} ms   new seed {fresh:6.0f} ms"
              + ("" if same < TARGET_MS else f"   (cached over {TARGET_MS} ms)")
              + (f"   {len(errors)} exceptions: {errors[0]}" if errors else ""))
    missed = sum(same >= TARGET_MS for _, _, same, _, _ in rows)
    print(f"target: cached median under {TARGET_MS} ms; met by {len(rows) - missed} of "
          f"{len(rows)} views")
    return rows


if __name__ == "__main__":
    main()
