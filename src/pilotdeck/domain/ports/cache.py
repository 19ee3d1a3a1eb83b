"""The prediction cache port: the gateway's shared memory of recent answers."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class PredictionCache(Protocol):
    """Bytes by key with a per-entry TTL, on the gateway's event loop.

    The contract (``tests/contract/test_prediction_cache.py``): a miss is
    ``None``; a value is gone after its TTL; ``ttl <= 0`` stores nothing; a
    backend outage degrades to misses and never raises into the request path.
    """

    name: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: float) -> None: ...

    async def close(self) -> None: ...
