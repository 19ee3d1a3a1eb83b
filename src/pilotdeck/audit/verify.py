"""Re-derive the whole log from the stored events and say where it breaks.

One streaming pass: for each row, hash the canonical body, compare with the
stored leaf hash, check the body's own ``seq`` and the indexed columns, and
feed the frontier; at every checkpoint size compare roots and signatures.
Memory stays flat (keyset pagination), cost is ~2 SHA-256 per event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pilotdeck.audit.checkpoint import parse_note, verify_note
from pilotdeck.audit.merkle import Frontier


@dataclass
class VerifyReport:
    ok: bool = True
    size: int = 0
    root: str = ""
    checkpoints_checked: int = 0
    first_bad_event: int | None = None
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str, event: int | None = None) -> None:
        self.ok = False
        if event is not None and self.first_bad_event is None:
            self.first_bad_event = event
        self.problems.append(problem)

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


def verify_log(rows: Iterable[tuple[Any, ...]], checkpoints: list[tuple[int, bytes, str]],
               state_size: int, state_root: bytes, public: Ed25519PublicKey | None,
               max_problems: int = 20) -> VerifyReport:
    """``rows`` are (seq, body, leaf_hash, actor, action, entity_type, entity_id)."""
    report = VerifyReport()
    frontier = Frontier()
    cps = sorted(checkpoints)
    cp_i = 0
    sha = hashlib.sha256
    expected = 1
    dumps = orjson.dumps
    for seq, body, stored, actor, action, etype, eid in rows:
        if len(report.problems) >= max_problems:
            break
        if seq != expected:
            if seq > expected:
                report.fail(f"event {expected} is missing (next stored event is {seq})", expected)
            else:
                report.fail(f"event {seq} appears out of order", seq)
            expected = seq
        if type(body) is not bytes:
            body = _bytes(body)
        h = sha(b"\x00" + body).digest()
        if h != stored and h != _bytes(stored):
            report.fail(f"event {seq} was modified: its body no longer matches its hash", seq)
        # Canonical JSON sorts keys, so the body must start with its action and
        # actor and end with its entity and seq: exact byte comparisons that
        # cost a fraction of parsing it.
        try:
            head = b'{"action":' + dumps(action) + b',"actor":' + dumps(actor) + b',"at":'
            tail = (b',"entity":{"id":' + dumps(eid) + b',"type":' + dumps(etype)
                    + b'},"seq":' + str(seq).encode() + b"}")
        except TypeError:
            head = tail = b"\xff"  # a column of the wrong type cannot match
        if not (body.startswith(head) and body.endswith(tail)):
            report.fail(f"event {seq} was modified: its columns differ from its hashed body",
                        seq)
        frontier.append(h)
        expected += 1
        while cp_i < len(cps) and cps[cp_i][0] == frontier.size:
            _check_cp(report, frontier, cps[cp_i], public, cps[cp_i - 1][0] if cp_i else 0)
            cp_i += 1
    for size, _root, _note in cps[cp_i:]:
        if report.ok or size > frontier.size:
            report.fail(f"checkpoint at size {size} is beyond the log's {frontier.size} "
                        "events: events were deleted from the end", frontier.size + 1)
    if report.ok and state_size != frontier.size:
        report.fail(f"log state says {state_size} events but {frontier.size} are stored",
                    min(state_size, frontier.size) + 1)
    if report.ok and state_root != frontier.root():
        report.fail("stored tree state does not match the events")
    report.size = frontier.size
    report.root = frontier.root().hex()
    return report


def _check_cp(report: VerifyReport, frontier: Frontier, cp: tuple[int, bytes, str],
              public: Ed25519PublicKey | None, previous: int) -> None:
    size, root, note = cp
    report.checkpoints_checked += 1
    if public is not None:
        parsed = parse_note(note)
        if parsed.size != size or parsed.root != bytes(root) or not verify_note(parsed, public):
            report.fail(f"checkpoint at size {size} has a bad signature")
            return
    if frontier.root() != bytes(root):
        report.fail(f"signed checkpoint at size {size} does not match the events: an event "
                    f"in {previous + 1}..{size} was rewritten together with its stored hash",
                    previous + 1)
