"""Contract of the metadata-store port (``domain/ports/store.py``), run against
every implementation: SQLAlchemy on SQLite and on the real PostgreSQL.

A new store implementation must pass this file unchanged."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from pilotdeck.domain.errors import NotFound, PreconditionFailed
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.query import PilotFilter

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """Every store implementation (``db_url`` is parametrised over SQLite and
    PostgreSQL in tests/conftest.py; in CI an unreachable PostgreSQL fails)."""
    from pilotdeck.adapters.store.db import Database

    s: Store = Database(db_url)
    yield s
    s.dispose()


def _pilot(uow, name: str = "churn", bu: str = "Retail", status: str = "pilot"):  # type: ignore[no-untyped-def]
    return uow.pilots.add(name=name, business_unit=bu, owner="ana@example.com", status=status,
                          manifest={"metadata": {"name": name}}, digest="d" * 64, now=T0)


def test_backend_and_ping(store: Store) -> None:
    assert store.backend in ("sqlite", "postgresql")
    store.ping()


def test_a_write_and_its_audit_event_commit_together(store: Store) -> None:
    with store.write() as uow:
        _pilot(uow)
        uow.audit.record("ana", "pilot.created", "pilot", "churn", {"x": 1})
    with store.read() as uow:
        assert uow.pilots.get("churn").business_unit == "Retail"
        events = uow.audit_events.events(entity_id="churn")
        assert [(e.seq, e.action) for e in events] == [(1, "pilot.created")]


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write() as uow:
        _pilot(uow)
        uow.audit.record("ana", "pilot.created", "pilot", "churn")
        raise RuntimeError("boom")
    with store.read() as uow:
        assert uow.pilots.find("churn") is None
        assert uow.audit_events.count() == 0


def test_a_read_never_persists_changes(store: Store) -> None:
    with store.write() as uow:
        _pilot(uow)
    with store.read() as uow:
        uow.pilots.get("churn").owner = "mallory@example.com"
    with store.read() as uow:
        assert uow.pilots.get("churn").owner == "ana@example.com"


def test_pilots_find_filter_count_and_delete(store: Store) -> None:
    with store.write() as uow:
        _pilot(uow, "a-one", "Retail", "pilot")
        _pilot(uow, "b-two", "retail", "production")
        _pilot(uow, "c-three", "Risk", "pilot")
    with store.read() as uow:
        with pytest.raises(NotFound):
            uow.pilots.get("nope")
        assert set(uow.pilots.by_names(["a-one", "c-three", "zz"])) == {"a-one", "c-three"}
        retail = PilotFilter(business_unit="RETAIL")  # case-insensitive
        assert [r.name for r in uow.pilots.list(retail)] == ["a-one", "b-two"]
        assert uow.pilots.count(retail) == 2
        assert [r.name for r in uow.pilots.list(PilotFilter(), limit=1, offset=1)] == ["b-two"]
        assert uow.pilots.count(PilotFilter(status="pilot", names=frozenset({"c-three"}))) == 1
    with store.write() as uow:
        uow.pilots.delete(uow.pilots.get("b-two"))
    with store.read() as uow:
        assert uow.pilots.count(PilotFilter()) == 2


def test_model_versions_and_deployment_revisions(store: Store) -> None:
    with store.write() as uow:
        pid = _pilot(uow).id
        for v in (1, 2):
            uow.models.add_version(pilot_id=pid, version=v, run_id=None, source=f"s{v}",
                                   signature={"inputs": []}, metrics={"auc": 0.8},
                                   datasets=["d@v1"], registered_at=T0, registered_by="ana")
        first = uow.models.save_deployment(pid, {"variants": [1]}, T0, "ana")
        assert first.revision == 1
    with store.write() as uow:
        again = uow.models.save_deployment(pid, {"variants": [2]}, T0, "bob")
        assert again.revision == 2
    with store.read() as uow:
        assert [m.version for m in uow.models.versions(pid)] == [1, 2]
        assert uow.models.version(pid, 2).metrics == {"auc": 0.8}
        assert uow.models.version(pid, 3) is None
        assert uow.models.deployments() == [("churn", 2, {"variants": [2]})]
        assert uow.models.revisions() == {"churn": 2}
        assert uow.models.deployment(pid).updated_by == "bob"


def test_pilot_update_and_delete_are_compare_and_set(store: Store) -> None:
    with store.write() as uow:
        row = _pilot(uow)
        assert uow.pilots.update(row, 1, owner="bo@example.com") == 2
        # The same expected revision again: the row is at 2 now, so nothing matches.
        with pytest.raises(PreconditionFailed, match="revision 1"):
            uow.pilots.update(row, 1, owner="mallory@example.com")
        with pytest.raises(PreconditionFailed):
            uow.pilots.delete(row, expected=1)
    with store.read() as uow:
        row = uow.pilots.get("churn")
        assert (row.owner, row.revision) == ("bo@example.com", 2)
    with store.write() as uow:
        uow.pilots.delete(uow.pilots.get("churn"), expected=2)
    with store.read() as uow:
        assert uow.pilots.find("churn") is None


def test_deployment_save_is_compare_and_set(store: Store) -> None:
    with store.write() as uow:
        pid = _pilot(uow).id
        assert uow.models.save_deployment(pid, {"v": 1}, T0, "ana", first=5).revision == 5
        assert uow.models.save_deployment(pid, {"v": 2}, T0, "bo", expected=5).revision == 6
        with pytest.raises(PreconditionFailed, match="churn"):
            uow.models.save_deployment(pid, {"v": 3}, T0, "mallory", expected=5)
    with store.read() as uow:
        dep = uow.models.deployment(pid)
        assert (dep.spec, dep.revision, dep.updated_by) == ({"v": 2}, 6, "bo")


def test_alert_update_is_compare_and_set(store: Store) -> None:
    with store.write() as uow:
        row = uow.alerts.add(fingerprint="f" * 32, rule="r", pilot="churn", metric="m",
                             scope={}, severity="warning", status="open", value=1.0,
                             threshold=0.5, comparison=">", count=1, first_seen=T0,
                             last_seen=T0, actions=[])
        assert row.revision == 1
        assert uow.alerts.update(row, count=2) == 2
        with pytest.raises(PreconditionFailed):
            uow.alerts.update(row, 1, status="resolved")
    with store.read() as uow:
        alert = uow.alerts.get(row.id)
        assert (alert.count, alert.status, alert.revision) == (2, "open", 2)


def test_changes_counts_the_events_of_one_entity(store: Store) -> None:
    with store.write() as uow:
        for action in ("pilot.created", "pilot.updated", "pilot.deleted"):
            uow.audit.record("ana", action, "pilot", "churn")
        uow.audit.record("ana", "pilot.created", "pilot", "other")
    with store.read() as uow:
        assert uow.audit_events.changes("pilot", "churn") == 3
        assert uow.audit_events.changes("deployment", "churn") == 0


def test_tokens_by_hash_revocation_and_admin(store: Store) -> None:
    with store.write() as uow:
        assert not uow.tokens.any_admin()
        a = uow.tokens.add(user="ana", role="admin", pilots=[], token_hash="h1", prefix="pd_a",
                           now=T0, created_by="root")
        b = uow.tokens.add(user="bo", role="pilot-team", pilots=["churn"], token_hash="h2",
                           prefix="pd_b", now=T0, created_by="ana")
        b.revoked_at = T0
    with store.read() as uow:
        assert uow.tokens.any_admin()
        assert uow.tokens.by_hash("h2").pilots == ["churn"]
        assert uow.tokens.by_hash("nope") is None
        assert [t.id for t in uow.tokens.list()] == [a.id]
        assert [t.id for t in uow.tokens.list(include_revoked=True)] == [a.id, b.id]
        assert uow.tokens.get(b.id).revoked_at is not None


def test_alerts_and_assessments(store: Store) -> None:
    with store.write() as uow:
        alert = uow.alerts.add(fingerprint="f" * 32, rule="r", pilot="churn", metric="m",
                               scope={}, severity="warning", status="open", value=1.0,
                               threshold=0.5, comparison=">", count=1, first_seen=T0,
                               last_seen=T0, actions=[])
        for i, level in enumerate((2, 3)):
            uow.assessments.add(scope="organisation", pilot_id=None, model_name="m",
                                assessed_at=T0 + timedelta(days=i), assessor="ana",
                                overall_level=level, result={"level": level})
    with store.read() as uow:
        assert uow.alerts.open_by_fingerprint("f" * 32).id == alert.id
        assert uow.alerts.get(alert.id).rule == "r"
        assert [a.id for a in uow.alerts.list(pilot="churn", status="open")] == [alert.id]
        assert uow.alerts.list(status="resolved") == []
        assert uow.assessments.latest("organisation").overall_level == 3
        assert [a.overall_level for a in uow.assessments.history("organisation")] == [3, 2]
        assert set(uow.assessments.latest_by_scope()) == {"organisation"}


def test_concurrent_writers_leave_a_gapless_audit_log(store: Store) -> None:
    errors: list[BaseException] = []

    def writer(who: str) -> None:
        try:
            for i in range(10):
                with store.write() as uow:
                    uow.audit.record(who, "test.event", "test", f"{who}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with store.read() as uow:
        seqs = [e.seq for e in uow.audit_events.events(limit=100)]
    assert seqs == list(range(1, 31))
