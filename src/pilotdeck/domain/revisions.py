"""Optimistic concurrency: every mutable resource carries an integer revision.

A writer that read revision N says so (``expected_revision=N``, HTTP
``If-Match: "N"``); the store then changes the row only if it is still at N
(a compare-and-set in SQL), so two read-modify-write cycles can never silently
overwrite each other: the later one gets :class:`PreconditionFailed` and
re-reads. ``ANY_REVISION`` is ``If-Match: *``: the resource must exist, at any
revision. ``None`` is an unconditional write (last writer wins, atomically).
"""

from __future__ import annotations

from pilotdeck.domain.errors import PreconditionFailed

ANY_REVISION = 0  # revisions start at 1, so 0 can only mean "any existing one"


def check_revision(kind: str, name: str, current: int | None, expected: int | None) -> None:
    """Raise :class:`PreconditionFailed` unless ``current`` satisfies ``expected``."""
    if expected is None:
        return
    if current is None:
        raise PreconditionFailed(f"{kind} {name!r} does not exist (expected revision "
                                 f"{expected if expected != ANY_REVISION else '*'})")
    if expected != ANY_REVISION and expected != current:
        raise PreconditionFailed(f"{kind} {name!r} is at revision {current}, not {expected}: "
                                 "it changed since it was read; read it again and retry")


def stale(kind: str, name: str, expected: int) -> PreconditionFailed:
    """The error for a compare-and-set that matched no row."""
    return PreconditionFailed(f"{kind} {name!r} changed concurrently (it is no longer at "
                              f"revision {expected}); read it again and retry")


def etag(revision: int) -> str:
    """The strong entity tag of a revision, as HTTP sends it."""
    return f'"{revision}"'
