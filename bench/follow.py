"""A class that follows the teacher, over the wire protocol: a teacher and --students students,
each student's session keeping its fragments' timers as a browser does (so it follows). The
teacher moves every --interval seconds (the page's first control; every fourth move the next
lesson); a share of the students (--explore) explore instead, moving controls of their own.
Prints the time from each teacher move to every follower's screen showing it (the run that
drew it has ended), p50 / p95 / max, per follower and for the whole class, moves some follower
missed, errors, and the server's memory.

Served by one process (its in-memory class; the teacher starts it with the sidebar's button), or
--processes N behind nginx with Redis, as `python -m classroom` serves a class (the teacher opens
the teacher link). --classes K runs K classes back to back on the same server, each followed by
--settle seconds with no session (past server.disconnectedSessionTTL, 120 s, the sessions are
gone): the memory after each is the soak's figure (target: the last within 20 % of the first).

Run: python -m bench.follow [--students 30] [--seconds 60] [--explore 0.2] [--processes 2]
     python -m bench.follow --classes 3 --settle 150     (the soak)
Target: every follower within 1 s at p95, no errors."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.protocol import percentile, rss_mb, summary
from classroom.serve import APP_ENV, Classroom
from classroom.store import RedisStore
from harness.follow import keep_up, view_of
from harness.protocol import Session
from harness.server import Server, free_port
from harness.warm import warm
from lessons import LESSONS

OPTIONS = ("--server.fileWatcherType", "none")


@dataclass
class Move:
    start: float
    wanted: tuple
    reached: dict[int, float] = field(default_factory=dict)  # follower -> seconds


@dataclass
class Figures:
    moves: list[Move] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: float = 0.0  # the server's CPU seconds while the teacher moved


async def teacher_moves(teacher: Session, seconds: float, interval: float,
                        figures: Figures) -> None:
    """Every interval: nudge the page's first control, or (every fourth) open the next lesson."""
    rng = random.Random(0)
    until = time.monotonic() + seconds
    for number in range(int(seconds / interval)):
        await asyncio.sleep(max(0.0, interval - 0.05))
        if time.monotonic() >= until:
            break
        start = time.monotonic()
        control = teacher.first_control()
        if number % 4 == 3 or control is None:
            run = await teacher.open(LESSONS[(LESSONS.index(teacher.page) + 1) % len(LESSONS)]
                                     if teacher.page in LESSONS else LESSONS[0])
        else:
            run = await teacher.move(control, control.nudged(rng), timeout=30)
        note(figures, "teacher", run)
        figures.moves.append(Move(start, view_of(teacher)))


def note(figures: Figures, who: str, run) -> None:
    if run.exceptions or run.status not in ("FINISHED_SUCCESSFULLY",
                                            "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"):
        figures.errors.append(f"{who}: {run.status} {run.exceptions}")


async def explorer(session: Session, until: float, interval: float, seed: int,
                   figures: Figures) -> None:
    """A student exploring: a control of their own every interval (jittered)."""
    rng = random.Random(seed)
    while time.monotonic() < until - interval:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * interval)
        if session.main:
            note(figures, "explorer", await session.change(rng, timeout=30))


async def lesson(url: str, pids: list[int], join: str, students: int, explore: float,
                 seconds: float, interval: float) -> Figures:
    """One class: the teacher (joining by join, the teacher link's query string, or with "" by
    the sidebar's start button, then ending it), the students, then seconds of teaching."""
    figures = Figures()
    async with Session(url) as teacher:
        await teacher.open(LESSONS[0], query=join)
        if not join:
            note(figures, "teacher", await teacher.click("class_start"))
        sessions = [Session(url) for _ in range(students)]
        for session in sessions:
            await session.__aenter__()
            note(figures, "student", await session.open(""))
        until = time.monotonic() + seconds + 3
        exploring = set(range(round(students * explore)))

        def seen(number: int):
            def check(session: Session, run) -> None:
                note(figures, "student", run)
                if number in exploring or not figures.moves:
                    return
                move = figures.moves[-1]
                if number not in move.reached and view_of(session) == move.wanted:
                    move.reached[number] = time.monotonic() - move.start
            return check

        tasks = [keep_up(teacher, until, lambda *_: None)]
        tasks += [keep_up(s, until, seen(i)) for i, s in enumerate(sessions)]
        tasks += [explorer(sessions[i], until, interval, i, figures) for i in exploring]
        figures.cpu = -cpu_seconds(pids)
        await asyncio.gather(teacher_moves(teacher, seconds, interval, figures), *tasks)
        figures.cpu += cpu_seconds(pids)
        for session in sessions:
            await session.__aexit__(None, None, None)
        if not join:
            note(figures, "teacher", await teacher.click("class_end"))
    figures.moves = figures.moves[:-1]  # the last move had no time left to be followed
    return figures


def cpu_seconds(pids: list[int]) -> float:
    """CPU time the server's processes have used (user + system, from /proc): what a class
    costs whatever else the machine runs."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def report(name: str, figures: Figures, followers: int) -> None:
    each = [s for move in figures.moves for s in move.reached.values()]
    whole = [max(move.reached.values()) for move in figures.moves
             if len(move.reached) == followers]
    missed = sum(followers - len(move.reached) for move in figures.moves)
    print(f"  {name}: {len(figures.moves)} teacher moves, {followers} followers")
    print(f"    each follower, move to screen: {summary([s * 1000 for s in each])}")
    print(f"    the whole class, move to the last screen: {summary([s * 1000 for s in whole])}"
          f" (p95 target 1,000 ms: {'met' if percentile(whole, 95) < 1 else 'missed'})")
    print(f"    follower-moves never shown: {missed}; errors: {len(figures.errors)}"
          + "".join(f"\n      {e[:200]}" for e in figures.errors[:5]))
    print(f"    server CPU while teaching: {figures.cpu:.1f} s, "
          f"{figures.cpu / max(1, len(figures.moves) + 1):.2f} s per teacher move (a figure "
          "that holds on a busy machine)", flush=True)


def serve(processes: int):
    """One process with its own in-memory class, or a class server: (server, join query)."""
    if not processes:
        server = Server(*OPTIONS, env=APP_ENV)
        warm(server.url, list(LESSONS))  # as python -m classroom warms its processes
        return server, ""
    room = Classroom(processes, free_port(), *OPTIONS)
    return room, f"teacher={RedisStore(room.redis_url).start_class()}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.follow", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60, help="of teaching, per class")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between moves")
    parser.add_argument("--explore", type=float, nargs="*", default=[0.0, 0.2],
                        help="shares of students exploring, one class each (default 0 0.2)")
    parser.add_argument("--processes", type=int, nargs="*", default=[0, 2],
                        help="0: one process; N: N behind nginx (default 0 2)")
    parser.add_argument("--classes", type=int, default=1, help="classes back to back (soak)")
    parser.add_argument("--settle", type=float, default=10,
                        help="seconds after each class before its memory reading")
    args = parser.parse_args(argv)
    for processes in args.processes:
        server, join = serve(processes)
        served = f"{processes} processes behind nginx" if processes else "one process"
        print(f"follow: {args.students} students, {served}, a teacher's move every "
              f"{args.interval:g} s for {args.seconds:g} s", flush=True)
        try:
            memory = [sum(rss_mb(pid) for pid in server.pids)]
            for number in range(args.classes):
                for share in args.explore:
                    figures = asyncio.run(lesson(server.url, server.pids, join, args.students,
                                                 share, args.seconds, args.interval))
                    report(f"class {number + 1}, {share:.0%} exploring", figures,
                           args.students - round(args.students * share))
                time.sleep(args.settle)
                memory.append(sum(rss_mb(pid) for pid in server.pids))
                print(f"  server RSS {args.settle:g} s after class {number + 1}: "
                      f"{memory[-1]:.0f} MB", flush=True)
            print(f"  server RSS: at start {memory[0]:.0f} MB, after each class "
                  + ", ".join(f"{mb:.0f}" for mb in memory[1:]) + " MB"
                  + (f"; the last is {memory[-1] / memory[1] - 1:+.0%} of the first"
                     if len(memory) > 2 else ""))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
