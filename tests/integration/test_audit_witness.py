"""What an off-host witness adds: a host attacker who can rewrite the database
and read (or replace) the signing key can make a plain ``audit verify`` pass;
a checkpoint note and public key kept elsewhere still catch it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from pilotdeck.audit import merkle
from pilotdeck.audit.checkpoint import load_or_create_key, sign
from pilotdeck.domain.canonical import canonical_json, loads
from pilotdeck.domain.errors import ValidationFailed
from tests.cli import run_cli


@pytest.fixture
def witnessed(platform: Any, admin: Any, demo_pilots: Path) -> tuple[Any, str, bytes]:
    """16 pilot events and a checkpoint (event 17); the auditor took its note and
    the public key off-host; then 3 more events."""
    platform.portfolio.import_path(demo_pilots, admin)
    platform.audit.checkpoint(admin)
    note = platform.audit.export_checkpoint()
    public = platform.audit.public_key().encode()
    for name in ("legacy-faq-bot", "office-energy-optimizer", "resume-screening"):
        platform.portfolio.delete(name, admin)
    return platform, note, public


def rewrite_history(platform: Any, seq: int, key: Any) -> None:
    """What a host attacker can do: change event ``seq``, then recompute every
    leaf hash, node, checkpoint-event root and tree state, and re-sign every
    checkpoint with ``key``."""
    with platform.store.engine.begin() as conn:
        rows = conn.execute(text("SELECT seq, body, action FROM audit_events ORDER BY seq")).all()
        cps = {size for (size,) in conn.execute(text("SELECT size FROM audit_checkpoints"))}
        f, nodes = merkle.Frontier(), []
        for s, body, action in rows:
            doc = loads(bytes(body))
            if s == seq:
                doc["actor"] = "local:someone-else"
            if action == "audit.checkpoint":  # it records the root it follows
                doc["data"]["root"] = f.root().hex()
            new = canonical_json(doc)
            conn.execute(text("UPDATE audit_events SET body = :b, leaf_hash = :h, actor = :a "
                              "WHERE seq = :s"),
                         {"b": new, "h": merkle.leaf_hash(new), "a": doc["actor"], "s": s})
            nodes += f.append(merkle.leaf_hash(new))
            if f.size in cps:
                cp = sign(key, platform.settings.audit_origin, f.size, f.root(),
                          datetime.now(UTC))
                conn.execute(text("UPDATE audit_checkpoints SET root = :r, key_id = :k, "
                                  "signed_note = :n WHERE size = :s"),
                             {"r": cp.root, "k": cp.key_id, "n": cp.note(), "s": f.size})
        conn.execute(text("DELETE FROM audit_nodes"))
        for level, idx, h in nodes:
            conn.execute(text("INSERT INTO audit_nodes (level, idx, hash) VALUES (:l, :i, :h)"),
                         {"l": level, "i": idx, "h": h})
        conn.execute(text("UPDATE audit_state SET size = :s, frontier = :f WHERE id = 1"),
                     {"s": f.size, "f": b"".join(f.hashes)})


def test_clean_log_matches_its_witness(witnessed: Any) -> None:
    platform, note, public = witnessed
    report = platform.audit.verify(witness=note, public_key=public)
    assert report.ok, report.problems
    assert report.witness == 16 and report.checkpoints_checked == 1


def test_rewrite_with_the_host_key_is_caught_only_by_the_witness(witnessed: Any) -> None:
    platform, note, public = witnessed
    rewrite_history(platform, 3, load_or_create_key(platform.settings.audit_key_path))
    assert platform.audit.verify().ok  # the host's own checks cannot see it
    report = platform.audit.verify(witness=note, public_key=public)
    assert not report.ok and report.first_bad_event == 1
    assert report.problems == [p for p in report.problems if "off-host witness at size 16" in p]


def test_a_replaced_host_key_is_caught_by_the_off_host_key(witnessed: Any) -> None:
    platform, note, public = witnessed
    key_path = platform.settings.audit_key_path
    key_path.unlink()
    rewrite_history(platform, 3, load_or_create_key(key_path))  # a new key, re-signed
    assert platform.audit.verify().ok
    report = platform.audit.verify(public_key=public)
    assert not report.ok and "checkpoint at size 16 has a bad signature" in report.problems[0]


def test_a_deleted_tail_is_caught_by_a_newer_witness(witnessed: Any, admin: Any) -> None:
    platform, _, public = witnessed
    platform.audit.checkpoint(admin)
    newer = platform.audit.export_checkpoint()  # signs size 20
    with platform.store.engine.begin() as conn:  # drop events 19.. and the checkpoint
        conn.execute(text("DELETE FROM audit_events WHERE seq > 18"))
        conn.execute(text("DELETE FROM audit_checkpoints WHERE size > 18"))
    rewrite_history(platform, 0, load_or_create_key(platform.settings.audit_key_path))
    assert platform.audit.verify().ok
    report = platform.audit.verify(witness=newer, public_key=public)
    assert not report.ok and "only 18 are stored" in report.problems[0]


def test_a_witness_needs_a_key_that_signed_it(witnessed: Any, tmp_path: Path) -> None:
    platform, note, _ = witnessed
    with pytest.raises(ValidationFailed):
        platform.audit.verify(witness=note)
    other = load_or_create_key(tmp_path / "other.key")
    from pilotdeck.audit.checkpoint import public_pem

    report = platform.audit.verify(witness=note, public_key=public_pem(other).encode())
    assert not report.ok and "not signed by the given key" in report.problems[0]


def test_cli_export_and_verify_with_witness(witnessed: Any, tmp_path: Path) -> None:
    platform, _, public = witnessed
    env = {"PILOTDECK_HOME": str(platform.settings.home),
           "PILOTDECK_DB_URL": platform.settings.db_url}
    note, key = tmp_path / "witness.txt", tmp_path / "audit.pub"
    key.write_bytes(public)
    out = run_cli("audit", "checkpoint", "export", "--out", str(note), env=env)
    assert out.returncode == 0 and out.stdout == note.read_text()
    assert note.read_text().startswith("pilotdeck-checkpoint/v1\n")
    signed = run_cli("audit", "checkpoint", env=env)  # signing still works as before
    assert signed.returncode == 0 and "size: 20" in signed.stdout
    ok = run_cli("audit", "verify", "--witness", str(note), "--public-key", str(key), env=env)
    assert ok.returncode == 0 and "off-host witness at size 16" in ok.stdout
    rewrite_history(platform, 3, load_or_create_key(platform.settings.audit_key_path))
    bad = run_cli("audit", "verify", "--witness", str(note), "--public-key", str(key), env=env)
    assert bad.returncode == 1 and "off-host witness" in bad.stderr
    usage = run_cli("audit", "verify", "--witness", str(note), env=env)
    assert usage.returncode == 2
