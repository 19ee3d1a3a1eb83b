"""Prediction cache shared by gateway replicas, in Redis.

A Redis outage degrades to "no cache" (misses); it never fails a request.

The timeout times the socket, not the event loop. ``redis.asyncio`` implements
``socket_timeout`` as an event-loop timer, so when the loop is busy (batches of
JSON to parse, 16 clients at once) a reply that arrived in 1 ms is declared
late after the loop comes back 60 ms later: under c=16 the cache stood down
three times in 13 s. Here a small pool of threads runs the synchronous client,
whose timeout is the kernel's on the socket itself; the loop only awaits the
thread's result.

It backs off before standing down: one slow or failed call is a miss, not an
outage. Only ``stand_down_after`` failures in a row stand the cache down, first
for ``first_backoff_s``, doubling on each further failed attempt up to
``cooldown_s``; one success resets both.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

log = logging.getLogger("pilotdeck.adapters.cache.redis")
T = TypeVar("T")


class RedisCache:
    """Shared cache; stands down (with a growing back-off) after repeated failures."""

    name = "redis"

    def __init__(self, url: str, timeout_s: float = 0.05, cooldown_s: float = 5.0,
                 stand_down_after: int = 3, first_backoff_s: float = 0.25,
                 threads: int = 4) -> None:
        import redis

        # One connection per thread at most: a thread never waits for a connection.
        self._redis = redis.Redis.from_url(url, socket_timeout=timeout_s,
                                           socket_connect_timeout=timeout_s,
                                           max_connections=threads)
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="redis-cache")
        self._cooldown = cooldown_s
        self._stand_down_after = stand_down_after
        self._first_backoff = first_backoff_s
        self._backoff = first_backoff_s
        self._failures = 0  # in a row
        self._down_until = 0.0
        self.errors = 0
        self.stand_downs = 0

    def _failed(self, exc: Exception) -> None:
        self.errors += 1
        self._failures += 1
        if self._failures < self._stand_down_after:
            return
        self.stand_downs += 1
        log.warning("prediction cache unavailable (%s, %d failures in a row); serving "
                    "without it for %.2fs", exc.__class__.__name__, self._failures,
                    self._backoff)
        self._down_until = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self._cooldown)

    def _ok(self) -> None:
        self._failures = 0
        self._backoff = self._first_backoff

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    async def get(self, key: str) -> bytes | None:
        if not self.available:
            return None
        try:
            # bytes: the client is built without decode_responses
            value = cast("bytes | None", await self._call(self._redis.get, key))
        except Exception as exc:  # noqa: BLE001 - any Redis failure means "miss"
            self._failed(exc)
            return None
        self._ok()
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if ttl <= 0 or not self.available:
            return
        try:
            await self._call(self._redis.set, key, value, px=max(1, int(ttl * 1000)))
        except Exception as exc:  # noqa: BLE001 - a failed write is only a lost hit
            self._failed(exc)
            return
        self._ok()

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            self._redis.close()
        except Exception:  # noqa: BLE001, S110 - closing a dead connection is fine
            return
