"""Re-derive the whole log from the stored events and say where it breaks.

One streaming pass: for each row, hash the canonical body, compare with the
stored leaf hash, check the body's own ``seq``, time and the indexed columns,
and feed the frontier; compare every interior node the frontier creates with
the stored one (proofs are served from those); at every checkpoint size (and
at an off-host witness's size) compare roots and signatures. Memory stays flat
(keyset pagination), cost is ~2 SHA-256 per event.

Each problem names the rows that changed and nothing else: a row whose body no
longer matches its stored hash is reported once, and the tree is built from
the stored hash, so the checkpoints above it still match (they do: the stored
hash is what they signed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pilotdeck.audit.checkpoint import Checkpoint, parse_note, verify_note
from pilotdeck.audit.merkle import Frontier
from pilotdeck.domain.when import as_utc

# level -> stored (idx, hash) of that level's interior nodes, ordered by idx
NodeStream = Callable[[int], Iterator[tuple[int, Any]]]


@dataclass
class VerifyReport:
    ok: bool = True
    size: int = 0
    root: str = ""
    checkpoints_checked: int = 0
    first_bad_event: int | None = None
    problems: list[str] = field(default_factory=list)
    witness_checked: bool = False
    # What is already reported, so one change is reported once: event ranges
    # blamed by rows and by nodes, and the checkpoints that matched or not.
    rows_blamed: list[tuple[int, int]] = field(default_factory=list)
    nodes_blamed: list[tuple[int, int]] = field(default_factory=list)
    matched_upto: int = 0
    root_failed: bool = False

    def fail(self, problem: str, event: int | None = None) -> None:
        self.ok = False
        if event is not None and self.first_bad_event is None:
            self.first_bad_event = event
        self.problems.append(problem)

    def blame_rows(self, problem: str, first: int, last: int) -> None:
        self.rows_blamed.append((first, last))
        self.fail(problem, first)

    def explained(self, first: int, last: int, *, by_nodes: bool = False) -> bool:
        """Is a change in events ``first..last`` already reported (by a row, or
        also by a node)?"""
        ranges = self.rows_blamed + (self.nodes_blamed if by_nodes else [])
        return any(a <= last and first <= b for a, b in ranges)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "size": self.size, "root": self.root,
                "checkpointsChecked": self.checkpoints_checked,
                "firstBadEvent": self.first_bad_event, "problems": self.problems}


def _bytes(value: Any) -> bytes:
    """Stored columns as bytes, whatever type a tamperer left behind."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return b"" if value is None else str(value).encode()


def _at(value: Any) -> bytes:
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


class _Nodes:
    """Stored interior nodes, read level by level in index order as the
    frontier re-creates them."""

    def __init__(self, stream: NodeStream) -> None:
        self.stream = stream
        self.cursors: dict[int, Iterator[tuple[int, Any]]] = {}
        self.peeked: dict[int, tuple[int, Any] | None] = {}
        self.matched = 0
        self.last: bytes | None = None

    def take(self, level: int, idx: int) -> bytes | None:
        """The stored hash of node (level, idx), or None when it is not stored."""
        cursor = self.cursors.get(level)
        if cursor is None:
            cursor = self.cursors[level] = self.stream(level)
            self.peeked[level] = next(cursor, None)
        head = self.peeked[level]
        while head is not None and head[0] < idx:  # a node no append created
            head = next(cursor, None)
        if head is None or head[0] != idx:
            self.peeked[level] = head
            self.last = None
            return None
        self.peeked[level] = next(cursor, None)
        self.matched += 1
        h = head[1]
        self.last = h if type(h) is bytes else _bytes(h)
        return self.last


def verify_log(rows: Iterable[tuple[Any, ...]], checkpoints: list[tuple[int, bytes, str]],
               state_size: int, state_root: bytes, public: Ed25519PublicKey | None,
               max_problems: int = 20, *, nodes: NodeStream | None = None,
               node_count: int | None = None, witness: Checkpoint | None = None
               ) -> VerifyReport:
    """``rows`` are (seq, body, leaf_hash, at, actor, action, entity_type, entity_id).

    ``nodes``/``node_count`` let it check the stored interior nodes too;
    ``witness`` is a checkpoint kept off-host (its signature already checked by
    the caller with a key kept off-host): the log must still match it."""
    report = VerifyReport()
    frontier = Frontier()
    stored_nodes = _Nodes(nodes) if nodes is not None else None
    cps = sorted(checkpoints)
    cp_i = 0
    sha = hashlib.sha256
    expected = 1
    dumps = orjson.dumps
    if witness is not None and witness.size == 0:
        report.witness_checked = True
    last_at: Any = None
    at_text = b""
    for seq, body, stored, at, actor, action, etype, eid in rows:
        if len(report.problems) >= max_problems:
            break
        if seq != expected:
            if seq > expected:
                report.blame_rows(f"event {expected} is missing (next stored event is "
                                  f"{seq})", expected, seq)
            else:
                report.blame_rows(f"event {seq} appears out of order", seq, seq)
            expected = seq
        if type(body) is not bytes:
            body = _bytes(body)
        h = sha(b"\x00" + body).digest()
        leaf = h
        if h != stored:
            stored = _bytes(stored)
            if h != stored:
                report.blame_rows(f"event {seq} was modified: its body no longer matches "
                                  "its hash", seq, seq)
                if len(stored) == 32:
                    leaf = stored  # what the nodes and checkpoints were built from
        # Canonical JSON sorts keys, so the body must start with its action,
        # actor and time and end with its entity and seq: exact byte comparisons
        # that cost a fraction of parsing it.
        try:
            if at != last_at:  # the events of one transaction share their time
                last_at, at_text = at, _at(at)
            head = (b'{"action":' + dumps(action) + b',"actor":' + dumps(actor)
                    + b',"at":"' + at_text + b'","data":')
            tail = (b',"entity":{"id":' + dumps(eid) + b',"type":' + dumps(etype)
                    + b'},"seq":' + str(seq).encode() + b"}")
        except TypeError:
            head = tail = b"\xff"  # a column of the wrong type cannot match
        if not (body.startswith(head) and body.endswith(tail)):
            report.fail(f"event {seq} was modified: its columns (time, actor, action or "
                        "entity) differ from its hashed body", seq)
        created = frontier.append(leaf)
        if stored_nodes is not None:
            for level, idx, node in created:
                if stored_nodes.take(level, idx) != node:
                    _node_problem(report, stored_nodes, level, idx)
        expected += 1
        while cp_i < len(cps) and cps[cp_i][0] == frontier.size:
            _check_cp(report, frontier, cps[cp_i], public)
            cp_i += 1
        if witness is not None and witness.size == frontier.size:
            _check_witness(report, frontier, witness)
    for size, _root, _note in cps[cp_i:]:
        if report.ok or size > frontier.size:
            report.fail(f"checkpoint at size {size} is beyond the log's {frontier.size} "
                        "events: events were deleted from the end", frontier.size + 1)
    if witness is not None and not report.witness_checked and witness.size > frontier.size:
        report.fail(f"the off-host witness signed {witness.size} events but only "
                    f"{frontier.size} are stored: events were deleted", frontier.size + 1)
    if report.ok and state_size != frontier.size:
        report.fail(f"log state says {state_size} events but {frontier.size} are stored",
                    min(state_size, frontier.size) + 1)
    if report.ok and state_root != frontier.root():
        report.fail("stored tree state does not match the events")
    if report.ok and stored_nodes is not None and node_count is not None \
            and node_count != stored_nodes.matched:
        report.fail(f"{node_count - stored_nodes.matched} stored Merkle node(s) belong to "
                    "no event: the node table was written to outside the log")
    report.size = frontier.size
    report.root = frontier.root().hex()
    return report


def _node_problem(report: VerifyReport, stored: _Nodes, level: int, idx: int) -> None:
    have = stored.last
    first, last = idx * (1 << level) + 1, (idx + 1) * (1 << level)
    if report.explained(first, last, by_nodes=True):  # a change below it shows here too
        return
    what = "is missing" if have is None else "does not match the events under it"
    report.nodes_blamed.append((first, last))
    report.fail(f"stored Merkle node ({level}, {idx}) over events {first}..{last} {what}: "
                "inclusion proofs through it fail (the node was altered, or an event in "
                "that range was rewritten together with its stored hash)", first)


def _check_cp(report: VerifyReport, frontier: Frontier, cp: tuple[int, bytes, str],
              public: Ed25519PublicKey | None) -> None:
    size, root, note = cp
    report.checkpoints_checked += 1
    if public is not None:
        parsed = parse_note(note)
        if parsed.size != size or parsed.root != bytes(root) or not verify_note(parsed, public):
            report.fail(f"checkpoint at size {size} has a bad signature")
            return
    if frontier.root() == bytes(root):
        report.matched_upto = size
        return
    # Every later root covers the same change: report the first mismatch only,
    # and none when a reported row (whose stored hash was altered) explains it.
    if not report.root_failed and not report.explained(1, size):
        first = report.matched_upto + 1
        report.fail(f"signed checkpoint at size {size} does not match the events: an event "
                    f"in {first}..{size} was rewritten together with its stored hash", first)
    report.root_failed = True


def _check_witness(report: VerifyReport, frontier: Frontier, witness: Checkpoint) -> None:
    report.witness_checked = True
    if frontier.root() == witness.root:
        return
    if not report.root_failed and not report.explained(1, witness.size):
        # The host's own checkpoints may have been re-signed: they bound nothing.
        report.fail(f"the log does not match the off-host witness at size {witness.size}: "
                    f"an event in 1..{witness.size} was rewritten, and the log's hashes "
                    "(and checkpoints, if any) on this host were recomputed to hide it", 1)
    report.root_failed = True
