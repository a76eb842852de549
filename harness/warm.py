"""Warm a server: open each lesson once, in a session of its own, so that each lesson's course view
is computed (and held by st.cache_data) before the first student asks for it."""

from __future__ import annotations

import contextlib
import threading

from harness.protocol import Run, Session, run_sync

_started: set[str] = set()
_lock = threading.Lock()


async def _visit(url: str, pages: list[str]) -> list[Run]:
    runs = []
    for page in pages:
        async with Session(url) as session:
            runs.append(await session.open(page))
    return runs


def warm(url: str, pages: list[str]) -> list[Run]:
    """Open every page of pages (url paths) on the server at url, one after another."""
    return run_sync(_visit(url, pages))


def warm_in_background(url: str, pages: list[str]) -> None:
    """warm(url, pages) in a daemon thread, once per process and url: the server's first session
    calls it, and goes on drawing its own page meanwhile. A failure only means a colder start."""
    with _lock:
        if url in _started:
            return
        _started.add(url)

    def run() -> None:
        with contextlib.suppress(Exception):  # warming is an optimisation, never an error
            warm(url, pages)

    threading.Thread(target=run, name="warm-lessons", daemon=True).start()
