"""Secrets on local disk: created owner-only (0600) and never readable by others.

Files are opened with ``O_CREAT | O_EXCL`` and mode 0600, so there is no moment
at which a secret sits in a file with the process umask's wider mode, and two
processes racing to create a key end up sharing the first one's.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) owner-only; an existing one is left as is."""
    if not path.exists():
        path.mkdir(parents=True, mode=PRIVATE_DIR, exist_ok=True)
        path.chmod(PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Create an empty owner-only file unless it exists (for a library to fill,
    e.g. an SQLite database), so it never exists with wider permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass
    return path


def _write_tmp(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new owner-only file, replacing an older one."""
    private_dir(path.parent)
    os.replace(_write_tmp(path, data), path)
    return path


def load_or_create_key(path: Path, size: int = 32) -> bytes:
    """The random key in ``path``, created (0600) on first use.

    The key is written aside and hard-linked into place, which fails if the
    file exists: a racing process never reads a half-written key."""
    if not path.exists():
        private_dir(path.parent)
        tmp = _write_tmp(path, secrets.token_bytes(size))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_bytes()
    if len(key) < 16:
        raise ValueError(f"{path} holds {len(key)} bytes; a key needs at least 16")
    return key
