"""Canonical JSON: the single byte form that digests and the audit log hash.

Keys sorted, no whitespace, UTF-8, floats in shortest round-trip form (the
RFC 8785 rules for the value domain pilotdeck writes: strings, integers below
2**53, finite floats, booleans, null, arrays and objects with string keys).
orjson is used because it is exact and an order of magnitude faster than
``json.dumps(sort_keys=True)`` on the audit hot path.
"""

from __future__ import annotations

from typing import Any

import orjson


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` canonically."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)
