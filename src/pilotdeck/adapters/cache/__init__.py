"""Prediction caches behind the ``PredictionCache`` port, chosen by URL scheme:
``memory://`` (per process) or ``redis://``, ``rediss://``, ``unix://`` (shared
by gateway replicas). Plugins add schemes through the
``pilotdeck.prediction_caches`` entry-point group."""

from __future__ import annotations

from pilotdeck.adapters.cache.memory import MemoryCache
from pilotdeck.adapters.cache.redis import RedisCache
from pilotdeck.adapters.schemes import SchemeRegistry
from pilotdeck.domain.ports.cache import PredictionCache

__all__ = ["MemoryCache", "PredictionCache", "RedisCache", "make_prediction_cache",
           "prediction_caches"]


def _memory(url: str, *, max_entries: int) -> PredictionCache:
    return MemoryCache(max_entries)


def _redis(url: str, *, max_entries: int) -> PredictionCache:
    return RedisCache(url)  # Redis bounds its own memory (maxmemory), not us


prediction_caches: SchemeRegistry[PredictionCache] = SchemeRegistry(
    "prediction cache URL", "PILOTDECK_CACHE_URL", group="pilotdeck.prediction_caches")
prediction_caches.register("memory", _memory)
for _scheme in ("redis", "rediss", "unix"):
    prediction_caches.register(_scheme, _redis)


def make_prediction_cache(url: str, max_entries: int) -> PredictionCache:
    """The cache ``url`` names; ``max_entries`` bounds the in-process one."""
    return prediction_caches.build(url, max_entries=max_entries)
