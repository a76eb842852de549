"""Computations started in the background and kept when done: a page asks for a result, draws
what it can meanwhile (the part the user is looking at), then waits for the rest in short slices
it can be interrupted between. Sessions are threads of one process; torch releases the GIL in
its kernels, so a background computation slows no session's other work beyond its own core."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor


class Background:
    """compute(key) run on `workers` threads (one: a class exploring at once gets one core of
    these computations, and the other core stays for every session's own reruns), the last `keep`
    results kept. An asker (a session) that asks for another key before its previous one started
    takes that one back from the queue, unless another asker waits for it too: a student moving a
    control fast queues only the last value."""

    def __init__(self, compute: Callable[[Hashable], object], workers: int = 1, keep: int = 64,
                 name: str = "background") -> None:
        self.compute, self.keep = compute, keep
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=name)
        self._lock = threading.RLock()  # a future done at once calls back under it
        self._done: OrderedDict[Hashable, object] = OrderedDict()
        self._running: dict[Hashable, Future] = {}
        self._askers: dict[Hashable, set[Hashable]] = {}  # key -> who waits for it
        self._asked: dict[Hashable, Hashable] = {}  # asker -> the key it asked for last

    def ready(self, key: Hashable) -> object | None:
        """The result if it is kept (now the most recently used), else None. A computation that
        raised raises here, once (the next ask computes it again)."""
        with self._lock:
            if key not in self._done:
                return None
            self._done.move_to_end(key)
            found = self._done[key]
            if isinstance(found, _Failed):
                del self._done[key]
                raise found.error
            return found

    def start(self, key: Hashable, asker: Hashable = None) -> None:
        """Make sure key is computed or being computed, for asker, whose previous request goes
        back off the queue if nobody else waits for it."""
        with self._lock:
            previous = self._asked.get(asker)
            self._asked[asker] = key
            if previous is not None and previous != key:
                self._withdraw(previous, asker)
            if key in self._done:
                return
            self._askers.setdefault(key, set()).add(asker)
            if key not in self._running:
                future = self._pool.submit(self.compute, key)
                self._running[key] = future
                future.add_done_callback(lambda done, key=key: self._finish(key, done))

    def wait(self, key: Hashable, seconds: float, asker: Hashable = None) -> object | None:
        """The result, started for asker if it is not under way, waiting at most seconds for it;
        None if not yet."""
        self.start(key, asker)
        with self._lock:
            future = self._running.get(key)
        if future is not None:
            try:
                future.exception(timeout=seconds)
            except TimeoutError:
                return None
        return self.ready(key)

    def result(self, key: Hashable, asker: Hashable = None) -> object:
        """The result, waiting for it as long as it takes."""
        while True:
            found = self.wait(key, 1.0, asker)
            if found is not None:
                return found

    def clear(self) -> None:
        """Forget every kept result (a test counting computations starts from none)."""
        with self._lock:
            self._done.clear()

    def _withdraw(self, key: Hashable, asker: Hashable) -> None:
        askers = self._askers.get(key, set())
        askers.discard(asker)
        future = self._running.get(key)
        if not askers and future is not None and future.cancel():
            del self._running[key]
            self._askers.pop(key, None)

    def _finish(self, key: Hashable, future: Future) -> None:
        if future.cancelled():
            return
        error = future.exception()
        with self._lock:
            self._running.pop(key, None)
            self._askers.pop(key, None)
            self._done[key] = future.result() if error is None else _Failed(error)
            while len(self._done) > self.keep:
                self._done.popitem(last=False)


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error
