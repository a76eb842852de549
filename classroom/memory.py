"""A server that holds a class all day: every TRIM_SECONDS in which the app has been quiet for
QUIET_SECONDS (no run began), collect Python's garbage and hand the memory glibc holds free back
to the system (malloc_trim), so that after a class has left the process returns to a steady size
instead of keeping its peak. Never during a class: a full collection holds the interpreter
lock, which every session's run needs, for a few hundred milliseconds (over a second on a loaded
machine, seen in a profile of a class of 30 as a stall of every screen once a minute).

Streamlit's own collection after each run is off (.streamlit/config.toml, for speed), so a
closed session's cycles wait for Python's generational collector; with MALLOC_ARENA_MAX=2 (set by
python -m classroom) freed memory lies in few arenas, which malloc_trim returns page by page."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time

TRIM_SECONDS = 60.0
QUIET_SECONDS = 30.0
_started = threading.Lock()
_running = False
_last_run = time.monotonic()


def trim() -> None:
    """Collect garbage, then return glibc's free memory to the system (Linux; elsewhere only the
    collection)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if name:
        libc = ctypes.CDLL(name)
        if hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)


def keep_steady(seconds: float = TRIM_SECONDS) -> None:
    """Note that a run begins; start, once per process, a daemon thread that trims every
    seconds in which no run has begun for QUIET_SECONDS (the sessions a class left are dropped
    server.disconnectedSessionTTL after they close: a later look frees them)."""
    global _running, _last_run
    _last_run = time.monotonic()
    with _started:
        if _running:
            return
        _running = True

    def loop() -> None:
        while True:
            time.sleep(seconds)
            if time.monotonic() - _last_run >= QUIET_SECONDS:
                trim()

    threading.Thread(target=loop, name="memory-trim", daemon=True).start()
