"""The server's CPU per move a student can make, over the browser's wire protocol: a move is a
link opened (every control set at once: the settings a student can reach, each at its bound),
then buttons clicked and the ticks of a playing view's timer. Each is timed as the CPU the
server process spent on it (/proc's user and system time of every thread, the ones that ended
included), so other work on the machine hardly changes it: it is what one student's move takes
from a class's cores. The lesson benchmarks (bench.lab, bench.inside, bench.terrain) list their
moves and print the worst.

A move is repeated with a new seed each time (or another variant of its link), so nothing is
served from a cache; the median is printed."""

from __future__ import annotations

import asyncio
import os
import statistics
from dataclasses import dataclass

from bench.protocol import server
from harness.protocol import Session

BUDGET_MS = 300  # issue 27: no move costs more than this of one core
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid: int) -> float:
    """The CPU time a process has used so far, every thread's, in ms (10 ms resolution)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICKS


@dataclass(frozen=True)
class Move:
    """A link opened (page, query and one of vary, a repeat each), then its clicks one after
    another (a button clicked, a toggle switched on; by key), then ticks reruns of the fragment
    the page left on a timer (a run playing)."""

    name: str
    page: str
    query: str = ""
    vary: tuple[str, ...] = ()
    clicks: tuple[str, ...] = ()
    ticks: int = 0


def seeds(param: str, count: int = 5) -> tuple[str, ...]:
    """A Move's vary: a new seed each repeat."""
    return tuple(f"{param}={1000 + i}" for i in range(count))


async def steps_of(url: str, pid: int, move: Move, repeat: int) -> list[tuple[str, float]]:
    """Each step of one repeat of move and the server's CPU on it (ms)."""
    varied = move.vary[repeat % len(move.vary)] if move.vary else ""
    query = "&".join(q for q in (move.query, varied) if q)
    found = []
    async with Session(url) as session:
        async def timed(name: str, action) -> None:
            before = cpu_ms(pid)
            run = await action
            if run.exceptions:
                raise RuntimeError(f"{move.name}, {name}: {run.exceptions[0]}")
            found.append((name, cpu_ms(pid) - before))

        await timed("opened", session.open(move.page, query=query))
        for key in move.clicks:
            await timed(f"click {key}", switch(session, key))
        for _ in range(move.ticks):
            if not session.timers:
                break
            await timed("tick", session.tick(next(iter(session.timers))))
    return found


def switch(session: Session, key: str):
    """Click the button with this key, or switch on the toggle (a checkbox) with it."""
    if key in session.buttons:
        return session.click(key)
    toggle = next(w for w in session.widgets.values() if w.key == key)
    return session.move(toggle, True)


async def measured(url: str, pid: int, moves: list[Move], repeats: int) -> list[tuple]:
    """(move, step, median ms, largest ms) for every step of every move; the ticks of all
    repeats as one step."""
    for page in dict.fromkeys(move.page for move in moves):  # imports and first draws: not a move
        async with Session(url) as session:
            await session.open(page)
    rows = []
    for move in moves:
        runs = [await steps_of(url, pid, move, repeat) for repeat in range(repeats)]
        steps = [name for name, _ in runs[0] if name != "tick"]
        for i, name in enumerate(steps):
            values = [run[i][1] for run in runs]
            rows.append((move.name, name, statistics.median(values), max(values)))
        ticks = [ms for run in runs for name, ms in run if name == "tick"]
        if ticks:
            rows.append((move.name, f"{len(ticks)} ticks", statistics.median(ticks), max(ticks)))
    return rows


def report(lesson: str, moves: list[Move], repeats: int = 3) -> list[tuple]:
    """Start a server, measure every move, print each step's median and largest CPU and the
    worst; return the rows (move, step, median ms, max ms)."""
    app = server()
    try:
        rows = asyncio.run(measured(app.url, app.pids[0], moves, repeats))
    finally:
        app.stop()
    print(f"{lesson}: the server's CPU per move over the protocol (median and largest of "
          f"{repeats}, each with a new seed; load average {os.getloadavg()[0]:.1f}):")
    for move, step, median, most in rows:
        print(f"  {move[:52]:52} {step[:22]:22} {median:6.0f} ms  (max {most:.0f})")
    worst = max(rows, key=lambda row: row[2])
    print(f"  worst: {worst[0]}, {worst[1]}: {worst[2]:.0f} ms median "
          f"(budget {BUDGET_MS} ms)")
    return rows
