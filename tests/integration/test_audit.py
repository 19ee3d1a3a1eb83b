"""The tamper-evident log: verify names the first bad event for every kind of tampering."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from pilotdeck.audit import merkle, verify
from pilotdeck.audit.checkpoint import load_public, parse_note, verify_note

Tamper = Callable[[object], None]


@pytest.fixture(autouse=True, params=[4, verify.BLOCK], ids=["block4", "block"])
def block(request, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Verify works a block at a time; blocks of 4 put every case across blocks:
    checkpoints inside a block, nodes above it (made by merging blocks), a short
    last block, and reads re-cut into blocks."""
    monkeypatch.setattr(verify, "BLOCK", request.param)


@pytest.fixture
def filled(platform, admin, demo_pilots):  # type: ignore[no-untyped-def]
    """16 pilot events, a checkpoint (event 17), then 3 more events."""
    platform.portfolio.import_path(demo_pilots, admin)
    platform.audit.checkpoint(admin)
    for name in ("legacy-faq-bot", "office-energy-optimizer", "resume-screening"):
        platform.portfolio.delete(name, admin)
    assert platform.audit.head().size == 20
    return platform


def sql(platform, statement: str, **params) -> None:  # type: ignore[no-untyped-def]
    with platform.store.engine.begin() as conn:
        conn.execute(text(statement), params)


def body_of(platform, seq: int) -> bytes:  # type: ignore[no-untyped-def]
    with platform.store.engine.connect() as conn:
        return bytes(conn.execute(text("SELECT body FROM audit_events WHERE seq = :s"),
                                  {"s": seq}).scalar_one())


def test_clean_log_verifies_with_checkpoints(filled) -> None:
    report = filled.audit.verify()
    assert report.ok, report.problems
    assert report.size == 20 and report.checkpoints_checked == 1


def test_edited_body_is_named(filled) -> None:
    b = body_of(filled, 5).replace(b'"actor":"local:tester"', b'"actor":"local:mallory"')
    sql(filled, "UPDATE audit_events SET body = :b WHERE seq = 5", b=b)
    report = filled.audit.verify()
    assert not report.ok and report.first_bad_event == 5


def test_edited_indexed_column_is_named(filled) -> None:
    sql(filled, "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 7")
    report = filled.audit.verify()
    assert not report.ok and report.first_bad_event == 7


def test_edit_with_recomputed_hash_is_caught_by_node_and_signed_checkpoint(filled) -> None:
    b = body_of(filled, 3).replace(b"local:tester", b"local:mallory")
    sql(filled, "UPDATE audit_events SET body = :b, leaf_hash = :h, actor = 'local:mallory' "
                "WHERE seq = 3", b=b, h=merkle.leaf_hash(b))
    report = filled.audit.verify()
    assert not report.ok
    assert report.first_bad_event == 3  # the stored node over events 3..4 names the pair
    assert "node (1, 1) over events 3..4" in report.problems[0]
    assert any("signed checkpoint at size 16" in p and "1..16" in p for p in report.problems)
    assert len(report.problems) == 2  # later checkpoints are not blamed again


def test_one_body_edit_names_only_that_event(filled) -> None:
    b = body_of(filled, 5).replace(b'"actor":"local:tester"', b'"actor":"local:mallory"')
    sql(filled, "UPDATE audit_events SET body = :b WHERE seq = 5", b=b)
    report = filled.audit.verify()
    assert report.first_bad_event == 5
    assert all(p.startswith("event 5 ") for p in report.problems), report.problems


def test_edited_time_is_named(filled) -> None:
    """Moving an event in time (which hides it from ``audit log --since``) is tampering."""
    with filled.store.engine.connect() as conn:
        at = conn.execute(text("SELECT at FROM audit_events WHERE seq = 6")).scalar_one()
    from datetime import datetime, timedelta

    moved = (at if isinstance(at, datetime) else datetime.fromisoformat(at)) - timedelta(days=30)
    sql(filled, "UPDATE audit_events SET at = :at WHERE seq = 6", at=moved)
    report = filled.audit.verify()
    assert not report.ok and report.first_bad_event == 6
    assert len(report.problems) == 1 and "time" in report.problems[0]


@pytest.mark.parametrize("level,idx,first,last", [(2, 1, 5, 8), (4, 0, 1, 16)])
@pytest.mark.parametrize("change", [
    "UPDATE audit_nodes SET hash = :h WHERE level = :l AND idx = :i",
    "DELETE FROM audit_nodes WHERE level = :l AND idx = :i"])
def test_corrupted_stored_node_is_named(filled, change: str, level: int, idx: int, first: int,
                                        last: int) -> None:
    """Proofs are served from stored nodes: a bad one breaks them, and verify says so."""
    size = filled.audit.head().size
    sql(filled, change, h=b"\x07" * 32, l=level, i=idx)
    if change.startswith("UPDATE"):
        seq = 1 if first > 1 else last + 1  # a proof with the node as a sibling
        p = filled.audit.proof(seq, size)
        assert not merkle.verify_inclusion(bytes.fromhex(p.leaf_hash), seq - 1, size,
                                           [bytes.fromhex(h) for h in p.path],
                                           bytes.fromhex(p.root))
    report = filled.audit.verify()
    assert not report.ok and report.first_bad_event == first
    assert len(report.problems) == 1
    assert f"node ({level}, {idx}) over events {first}..{last}" in report.problems[0]


def test_a_stray_stored_node_is_reported(filled) -> None:
    sql(filled, "INSERT INTO audit_nodes (level, idx, hash) VALUES (1, 500, :h)", h=b"x" * 32)
    report = filled.audit.verify()
    assert not report.ok and "belong to no event" in report.problems[0]


def test_deleted_event_is_named(filled) -> None:
    sql(filled, "DELETE FROM audit_events WHERE seq = 9")
    report = filled.audit.verify()
    assert not report.ok and report.first_bad_event == 9
    assert "event 9 is missing" in report.problems[0]


def test_deleted_tail_is_detected(filled) -> None:
    sql(filled, "DELETE FROM audit_events WHERE seq > 18")
    report = filled.audit.verify()
    assert not report.ok and report.first_bad_event == 19


def test_reordered_events_are_named(filled) -> None:
    b4, b6 = body_of(filled, 4), body_of(filled, 6)
    sql(filled, "UPDATE audit_events SET body = :b, leaf_hash = :h WHERE seq = 4",
        b=b6, h=merkle.leaf_hash(b6))
    sql(filled, "UPDATE audit_events SET body = :b, leaf_hash = :h WHERE seq = 6",
        b=b4, h=merkle.leaf_hash(b4))
    report = filled.audit.verify()
    assert not report.ok and report.first_bad_event == 4


def test_inserted_event_is_named(filled) -> None:
    # Make room at 11 by shifting 11.. up by one (two steps to dodge the primary key).
    sql(filled, "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 11")
    sql(filled, "UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000")
    forged = body_of(filled, 10).replace(b'"seq":10', b'"seq":11')
    sql(filled, "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, body, "
                "leaf_hash) SELECT 11, at, actor, action, entity_type, entity_id, :b, :h "
                "FROM audit_events WHERE seq = 10", b=forged, h=merkle.leaf_hash(forged))
    report = filled.audit.verify()
    assert not report.ok and report.first_bad_event == 12


def test_inclusion_and_consistency_proofs_verify_offline(filled, admin, tmp_path: Path) -> None:
    first = parse_note(filled.audit.checkpoints()[0].note)
    second = filled.audit.checkpoint(admin)
    key = load_public(filled.audit.public_key().encode())
    assert verify_note(first, key) and verify_note(second, key)
    for seq in (1, 7, 16, 20):
        p = filled.audit.proof(seq, second.size)
        assert p.root == second.root.hex()
        assert merkle.verify_inclusion(bytes.fromhex(p.leaf_hash), seq - 1, second.size,
                                       [bytes.fromhex(h) for h in p.path], second.root)
    old = filled.audit.proof(5, first.size)
    assert old.root == first.root.hex()
    c = filled.audit.consistency(first.size, second.size)
    assert merkle.verify_consistency(first.size, second.size, first.root, second.root,
                                     [bytes.fromhex(h) for h in c.path])
    forged = bytearray(first.signature)
    forged[0] ^= 1
    assert not verify_note(first.__class__(first.origin, first.size, first.root, first.time,
                                           first.key_id, bytes(forged)), key)


def test_checkpoint_is_idempotent_and_key_is_private(filled, admin) -> None:
    a = filled.audit.checkpoint(admin)
    b = filled.audit.checkpoint(admin)
    assert a.size == b.size == 20
    assert filled.audit.head().size == 21  # one record of the checkpoint, not two
    key_path = filled.settings.audit_key_path
    assert key_path.stat().st_mode & 0o777 == 0o600
