"""Lineage end to end, from the CLI and the API: register a model trained on a
dataset version, score a table with it, then ask both ways."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.cli import run_cli

PILOT = "churn-prediction"


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PILOTDECK_")},
            "PILOTDECK_HOME": str(tmp_path / "home"), "COLUMNS": "250"}


def test_dataset_to_model_to_batch_output_both_ways(
        tmp_path: Path, demo_pilots: Path, trained: dict[str, Any],
        cli_env: dict[str, str]) -> None:
    def pd(*args: str, code: int = 0) -> Any:
        r = run_cli(*args, env=cli_env)
        assert r.returncode == code, (args, r.stdout, r.stderr)
        return r

    pd("pilots", "import", str(demo_pilots / f"{PILOT}.yaml"))
    reference = tmp_path / "reference.parquet"
    trained["X"].to_parquet(reference)
    pd("models", "register", PILOT, "--path", str(trained["dir"] / "lr"),
       "--dataset", "churn_train@0", "--dataset", "a free-text label",
       "--reference", str(reference))
    scores = tmp_path / "scores.parquet"
    pd("batch", "score", PILOT, "--input", str(reference), "--output", str(scores),
       "--version", "1")

    up = json.loads(pd("lineage", "upstream", f"model:{PILOT}/1", "--format", "json").stdout)
    ids = {n["id"] for n in up["nodes"]}
    assert {"dataset:churn_train@0", f"file:{reference.resolve()}"} <= ids
    assert [r["job"] for r in up["runs"]] == ["model.register"]
    assert f"file:{scores.resolve()}" not in ids  # downstream, not up

    down = json.loads(pd("lineage", "downstream", "dataset:churn_train@0", "--format",
                         "json").stdout)
    ids = {n["id"] for n in down["nodes"]}
    assert {f"model:{PILOT}/1", f"file:{scores.resolve()}"} <= ids
    assert [r["job"] for r in down["runs"]] == ["model.register", "batch.score"]
    # Every version of the dataset, and a depth that stops after the registration.
    loose = json.loads(pd("lineage", "downstream", "dataset:churn_train", "--depth", "1",
                          "--format", "json").stdout)
    assert [r["job"] for r in loose["runs"]] == ["model.register"]

    # The reference table's profile build is recorded too.
    prof = json.loads(pd("lineage", "upstream", f"profile:{PILOT}.v1", "--format",
                         "json").stdout)
    assert [r["job"] for r in prof["runs"]] == ["profile.build"]

    card = json.loads(pd("models", "card", PILOT, "--version", "1", "--format",
                         "json").stdout)
    assert "dataset:churn_train@0" in card["lineageUpstream"]
    assert f"file:{scores.resolve()}" in card["lineageDownstream"]
    md = pd("models", "card", PILOT, "--version", "1", "--format", "md").stdout
    assert "Lineage, upstream: " in md and "dataset:churn_train@0" in md

    table = pd("lineage", "downstream", "dataset:churn_train@0").stdout
    assert "model.register" in table and "batch.score" in table
    dot = pd("lineage", "upstream", f"file:{scores.resolve()}", "--format", "dot").stdout
    assert dot.startswith("digraph lineage {") and '"dataset:churn_train@0"' in dot

    for bad in ("dataset:Churn", "model:churn-prediction/0", "table:x"):
        r = pd("lineage", "upstream", bad, code=1)
        assert r.stderr.startswith("error: invalid lineage node: node:"), r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    r = pd("lineage", "upstream", "dataset:x", "--format", "svg", code=2)
    assert "--format" in r.stderr
    r = pd("models", "register", PILOT, "--path", str(trained["dir"] / "lr"),
           "--dataset", "dataset:churn_train", code=1)
    assert r.stderr.startswith("error: invalid lineage node: datasets[0]:"), r.stderr


def test_the_api_answers_both_ways_and_refuses_hostile_nodes(
        tmp_path: Path, demo_pilots: Path) -> None:
    from pilotdeck.api.app import create_app
    from pilotdeck.auth.roles import local_admin
    from pilotdeck.config import Settings
    from pilotdeck.platform import Platform

    platform = Platform(Settings(home=tmp_path / "home", alert_interval_s=0))
    try:
        admin = local_admin("t")
        token = platform.access.create("v", "viewer", [], admin).token
        client = TestClient(create_app(platform))
        h = {"Authorization": f"Bearer {token}"}
        platform.lineage.record("model.register", ["dataset:raw@0"], [f"model:{PILOT}/1"])
        r = client.get("/v1/lineage/downstream", params={"node": "dataset:raw"}, headers=h)
        assert r.status_code == 200, r.text
        assert {n["id"] for n in r.json()["nodes"]} == {"dataset:raw", "dataset:raw@0",
                                                         f"model:{PILOT}/1"}
        r = client.get("/v1/lineage/upstream", params={"node": f"model:{PILOT}/1",
                                                       "depth": 0}, headers=h)
        assert r.status_code == 200 and r.json()["runs"] == []
        hostile = ["dataset:../../etc", "file:relative", "file:/a/../../etc/passwd",
                   "dataset:x@-1", "dataset:x@" + "9" * 40, "model:x/1e3", "job:a b",
                   "dataset:x\x00", "file:/" + "a" * 2000, "nokind", "profile:a/b",
                   "dataset:x'; DROP TABLE lineage_edges; --", "dataset:ℌ"]
        for node in hostile:
            r = client.get("/v1/lineage/upstream", params={"node": node}, headers=h)
            assert r.status_code == 422, (node, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            if len(node) > 12:
                assert node not in r.text
        r = client.get("/v1/lineage/upstream", params={"node": "dataset:x", "depth": -1},
                       headers=h)
        assert r.status_code == 422
        assert client.get("/v1/lineage/upstream", params={"node": "dataset:x"}
                          ).status_code == 401
        still = client.get("/v1/lineage/downstream", params={"node": "dataset:raw@0"},
                           headers=h).json()
        assert len(still["runs"]) == 1  # the SQL-looking node changed nothing
    finally:
        platform.close()
