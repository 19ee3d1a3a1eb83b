"""Prediction cache shared by gateway replicas, in Redis.

A Redis outage degrades to "no cache" (misses) for a cool-down period; it
never fails a request.
"""

from __future__ import annotations

import logging
import time
from typing import cast

log = logging.getLogger("pilotdeck.adapters.cache.redis")


class RedisCache:
    """Shared cache; on any Redis error it stands down for ``cooldown_s`` seconds."""

    name = "redis"

    def __init__(self, url: str, timeout_s: float = 0.05, cooldown_s: float = 5.0) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.Redis.from_url(url, socket_timeout=timeout_s,
                                              socket_connect_timeout=timeout_s)
        self._cooldown = cooldown_s
        self._down_until = 0.0
        self.errors = 0

    def _failed(self, exc: Exception) -> None:
        self.errors += 1
        if time.monotonic() >= self._down_until:
            log.warning("prediction cache unavailable (%s); serving without it for %.0fs",
                        exc.__class__.__name__, self._cooldown)
        self._down_until = time.monotonic() + self._cooldown

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    async def get(self, key: str) -> bytes | None:
        if not self.available:
            return None
        try:
            # bytes: the client is built without decode_responses
            return cast("bytes | None", await self._redis.get(key))
        except Exception as exc:  # noqa: BLE001 - any Redis failure means "miss"
            self._failed(exc)
            return None

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if ttl <= 0 or not self.available:
            return
        try:
            await self._redis.set(key, value, px=max(1, int(ttl * 1000)))
        except Exception as exc:  # noqa: BLE001 - a failed write is only a lost hit
            self._failed(exc)

    async def close(self) -> None:
        try:
            await self._redis.aclose()
        except Exception:  # noqa: BLE001, S110 - closing a dead connection is fine
            return
