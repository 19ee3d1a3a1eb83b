"""Contract of the lineage repository (``uow.lineage``) on SQLite and PostgreSQL:
events stored with their edges, both directions answered by index lookups,
and a lineage row that rolls back with its unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from pilotdeck.domain.lineage import Node, parse_node
from pilotdeck.domain.ports.store import Store

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    from pilotdeck.adapters.store.db import Database

    s: Store = Database(db_url)
    yield s
    s.dispose()


def _add(uow, run_id: str, job: str, ins: list[str], outs: list[str],  # type: ignore[no-untyped-def]
         event_type: str = "COMPLETE") -> None:
    uow.lineage.add(run_id=run_id, job=job, event_type=event_type, event_time=T0,
                    event={"runId": run_id, "inputs": ins}, inputs=[parse_node(n) for n in ins],
                    outputs=[parse_node(n) for n in outs])


def test_runs_are_found_from_either_side(store: Store) -> None:
    with store.write() as uow:
        _add(uow, "r1", "model.register", ["dataset:raw@0"], ["model:churn/1"])
        _add(uow, "r2", "batch.score", ["model:churn/1", "dataset:raw@1"],
             ["file:/out/s.parquet"])
    with store.read() as uow:
        down = uow.lineage.runs_touching(frozenset({Node("dataset", "raw", 0)}), "downstream")
        assert [r.run_id for r in down] == ["r1"]
        assert down[0].outputs == (Node("model", "churn", 1),)
        every = uow.lineage.runs_touching(frozenset({Node("dataset", "raw")}), "downstream")
        assert sorted(r.run_id for r in every) == ["r1", "r2"]
        up = uow.lineage.runs_touching(frozenset({Node("model", "churn", 1)}), "upstream")
        assert [r.run_id for r in up] == ["r1"]
        reads = uow.lineage.runs_touching(frozenset({Node("model", "churn", 1)}), "downstream")
        assert [r.run_id for r in reads] == ["r2"]
        assert set(reads[0].inputs) == {Node("model", "churn", 1), Node("dataset", "raw", 1)}
        jobs = uow.lineage.runs_touching(frozenset({Node("job", "batch.score")}), "upstream")
        assert [r.run_id for r in jobs] == ["r2"]
        assert uow.lineage.runs_touching(frozenset({Node("dataset", "ra")}), "downstream") == []
        assert uow.lineage.events("r1") == [{"runId": "r1", "inputs": ["dataset:raw@0"]}]


def test_a_later_event_of_a_run_updates_its_state_not_its_edges(store: Store) -> None:
    with store.write() as uow:
        _add(uow, "r1", "j", ["dataset:a@0"], ["dataset:b@0"], "START")
        _add(uow, "r1", "j", ["dataset:a@0"], ["dataset:b@0"], "COMPLETE")
    with store.read() as uow:
        (run,) = uow.lineage.runs_touching(frozenset({Node("dataset", "a", 0)}), "downstream")
        assert run.event_type == "COMPLETE" and run.outputs == (Node("dataset", "b", 0),)
        assert len(uow.lineage.events("r1")) == 2


def test_lineage_rolls_back_with_its_unit_of_work_and_after_commit_waits(store: Store) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError), store.write() as uow:
        _add(uow, "r1", "j", ["dataset:a@0"], ["dataset:b@0"])
        uow.after_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("the job failed")
    with store.write() as uow:
        uow.after_commit(lambda: ran.append("committed"))
        assert ran == []  # not before the commit
    assert ran == ["committed"]
    with store.read() as uow:
        assert uow.lineage.runs_touching(frozenset({Node("dataset", "a")}), "downstream") == []


def test_a_long_file_path_and_a_unicode_one_round_trip(store: Store) -> None:
    long = "file:/" + "/".join(["d" * 50] * 20)
    odd = "file:/srv/données/naïve ' \" ;--.parquet"
    with store.write() as uow:
        _add(uow, "r1", "j", [long], [odd])
    with store.read() as uow:
        (run,) = uow.lineage.runs_touching(frozenset({parse_node(odd)}), "upstream")
        assert [str(n) for n in run.inputs] == [long]
