"""Prediction cache keys: ``namespace:pilot:version:digest-of-canonical-input``.

Built on the hot path, so it stays here with the gateway. The caches
themselves are adapters (``pilotdeck.adapters.cache``); the names below are
re-exported only until the gateway takes its cache from the composition root.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from pilotdeck.adapters.cache import MemoryCache, RedisCache, make_prediction_cache
from pilotdeck.domain.ports.cache import PredictionCache

__all__ = ["MemoryCache", "PredictionCache", "RedisCache", "cache_key", "make_cache"]

make_cache = make_prediction_cache  # temporary: the gateway's old name


def cache_key(namespace: str, pilot: str, version: int, rows: list[tuple[Any, ...]]) -> str:
    data = orjson.dumps(rows, option=orjson.OPT_SERIALIZE_NUMPY)
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return f"{namespace}:{pilot}:{version}:{digest}"
