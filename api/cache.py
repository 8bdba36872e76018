"""A small LRU cache of rendered responses, keyed on the store generation.

Identical GET requests (same path, same query parameters in any order) against the same
generation of the graph return the same bytes, so the API keeps the rendered body. The
generation changes whenever the API writes to the store (a participation import), which
invalidates every entry at once. Only the embedded store is cached: its graph changes only
through this process. A shared Neo4j can change behind our back (and go down), so its
answers are never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered response body."""

    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()


class ResponseCache:
    """Thread-safe LRU of :class:`Rendered` bodies (bounded by entries and total bytes)."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[tuple[object, ...], Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[object, ...]) -> Rendered | None:
        """The cached body, or ``None``."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: tuple[object, ...], value: Rendered) -> None:
        """Keep a body (bodies larger than an eighth of the budget are not kept)."""
        size = len(value.body)
        if size > self.max_bytes // 8:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._data[key] = value
            self._bytes += size
            while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._data.popitem(last=False)
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)
