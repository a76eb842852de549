"""A class over the wire protocol, without browsers: a session reads the runs the server pushes
(so a student follows the teacher) and keeps its fragments' timers as the browser does, and a
view is compared as the class compares it (page and link, a person's own settings left out).
bench.follow and the class-server tests use it."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

from classroom import relay
from classroom.store import View
from harness.protocol import Run, Session


def view_of(session: Session) -> View:
    """What a session shows, as the class compares views: its page and link parameters."""
    return relay.view_of(session.page, dict(parse_qsl(session.query, keep_blank_values=True)))


async def keep_up(session: Session, until: float, seen) -> None:
    """Until the monotonic time until, do what the browser does without its user: read each run
    the server pushes (the class's relay), and rerun each timed fragment when its interval comes
    round; seen(session, run) after each run."""
    due: dict[str, float] = {}
    while time.monotonic() < until:
        now = time.monotonic()
        for fragment, interval in session.timers.items():
            due.setdefault(fragment, now + interval)
        due = {f: when for f, when in due.items() if f in session.timers}
        wait = min([*due.values(), now + 0.25, until]) - now
        try:
            run = await session.pushed(max(wait, 0.0), timeout=30)
        except TimeoutError:  # a figure to report (seen counts it), not the end of the class
            run = Run(30_000, "TIMED_OUT", [])
        if run is not None:
            seen(session, run)
        for fragment in [f for f, when in due.items() if when <= time.monotonic()]:
            if fragment not in session.timers:
                continue
            try:
                run = await session.tick(fragment, timeout=30)
            except TimeoutError:
                run = Run(30_000, "TIMED_OUT", [])
            seen(session, run)
            if fragment in session.timers:
                due[fragment] = time.monotonic() + session.timers[fragment]
