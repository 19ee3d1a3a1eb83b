"""Standing concurrency suite: 8 writers doing read-modify-write at once.

Each writer reads, changes and writes back with the revision it read
(``expected_revision`` in the library, ``If-Match`` over HTTP), retrying on a
conflict. Every increment must survive (0 lost updates), each revision must be
written exactly once, and the audit log must stay gap-free and verify; on
SQLite and on PostgreSQL (``platform`` runs on both), in process and through
the API over real sockets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pilotdeck import Client
from pilotdeck.domain.errors import PreconditionFailed
from pilotdeck.domain.pilot import PilotManifest
from pilotdeck.domain.serving import DeploymentSpec
from tests.governance import minimal_risk
from tests.integration.conftest import start_api, stop
from tests.integration.test_revisions import PILOT, SPEC, with_versions

# 8 writers as the issue asks; rounds kept small so the suite stays fast on
# 2 shared cores (every round of 8 racing writers already costs ~8 attempts).
WRITERS, ROUNDS, API_ROUNDS = 8, 6, 4


def at_once(work: Callable[[int], int]) -> int:
    """Run ``work(i)`` in WRITERS threads started together; total conflicts seen."""
    barrier = threading.Barrier(WRITERS)
    conflicts: list[int] = []
    errors: list[BaseException] = []

    def main(i: int) -> None:
        barrier.wait()
        try:
            conflicts.append(work(i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=main, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors[:3]
    assert len(conflicts) == WRITERS
    return sum(conflicts)


def bump(doc: dict[str, Any]) -> dict[str, Any]:
    doc["spec"]["economics"]["costToDate"] += 1
    return doc


def assert_nothing_lost(platform: Any, before: Any, updates: int) -> None:
    after = platform.portfolio.get(PILOT)
    assert (after.spec.economics.cost_to_date - before.spec.economics.cost_to_date
            == updates), "lost updates"
    assert after.record.revision == before.record.revision + updates
    events = platform.audit.log(entity_type="pilot", entity_id=PILOT, action="pilot.updated",
                                limit=1000)
    revisions = sorted(e.data["revision"] for e in events)
    assert revisions == list(range(before.record.revision + 1, after.record.revision + 1))
    report = platform.audit.verify()
    assert report.ok, report.problems


@pytest.fixture
def filled(platform: Any, admin: Any, demo_pilots: Path) -> Any:
    platform.portfolio.import_path(demo_pilots / f"{PILOT}.yaml", admin)
    minimal_risk(platform, PILOT)  # so its deployments may take live traffic
    return platform


def test_library_writers_lose_nothing(filled: Any, admin: Any) -> None:
    before = filled.portfolio.get(PILOT)

    def writer(_: int) -> int:
        conflicts = 0
        for _round in range(ROUNDS):
            while True:
                read = filled.portfolio.get(PILOT)
                doc = PilotManifest.model_validate(bump(read.manifest()))
                try:
                    filled.portfolio.put(doc, admin, expected_revision=read.record.revision)
                    break
                except PreconditionFailed:
                    conflicts += 1
        return conflicts

    conflicts = at_once(writer)
    assert conflicts > 0, "the writers never overlapped: the suite tested nothing"
    assert_nothing_lost(filled, before, WRITERS * ROUNDS)


def test_api_writers_lose_nothing(filled: Any, admin: Any) -> None:
    before = filled.portfolio.get(PILOT)
    server, base = start_api(filled)
    try:
        tokens = [filled.access.create(f"writer-{i}", "admin", [], admin).token
                  for i in range(WRITERS)]

        def writer(i: int) -> int:
            with Client(base, tokens[i]) as pd:
                for _round in range(API_ROUNDS):
                    # read, change, PUT with If-Match; on 412 read again
                    pd.pilots.update(PILOT, bump, attempts=10_000)
            return 0

        at_once(writer)
    finally:
        stop(server)
    assert_nothing_lost(filled, before, WRITERS * API_ROUNDS)


def test_deployment_writers_lose_nothing(filled: Any, admin: Any) -> None:
    """The counter rides in the deployment's fallback default."""
    with_versions(filled)
    spec = dict(SPEC, fallback={"to": "default", "default": 0})
    start = filled.models.deploy(PILOT, DeploymentSpec.parse(spec), admin).revision
    rounds = API_ROUNDS

    def writer(_: int) -> int:
        conflicts = 0
        for _round in range(rounds):
            while True:
                dep = filled.models.deployment(PILOT)
                doc = dep.spec.document()
                doc["fallback"]["default"] += 1
                try:
                    filled.models.deploy(PILOT, DeploymentSpec.parse(doc), admin,
                                         expected_revision=dep.revision)
                    break
                except PreconditionFailed:
                    conflicts += 1
        return conflicts

    at_once(writer)
    dep = filled.models.deployment(PILOT)
    assert dep.spec.fallback.default == WRITERS * rounds
    assert dep.revision == start + WRITERS * rounds
    assert filled.audit.verify().ok
