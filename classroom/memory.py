"""A server that holds a class all day: every TRIM_SECONDS, collect Python's garbage and hand the
memory glibc holds free back to the system (malloc_trim), so that after a class has left the
process returns to a steady size instead of keeping its peak.

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
_started = threading.Lock()
_running = False


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
    """Start, once per process, a daemon thread that trims every seconds."""
    global _running
    with _started:
        if _running:
            return
        _running = True

    def loop() -> None:
        while True:
            time.sleep(seconds)
            trim()

    threading.Thread(target=loop, name="memory-trim", daemon=True).start()
