"""LineageService: real OpenLineage events, stored with the caller's transaction,
posted to a real local HTTP receiver after the commit, and a collector that is
down never failing the job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pilotdeck.config import Settings
from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.platform import Platform
from tests.contract.conftest import closed_port
from tests.lineage_receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _platform(tmp_path: Path, db_url: str, url: str = "") -> Platform:
    return Platform(Settings(home=tmp_path / "home", db_url=db_url, openlineage_url=url))


def test_an_event_is_stored_and_posted_as_a_valid_run_event(
        tmp_path: Path, db_url: str, receiver: Receiver) -> None:
    p = _platform(tmp_path, db_url, receiver.url)
    try:
        run = p.lineage.record("batch.score", ["dataset:raw@0", "model:churn/1"],
                               ["file:/srv/out/scores.parquet"],
                               facets={"rows": 10, "seconds": float("inf")})
        assert len(receiver.bodies) == 1 and p.lineage.sent == 1
        assert receiver.paths == ["/api/v1/lineage"]
        body = receiver.bodies[0]
        # The receiver's copy parses as an OpenLineage RunEvent with the client's classes.
        from openlineage.client.event_v2 import RunState

        assert body["eventType"] == RunState.COMPLETE.value
        assert body["run"]["runId"] == run.run_id
        assert body["job"] == {**body["job"], "namespace": "pilotdeck", "name": "batch.score"}
        assert body["producer"] and body["schemaURL"].startswith("https://openlineage.io/spec/")
        assert [(d["namespace"], d["name"], d.get("facets", {}).get("version", {}).get(
            "datasetVersion")) for d in body["inputs"]] == [
            ("pilotdeck", "datasets/raw", "0"), ("pilotdeck", "models/churn", "1")]
        assert [(d["namespace"], d["name"]) for d in body["outputs"]] == [
            ("file", "/srv/out/scores.parquet")]
        facts = body["run"]["facets"]["pilotdeck"]
        assert facts["rows"] == 10 and "seconds" not in facts  # never a bare Infinity
        assert p.lineage.events(run.run_id) == [body]  # stored exactly as sent
        _validate(body)
    finally:
        p.close()


def _validate(body: dict[str, Any]) -> None:
    """Rebuild the event with the OpenLineage client's classes (their validators check
    the run id is a UUID, the time ISO 8601, the event type known): the rebuilt
    event serialises back to exactly the received body, less pilotdeck's own facet."""
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.facet_v2 import dataset_version_dataset, job_type_job
    from openlineage.client.serde import Serde

    def facets(d: dict[str, Any]) -> dict[str, Any]:
        v = d.get("facets", {}).get("version")
        return {"version": dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=v["datasetVersion"])} if v else {}

    jt = body["job"]["facets"]["jobType"]
    rebuilt = RunEvent(
        eventType=RunState(body["eventType"]), eventTime=body["eventTime"],
        run=Run(runId=body["run"]["runId"]),
        job=Job(namespace=body["job"]["namespace"], name=body["job"]["name"], facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType=jt["processingType"], integration=jt["integration"],
                jobType=jt["jobType"])}),
        inputs=[InputDataset(namespace=d["namespace"], name=d["name"], facets=facets(d))
                for d in body["inputs"]],
        outputs=[OutputDataset(namespace=d["namespace"], name=d["name"], facets=facets(d))
                 for d in body["outputs"]],
        producer=body["producer"])
    expected = json.loads(json.dumps(body))
    expected["run"]["facets"] = {}
    assert Serde.to_dict(rebuilt) == expected


def test_a_collector_that_is_down_or_refusing_does_not_fail_the_job(
        tmp_path: Path, db_url: str, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    down = _platform(tmp_path, db_url, f"http://127.0.0.1:{closed_port()}")
    try:
        run = down.lineage.record("profile.build", ["file:/srv/in.parquet"],
                                  ["profile:churn.v1"])
        assert down.lineage.send_failures == 1 and down.lineage.sent == 0
        assert "not sent" in caplog.text
        # ... and it was stored all the same.
        g = down.lineage.downstream("file:/srv/in.parquet")
        assert [r.run_id for r in g.runs] == [run.run_id]
    finally:
        down.close()
    receiver.status = 500
    refusing = _platform(tmp_path, db_url, receiver.url)
    try:
        refusing.lineage.record("profile.build", ["file:/srv/in.parquet"], ["profile:x"])
        assert refusing.lineage.send_failures == 1 and len(receiver.bodies) == 1
    finally:
        refusing.close()


def test_inside_the_callers_unit_of_work_it_commits_or_rolls_back_with_it(
        tmp_path: Path, db_url: str, receiver: Receiver) -> None:
    p = _platform(tmp_path, db_url, receiver.url)
    try:
        with pytest.raises(RuntimeError), p.store.write() as uow:
            p.lineage.record("data.register", ["file:/a.parquet"], ["dataset:a@0"], uow=uow)
            raise RuntimeError("the registration failed")
        assert receiver.bodies == []  # nothing sent for what did not happen
        assert p.lineage.upstream("dataset:a").runs == []
        with p.store.write() as uow:
            p.lineage.record("data.register", ["file:/a.parquet"], ["dataset:a@0"], uow=uow)
            assert receiver.bodies == []  # not before the commit
        assert len(receiver.bodies) == 1
        assert [n.id for n in p.lineage.upstream("dataset:a@0").nodes] == [
            "dataset:a@0", "file:/a.parquet"]
    finally:
        p.close()


def test_a_failed_job_is_a_fail_event(tmp_path: Path, db_url: str) -> None:
    p = _platform(tmp_path, db_url)
    try:
        run = p.lineage.record("batch.score", ["dataset:a@0"], [], failed=True)
        assert run.event_type == "FAIL"
        assert p.lineage.events(run.run_id)[0]["eventType"] == "FAIL"
        assert p.lineage.downstream("dataset:a").runs[0].event_type == "FAIL"
    finally:
        p.close()


@pytest.mark.parametrize("job, inputs, outputs, field", [
    ("Batch Score", [], [], "job"),
    ("batch.score", ["dataset:A"], [], "inputs[0]"),
    ("batch.score", [], ["dataset:a", "model:x/0"], "outputs[1]"),
    ("batch.score", ["job:other"], [], "inputs"),
])
def test_bad_runs_are_refused_naming_the_field(tmp_path: Path, job: str, inputs: list[str],
                                               outputs: list[str], field: str) -> None:
    p = _platform(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(ValidationFailed) as err:
            p.lineage.record(job, inputs, outputs)
        assert err.value.errors[0].field == field
    finally:
        p.close()


def test_queries_walk_both_ways_and_render_as_dot(tmp_path: Path, db_url: str) -> None:
    from pilotdeck.render.lineage import to_dot

    p = _platform(tmp_path, db_url)
    try:
        reg = p.lineage.record("model.register", ["dataset:raw@0"], ["model:churn/1"])
        p.lineage.record("batch.score", ["model:churn/1"], ['file:/o/"x".parquet'])
        down = p.lineage.downstream("dataset:raw@0")
        assert {n.id for n in down.nodes} == {"dataset:raw@0", "model:churn/1",
                                              'file:/o/"x".parquet'}
        assert {"source": "dataset:raw@0", "target": reg.run_id} in [
            e.dump() for e in down.edges]
        assert [r.job for r in p.lineage.downstream("dataset:raw@0", 1).runs] == [
            "model.register"]
        up = p.lineage.upstream("model:churn/1")
        assert {n.id for n in up.nodes} == {"dataset:raw@0", "model:churn/1"}
        dot = to_dot(down)
        assert dot.startswith("digraph lineage {") and '"file:/o/\\"x\\".parquet"' in dot
        with pytest.raises(ValidationFailed):
            p.lineage.upstream("model:churn/1", depth=-1)
    finally:
        p.close()
