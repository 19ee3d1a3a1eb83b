"""Prediction cache: in-memory LRU with TTL, or Redis shared by gateway replicas.

Keys are ``pilot:version:digest-of-canonical-input``. A Redis outage degrades
to "no cache" (misses) for a cool-down period; it never fails a request.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import orjson
from cachetools import TLRUCache

from pilotdeck.domain.ports.cache import PredictionCache

log = logging.getLogger("pilotdeck.gateway.cache")


def cache_key(namespace: str, pilot: str, version: int, rows: list[tuple[Any, ...]]) -> str:
    data = orjson.dumps(rows, option=orjson.OPT_SERIALIZE_NUMPY)
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return f"{namespace}:{pilot}:{version}:{digest}"


class MemoryCache:
    """Per-process LRU; entries expire after their own TTL (``cachetools.TLRUCache``)."""

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
            value: bytes | None = await self._redis.get(key)
            return value
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


def make_cache(url: str, max_entries: int) -> PredictionCache:
    """Pick the cache from its URL scheme, like MLflow picks a store."""
    if url.startswith("memory://"):
        return MemoryCache(max_entries)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisCache(url)
    from pilotdeck.domain.errors import FieldError, ValidationFailed

    raise ValidationFailed("bad cache URL", [FieldError(
        "PILOTDECK_CACHE_URL", "must start with memory:// or redis://")])
