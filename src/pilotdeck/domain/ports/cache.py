"""The prediction-cache port: bytes by key with a TTL, shared or per process.

Implementations must never fail a request: an unavailable backend answers
misses and drops writes.
"""

from __future__ import annotations

from typing import Protocol


class PredictionCache(Protocol):
    name: str

    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl: float) -> None: ...
    async def close(self) -> None: ...
