"""Per-process prediction cache: an LRU whose entries expire after their own TTL."""

from __future__ import annotations

import time

from cachetools import TLRUCache


class MemoryCache:
    """The ``PredictionCache`` port in this process (``cachetools.TLRUCache``)."""

    name = "memory"

    def __init__(self, max_entries: int = 100_000) -> None:
        self._data: TLRUCache[str, tuple[bytes, float]] = TLRUCache(
            maxsize=max_entries, ttu=lambda _k, v, now: now + v[1], timer=time.monotonic)

    async def get(self, key: str) -> bytes | None:
        hit = self._data.get(key)
        return hit[0] if hit is not None else None

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if ttl > 0:
            self._data[key] = (value, ttl)

    async def close(self) -> None:
        self._data.clear()
