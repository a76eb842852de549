"""A least-recently-used cache bounded by the bytes of the tensors it holds, for computations
that keep tensors between calls (st.cache_data holds results, never tensors)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class ByteBoundCache:
    def __init__(self, max_bytes: int, size_of: Callable[[object], int]):
        self.max_bytes, self.size_of = max_bytes, size_of
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # sessions are threads of one process
        self._making: dict[Hashable, threading.Lock] = {}  # keys being made, each held by its maker

    def get(self, key: Hashable, make: Callable[[], object]) -> object:
        """The value for key, made by make() on a miss, once: a thread that misses a key another
        is making waits for that value instead of making it again (a class asking for the same
        new view, the init matrix's groups sharing one standard draw). Oldest entries go first
        when the bytes run over; a value larger than the bound is returned and not kept."""
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key][0]
                maker = self._making.get(key)
                if maker is None:
                    maker = self._making[key] = threading.Lock()
                    maker.acquire()
                    break
            with maker:  # another thread makes it: wait, then look again (it may not be kept)
                pass
        try:
            value = make()
            size = self.size_of(value)
            with self._lock:
                if size <= self.max_bytes:
                    self._entries[key] = (value, size)
                    self._bytes += size
                    while self._bytes > self.max_bytes:
                        _, (_, dropped) = self._entries.popitem(last=False)
                        self._bytes -= dropped
            return value
        finally:
            with self._lock:
                del self._making[key]
            maker.release()

    @property
    def bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
