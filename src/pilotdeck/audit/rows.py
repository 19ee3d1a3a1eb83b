"""The per-event half of verify: each event's ``seq``, body hash and indexed
columns (time, actor, action, entity) against its hashed body, a block at a
time with C-level passes, row by row only where something differs."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import orjson

from pilotdeck.audit.merkle import leaf_hashes
from pilotdeck.audit.report import VerifyReport
from pilotdeck.domain.when import as_utc

# Columns of a row: (seq, body, leaf_hash, at, actor, action, entity_type, entity_id)
_SEQ, _BODY, _STORED = itemgetter(0), itemgetter(1), itemgetter(2)
_AT, _HEAD, _TAIL = itemgetter(3), itemgetter(5, 4), itemgetter(7, 6)

# Distinct (action, actor) and (entity id, type) prefixes kept between blocks.
_MEMO_LIMIT = 1 << 16


def as_bytes(value: Any) -> bytes:
    """Stored columns as bytes, whatever type a tamperer left behind."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return b"" if value is None else str(value).encode()


def event_time(value: Any) -> bytes:
    """The ``at`` column as the body writes it (``2026-11-25T06:11:49.123456Z``).

    SQLite hands back SQLAlchemy's text form (``2026-11-25 06:11:49.123456+00:00``),
    PostgreSQL an aware datetime; anything else cannot match."""
    if isinstance(value, str):
        if value[10:11] == " " and value[26:] in ("+00:00", "") and value[19:20] == ".":
            return f"{value[:10]}T{value[11:26]}Z".encode()
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return b"\xff"
    if isinstance(value, datetime):
        return as_utc(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()
    return b"\xff"


# Times as SQLite hands them back (SQLAlchemy's text form) and as PostgreSQL's
# aware datetimes print in UTC: a whole block is checked against one of these
# and rewritten to the body's form in a few C-level passes, not a Python call
# per event. Anything else (another offset, no microseconds) goes through event_time.
_SQLITE_TIMES = re.compile(r"(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}(?:\+00:00)?\n)*")
_UTC_TIMES = re.compile(r"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00\n)*")


def event_times(ats: list[Any]) -> list[bytes]:
    """``,"at":"<time>","data":`` for every event, with the time as the body writes it."""
    kinds = set(map(type, ats))
    if kinds == {str}:
        text = "\n".join(ats) + "\n"
        # One line per event, or a value holding a line break of its own would
        # shift every later time onto the wrong event.
        if text.count("\n") == len(ats) and _SQLITE_TIMES.fullmatch(text):
            return _split_times(text.replace(" ", "T").replace("+00:00", ""))
    elif kinds == {datetime}:
        text = "\n".join(map(datetime.isoformat, ats)) + "\n"
        if _UTC_TIMES.fullmatch(text):  # isoformat never breaks a line
            return _split_times(text.replace("+00:00", ""))
    return [b',"at":"' + event_time(at) + b'","data":' for at in ats]


def _split_times(text: str) -> list[bytes]:
    # Each line is now 2026-11-25T06:11:49.123456
    return (',"at":"' + text[:-1].replace("\n", 'Z","data":\n,"at":"') + 'Z","data":'
            ).encode().split(b"\n")


class RowChecker:
    """The per-event checks: sequence, body hash, and the indexed columns."""

    def __init__(self, report: VerifyReport, max_problems: int) -> None:
        self.report = report
        self.max_problems = max_problems
        self.expected = 1
        self.heads: dict[tuple[Any, Any], bytes] = {}
        self.tails: dict[tuple[Any, Any], bytes] = {}

    def check(self, block: Sequence[tuple[Any, ...]]) -> list[bytes]:
        """The leaf hashes of ``block`` (the stored one where a body no longer
        matches it: that is what the nodes and checkpoints were built from);
        shorter than the block when the problem limit was reached.

        A clean block is checked column-wise with ``map`` over C functions (no
        Python frame per event: that overhead was most of verify's cost)."""
        seqs = list(map(_SEQ, block))
        bodies = list(map(_BODY, block))
        if set(map(type, bodies)) != {bytes}:
            bodies = list(map(as_bytes, bodies))
        leaves = leaf_hashes(bodies)
        first = self.expected
        heads = list(map(bytes.__add__,
                         self._memo(self.heads, self._head, list(map(_HEAD, block))),
                         event_times(list(map(_AT, block)))))
        tails = list(map(bytes.__add__,
                         self._memo(self.tails, self._tail, list(map(_TAIL, block))),
                         [b"%d}" % s if type(s) is int else b"\xff" for s in seqs]))
        if seqs == list(range(first, first + len(block))) \
                and leaves == list(map(_STORED, block)) \
                and all(map(bytes.startswith, bodies, heads)) \
                and all(map(bytes.endswith, bodies, tails)):
            self.expected += len(block)
            return leaves
        # Something differs: walk the block row by row to name it.
        for i, row in enumerate(block):
            if len(self.report.problems) >= self.max_problems:
                return leaves[:i]
            leaves[i] = self._one(row[0], bodies[i], leaves[i], row[2], heads[i], tails[i])
        return leaves

    @staticmethod
    def _memo(memo: dict[Any, bytes], make: Callable[[Any], bytes], keys: list[Any]
              ) -> list[bytes]:
        """``make(key)`` for every key, computed once per distinct key (events of
        one transaction share their time, entities and actions repeat)."""
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        for key in set(keys).difference(memo):
            memo[key] = make(key)
        return list(map(memo.__getitem__, keys))

    @staticmethod
    def _head(key: tuple[Any, Any]) -> bytes:
        """Canonical JSON sorts keys, so the body must start with its action,
        actor and time and end with its entity and seq: exact byte comparisons
        that cost a fraction of parsing it."""
        action, actor = key
        try:
            return b'{"action":' + orjson.dumps(action) + b',"actor":' + orjson.dumps(actor)
        except TypeError:
            return b"\xff"  # a column of the wrong type cannot match

    @staticmethod
    def _tail(key: tuple[Any, Any]) -> bytes:
        eid, etype = key
        try:
            return (b',"entity":{"id":' + orjson.dumps(eid) + b',"type":'
                    + orjson.dumps(etype) + b'},"seq":')
        except TypeError:
            return b"\xff"

    def _one(self, seq: Any, body: bytes, leaf: bytes, stored: Any, head: bytes,
             tail: bytes) -> bytes:
        report = self.report
        if seq != self.expected:
            if seq > self.expected:
                report.blame_rows(f"event {self.expected} is missing (next stored event "
                                  f"is {seq})", self.expected, seq)
            else:
                report.blame_rows(f"event {seq} appears out of order", seq, seq)
            self.expected = seq
        self.expected += 1
        if leaf != stored:
            stored = as_bytes(stored)
            if leaf != stored:
                report.blame_rows(f"event {seq} was modified: its body no longer matches "
                                  "its hash", seq, seq)
                if len(stored) == 32:
                    leaf = stored
        if not (body.startswith(head) and body.endswith(tail)):
            report.fail(f"event {seq} was modified: its columns (time, actor, action or "
                        "entity) differ from its hashed body", seq)
        return leaf
