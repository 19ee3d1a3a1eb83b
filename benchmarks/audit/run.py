"""Audit log benchmark: append throughput, full verify, inclusion-proof size and time.

Every number is printed next to a reference measured in the same run on the
same machine, so the ratios mean something on a noisy box:

- append: against inserting the same rows with plain executemany (no hashing);
- verify: against a plain SHA-256 pass over the same event bytes (the physical
  limit) and against just reading the rows back;
- proofs: size and time per proof as the tree grows (should grow as log n).

Usage: python benchmarks/audit/run.py [--sizes 100000,1000000] [--repeat 5] [--db-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from pilotdeck.adapters.store.db import Database
from pilotdeck.adapters.store.models import AuditEventRow
from pilotdeck.audit import merkle, verify
from pilotdeck.audit.log import utcnow
from pilotdeck.audit.report import VerifyReport
from pilotdeck.audit.rows import RowChecker
from pilotdeck.services.audit import AuditService

ACTOR = "local:bench"


def event_data(i: int) -> dict[str, Any]:
    """A realistic small event: a field change on a pilot."""
    return {"field": "spec.status", "before": "pilot", "after": "scaling", "n": i,
            "digest": hashlib.sha256(str(i).encode()).hexdigest()}


def append(db: Database, n: int, batch: int) -> float:
    start = time.perf_counter()
    done = 0
    while done < n:
        k = min(batch, n - done)
        with db.write() as uow:
            now = utcnow()
            for i in range(done, done + k):
                # Each event its own time, as when every change is its own request
                # (the worst case for verify: nothing repeats between rows).
                uow.audit.record(ACTOR, "pilot.updated", "pilot", f"p{i % 50}", event_data(i),
                                 now + timedelta(microseconds=i - done))
        done += k
    return time.perf_counter() - start


def plain_insert(db: Database, n: int, batch: int) -> float:
    """Reference: the same rows (precomputed bytes, fake hashes), no hashing, no tree."""
    rows = [{"seq": 10_000_000 + i, "at": utcnow(), "actor": ACTOR, "action": "pilot.updated",
             "entity_type": "pilot", "entity_id": f"p{i % 50}",
             "body": b"x" * 260, "leaf_hash": b"\0" * 32} for i in range(n)]
    start = time.perf_counter()
    for off in range(0, n, batch):
        with db.session() as s, s.begin():
            s.execute(insert(AuditEventRow.__table__), rows[off:off + batch])
    elapsed = time.perf_counter() - start
    with db.session() as s, s.begin():
        s.execute(text("DELETE FROM audit_events WHERE seq >= 10000000"))
    return elapsed


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>10,.0f}/s"


def bench_append(db: Database, n_single: int, n_batch: int) -> None:
    print("\n== append ==")
    t1 = append(db, n_single, 1)
    r1 = plain_insert(db, n_single, 1)
    print(f"single event per transaction  {rate(n_single, t1)}   plain insert {rate(n_single, r1)}"
          f"   ratio {t1 / r1:.2f}x")
    tb = append(db, n_batch, 1000)
    rb = plain_insert(db, n_batch, 1000)
    print(f"batched, 1000 per transaction {rate(n_batch, tb)}   plain insert {rate(n_batch, rb)}"
          f"   ratio {tb / rb:.2f}x   (target >= 20,000/s on SQLite)")


def grow_to(db: Database, size: int) -> None:
    with db.read() as uow:
        have = uow.audit_events.state().size
    if size > have:
        append(db, size - have, 5000)


def bench_verify(db: Database, svc: AuditService, size: int, repeat: int) -> None:
    """Full verify against the physical limit, interleaved ``repeat`` times: the
    median ratio and its spread (min-max), since one pair of runs on a noisy
    machine can be off by half either way."""
    with db.read() as uow:
        bodies = [bytes(r[1]) for batch in uow.audit_events.batches() for r in batch]
    total = sum(map(len, bodies))
    start = time.perf_counter()
    for b in bodies:
        hashlib.sha256(b).digest()
    in_memory = time.perf_counter() - start
    del bodies
    limits, fulls = [], []
    for _ in range(repeat):
        # The physical limit for a verifier: read every event's bytes from the same
        # database and hash each once.
        start = time.perf_counter()
        with db.read() as uow:
            for batch in uow.audit_events.batches():
                for row in batch:
                    hashlib.sha256(row[1]).digest()
        limits.append(time.perf_counter() - start)
        start = time.perf_counter()
        report = svc.verify()
        fulls.append(time.perf_counter() - start)
        assert report.ok and report.size >= size, report.problems
    ratios = sorted(f / lim for f, lim in zip(fulls, limits, strict=True))
    full, limit = statistics.median(fulls), statistics.median(limits)
    ratio = statistics.median(ratios)
    print(f"verify {report.size:>9,} events ({total / 1e6:,.0f} MB), median of {repeat}: "
          f"{full:6.2f}s | read+SHA-256 pass {limit:5.2f}s -> ratio "
          f"{ratio:4.2f}x (spread {ratios[0]:.2f}-{ratios[-1]:.2f}x; target <= 1.5x: "
          f"{'ok' if ratio <= 1.5 else 'MISSED'}) | SHA-256 of bytes already in memory "
          f"{in_memory:5.2f}s -> {full / in_memory:4.1f}x")
    verify_breakdown(db, full)


def verify_breakdown(db: Database, verified: float) -> None:
    """Where a full verify's time goes, stage by stage over the same blocks, and
    the floor for any verifier that also checks the stored Merkle nodes (proofs
    are served from them): read and hash every event, read and hash every
    interior node. Stages are timed apart, so they add up to a little more than
    the real run (each stage pays for its own pass over the block)."""
    t = dict.fromkeys(("read events", "leaf hashes", "seq/hash/column checks",
                       "interior node hashes", "read stored nodes"), 0.0)
    with db.read() as uow:
        repo = uow.audit_events
        batches = repo.batches(verify.BLOCK)
        begin = 0
        while True:
            start = time.perf_counter()
            block = next(batches, None)
            t["read events"] += time.perf_counter() - start
            if block is None:
                break
            start = time.perf_counter()
            leaves = merkle.leaf_hashes([r[1] for r in block])
            t["leaf hashes"] += time.perf_counter() - start
            rows = RowChecker(VerifyReport(), 20)
            rows.expected = begin + 1
            start = time.perf_counter()
            assert rows.check(block) == leaves
            t["seq/hash/column checks"] += time.perf_counter() - start
            start = time.perf_counter()
            tree = merkle.levels(leaves)
            t["interior node hashes"] += time.perf_counter() - start
            start = time.perf_counter()
            for level in range(1, len(tree)):
                repo.node_run(level, begin >> level, (begin >> level) + len(tree[level]))
            t["read stored nodes"] += time.perf_counter() - start
            begin += len(block)
    # The row check hashes the leaves too: show only what it adds.
    t["seq/hash/column checks"] -= t["leaf hashes"]
    floor = t["read events"] + t["leaf hashes"] + t["interior node hashes"] \
        + t["read stored nodes"]
    print("  where verify's time goes (each stage timed on its own):")
    for name, seconds in t.items():
        print(f"    {name:<24} {seconds:6.2f}s  {seconds / verified:5.0%}")
    print(f"    floor with stored-node checks (read+hash events and nodes) {floor:5.2f}s")


def bench_proofs(db: Database, svc: AuditService, sizes: list[int]) -> None:
    print("\n== inclusion proofs ==")
    rng = random.Random(7)
    for size in sizes:
        times, lens = [], []
        for _ in range(200):
            seq = rng.randint(1, size)
            start = time.perf_counter()
            p = svc.proof(seq, size)
            times.append(time.perf_counter() - start)
            lens.append(len(p.path))
            if len(times) == 1:
                assert merkle.verify_inclusion(bytes.fromhex(p.leaf_hash), seq - 1, size,
                                               [bytes.fromhex(h) for h in p.path],
                                               bytes.fromhex(p.root))
        print(f"tree {size:>9,}: proof {max(lens):>2} hashes ({max(lens) * 32:>4} bytes), "
              f"median {statistics.median(times) * 1e3:6.2f} ms   log2(n) = "
              f"{size.bit_length() - 1}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000",
                    help="tree sizes for verify (comma-separated)")
    ap.add_argument("--append-single", type=int, default=2000)
    ap.add_argument("--append-batch", type=int, default=100_000)
    ap.add_argument("--db-url", default=None, help="default: a temporary SQLite file")
    ap.add_argument("--repeat", type=int, default=5,
                    help="verify runs per size (median and spread reported)")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url)
        svc = AuditService(db, Path(tmp) / "key.pem")
        print(f"database: {db.backend}")
        bench_append(db, args.append_single, args.append_batch)
        print("\n== verify ==")
        proof_sizes: list[int] = []
        for size in sizes:
            grow_to(db, size)
            bench_verify(db, svc, size, args.repeat)
            proof_sizes.append(size)
        small = [s for s in (1_000, 10_000) if s < sizes[0]]
        bench_proofs(db, svc, small + proof_sizes)
        db.dispose()


if __name__ == "__main__":
    main()
