"""API token format and hashing.

Tokens are 256-bit random secrets, so a single SHA-256 is the right storage
hash (a slow password hash adds nothing against brute force of 2**256 and
would cost every API request milliseconds).
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "pd_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters, shown in listings so users can tell tokens apart."""
    return token[:10]
