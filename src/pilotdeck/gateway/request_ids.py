"""Request ids that carry their own proof of issue, so feedback can be checked
without a store or disk read.

Feedback (labels, revenue) often arrives hours or weeks after the prediction,
possibly at another gateway process or after a restart, so a set of recent ids
in memory would refuse genuine late labels, and looking the id up in the
prediction log would put a scan of the lake behind every feedback call (and
let any client trigger one). Instead each id is a random nonce followed by an
HMAC of (pilot, nonce) under the installation's request-id key: issuing costs
one HMAC on the predict path (about a microsecond), checking costs one more,
and an id is accepted only for the pilot it was issued for. Gateways that
share a lake must share the key file (``request_id_key_path``).

Ids issued before this scheme (32 hex digits) carry no proof and are refused.
"""

from __future__ import annotations

import hmac
import secrets

NONCE_HEX = 24  # 96 random bits: collisions stay negligible for billions of requests
TAG_HEX = 16  # 64 bits of HMAC: forging an id means guessing it
LENGTH = NONCE_HEX + TAG_HEX


class RequestIds:
    """Issues and checks request ids under one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the request-id key must be at least 16 bytes")
        self._key = key

    def _tag(self, pilot: str, nonce: str) -> str:
        return hmac.digest(self._key, f"{pilot}\0{nonce}".encode(), "sha256").hex()[:TAG_HEX]

    def new(self, pilot: str) -> str:
        nonce = secrets.token_hex(NONCE_HEX // 2)
        return nonce + self._tag(pilot, nonce)

    def issued(self, request_id: str, pilot: str) -> bool:
        """Whether this installation issued ``request_id`` for a prediction of ``pilot``."""
        if len(request_id) != LENGTH:
            return False
        nonce, tag = request_id[:NONCE_HEX], request_id[NONCE_HEX:]
        return hmac.compare_digest(self._tag(pilot, nonce), tag)
