"""Warm a server: open each lesson once, in a session of its own, so that each lesson's course view
is computed (and held by st.cache_data, its charts' specs too) before the first student asks for
it. From outside (warm: the class server warms its processes), or from inside (warm_this_process:
a plain `streamlit run app.py` warms itself, started by the first page any browser opens, since
Streamlit runs no app code before that)."""

from __future__ import annotations

import os
import sys
import threading
import time

from harness.protocol import Run, Session, run_sync

_started = threading.Event()  # once per process
# Set to 0 in the environment, the app does not warm itself: the tests' and benchmarks' servers
# (harness.server.Server, unless asked), whose figures a background warm-up would disturb, and
# the class server's processes, which it warms from outside before serving.
SWITCH = "EXPLORER_WARM_UP"


async def _visit(url: str, pages: list[str]) -> list[Run]:
    runs = []
    for page in pages:
        async with Session(url) as session:
            runs.append(await session.open(page))
    return runs


def warm(url: str, pages: list[str]) -> list[Run]:
    """Open every page of pages (url paths) on the server at url, one after another."""
    return run_sync(_visit(url, pages))


def warm_this_process(pages: list[str]) -> None:
    """Once per process, in a thread of its own: every page of pages opened over the wire
    protocol on this process's own port, as a browser opens it, one after another; then one line
    on stderr says how long that took. Called once the first page's script has run, so that page
    is not kept waiting. Not under AppTest, nor where SWITCH is 0."""
    from streamlit import config

    if _started.is_set() or config.get_option("global.appTest") \
            or os.environ.get(SWITCH) == "0":  # (AppTest serves no port)
        return
    _started.set()
    threading.Thread(target=_warm_here, args=(pages,), name="warm-up", daemon=True).start()


WARMED = "warm-up: every lesson's course view computed"  # the line's start (bench.cold_start)


def _warm_here(pages: list[str]) -> None:
    start = time.monotonic()
    try:
        runs = warm(own_url(), pages)
    except (OSError, TimeoutError) as error:  # a server stopping as it starts: nothing to warm
        print(f"warm-up stopped: {error!r}", file=sys.stderr, flush=True)
        return
    failed = [page for page, run in zip(pages, runs, strict=True) if run.exceptions]
    print(f"{WARMED} in {time.monotonic() - start:.2f} s"
          + (f"; with exceptions on {', '.join(failed)}" if failed else ""),
          file=sys.stderr, flush=True)


def own_url() -> str:
    """This process's server, as a client on the same machine reaches it."""
    from streamlit import config

    address = config.get_option("server.address")
    host = address if address and address not in ("0.0.0.0", "::") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{host}:{config.get_option('server.port')}" + (f"/{base}" if base else "")
