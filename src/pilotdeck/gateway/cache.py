"""Prediction-cache keys, built on the hot path: ``ns:pilot:version:digest``.

The caches themselves are adapters (:mod:`pilotdeck.adapters.cache`), picked by
the composition root from ``PILOTDECK_CACHE_URL``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


def cache_key(namespace: str, pilot: str, version: int, rows: list[tuple[Any, ...]]) -> str:
    data = orjson.dumps(rows, option=orjson.OPT_SERIALIZE_NUMPY)
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return f"{namespace}:{pilot}:{version}:{digest}"
