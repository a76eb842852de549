"""A class over the wire protocol, without browsers: a student's session keeps its fragments'
timers as the browser does (so it follows the teacher), and a view is compared as the class
compares it (page and link, a person's own settings left out). bench.follow and the class-server
tests use it."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qsl

from harness.protocol import Run, Session
from ui.follow import PERSONAL


def view_of(session: Session) -> tuple[str, frozenset]:
    """What a session shows, as the class compares views: its page and link parameters."""
    params = parse_qsl(session.query, keep_blank_values=True)
    return session.page, frozenset((k, v) for k, v in params if k not in PERSONAL)


async def keep_timers(session: Session, until: float, seen) -> None:
    """Rerun each of the session's timed fragments when its interval comes round, until the
    monotonic time until; seen(session, run) after each run."""
    due: dict[str, float] = {}
    while time.monotonic() < until:
        if not session.timers:
            await asyncio.sleep(0.1)
            continue
        now = time.monotonic()
        for fragment, interval in list(session.timers.items()):
            due.setdefault(fragment, now + interval)
        fragment = min(due, key=due.get)
        await asyncio.sleep(max(0.0, due[fragment] - time.monotonic()))
        if fragment in session.timers:
            try:
                run: Run = await session.tick(fragment, timeout=30)
            except TimeoutError:  # a figure to report (seen counts it), not the end of the class
                run = Run(30_000, "TIMED_OUT", [])
            seen(session, run)
            due = {f: when for f, when in due.items() if f in session.timers}
            if fragment in session.timers:
                due[fragment] = time.monotonic() + session.timers[fragment]
