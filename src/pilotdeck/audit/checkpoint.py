"""Signed checkpoints: (origin, tree size, root hash, time) signed with Ed25519.

The note is plain text so anyone can check it offline with any Ed25519
library: the signed message is every line before ``signature:``, each ended
by a newline (see ``docs/audit.md`` in the repository).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from pilotdeck.domain.errors import FieldError, ValidationFailed

HEADER = "pilotdeck-checkpoint/v1"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    time: str
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        return _message(self.origin, self.size, self.root, self.time, self.key_id)

    def note(self) -> str:
        return self.message().decode() + f"signature: {base64.b64encode(self.signature).decode()}\n"


def _message(origin: str, size: int, root: bytes, time: str, key_id: str) -> bytes:
    return (f"{HEADER}\norigin: {origin}\nsize: {size}\nroot: {root.hex()}\n"
            f"time: {time}\nkey: {key_id}\n").encode()


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Load the signing key, creating it (mode 0600) on first use."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValidationFailed("bad audit key",
                                   [FieldError("audit_key_path", "is not an Ed25519 key",
                                               str(path))])
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_pem(key, path.with_suffix(".pub"))
    return key


def public_pem(key: Ed25519PrivateKey, out: Path | None = None) -> str:
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    if out is not None:
        out.write_text(pem)
    return pem


def sign(key: Ed25519PrivateKey, origin: str, size: int, root: bytes,
         at: datetime) -> Checkpoint:
    time = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    kid = key_id_of(key.public_key())
    sig = key.sign(_message(origin, size, root, time, kid))
    return Checkpoint(origin, size, root, time, kid, sig)


def parse_note(note: str) -> Checkpoint:
    fields: dict[str, str] = {}
    lines = note.strip("\n").split("\n")
    if not lines or lines[0] != HEADER:
        raise ValidationFailed("bad checkpoint", [FieldError("header", f"must be {HEADER!r}")])
    for line in lines[1:]:
        k, sep, v = line.partition(": ")
        if not sep:
            raise ValidationFailed("bad checkpoint", [FieldError(line[:20], "is not 'key: value'")])
        fields[k] = v
    try:
        return Checkpoint(fields["origin"], int(fields["size"]), bytes.fromhex(fields["root"]),
                          fields["time"], fields["key"], base64.b64decode(fields["signature"]))
    except (KeyError, ValueError) as exc:
        raise ValidationFailed("bad checkpoint",
                               [FieldError(str(exc).strip("'"), "missing or malformed")]) from None


def verify_note(cp: Checkpoint, public: Ed25519PublicKey) -> bool:
    try:
        public.verify(cp.signature, cp.message())
    except InvalidSignature:
        return False
    return True


def load_public(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationFailed("bad public key", [FieldError("key", "is not an Ed25519 key")])
    return key
