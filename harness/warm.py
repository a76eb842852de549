"""Warm a server: open each lesson once, in a session of its own, so that each lesson's course view
is computed (and held by st.cache_data) before the first student asks for it."""

from __future__ import annotations

from harness.protocol import Run, Session, run_sync


async def _visit(url: str, pages: list[str]) -> list[Run]:
    runs = []
    for page in pages:
        async with Session(url) as session:
            runs.append(await session.open(page))
    return runs


def warm(url: str, pages: list[str]) -> list[Run]:
    """Open every page of pages (url paths) on the server at url, one after another."""
    return run_sync(_visit(url, pages))
