"""The readiness checklist on a bare pilot (memory registry): each item answers
from the platform's evidence, and what blocks which stage follows the rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from pilotdeck.auth.roles import local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.errors import NotFound
from pilotdeck.domain.readiness import DEFAULT_BLOCKS, ITEM_IDS, Finding, Stage, Status, blocking
from pilotdeck.platform import Platform
from tests.cli import run_cli
from tests.governance import minimal_risk
from tests.service.test_registry_service import MLMODEL  # what the memory registry reads

DEMO = Path(__file__).resolve().parents[2] / "src" / "pilotdeck" / "demo" / "pilots"
PILOT = "churn-prediction"
ADMIN = local_admin("tester")


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = Platform(Settings(home=tmp_path / "home", db_url=f"sqlite:///{tmp_path / 'db'}",
                          mlflow_uri="memory://"))
    p.portfolio.import_path(DEMO / f"{PILOT}.yaml", ADMIN)
    model = tmp_path / "model"
    model.mkdir()
    (model / "MLmodel").write_text(MLMODEL)
    p.models.register(PILOT, ADMIN, path=model)  # v1: no metrics, no catalogued data
    data = tmp_path / "train.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]}), data)
    p.datasets.register("churn_train", data, ADMIN, owner="crm")
    p.models.register(PILOT, ADMIN, path=model, metrics={"auc": 0.8},
                      datasets=["dataset:churn_train@0"])  # v2
    yield p
    p.close()


def test_the_rules_of_what_blocks_what() -> None:
    assert len(ITEM_IDS) == 13 and len(set(ITEM_IDS)) == 13
    assert {i for i, s in DEFAULT_BLOCKS.items() if s is Stage.LIVE} == {
        "risk-assessed", "board-signoff"}
    fails = [Finding(i, Status.FAIL, "x") for i in ("risk-assessed", "runbook")]
    assert blocking(fails, Stage.LIVE) == ["risk-assessed"]
    assert blocking(fails, Stage.FULL) == ["risk-assessed", "runbook"]
    waived = [Finding("runbook", Status.WAIVED, "x")]
    assert blocking(waived, Stage.FULL) == []
    assert blocking(fails, Stage.FULL, {**DEFAULT_BLOCKS, "runbook": Stage.LIVE}) == [
        "risk-assessed", "runbook"]


def test_items_answer_from_evidence(platform: Platform) -> None:
    bare = {i.id: i for i in platform.readiness.check(PILOT, 1).items}
    assert [i for i in ITEM_IDS] == list(bare)
    assert bare["model-registered"].status == "fail" and "metrics" in bare["model-registered"
                                                                           ].evidence
    assert bare["data-catalogued"].status == "fail" and bare["data-catalogued"].next_step
    r = platform.readiness.check(PILOT, 2)
    got = {i.id: i for i in r.items}
    assert got["model-registered"].status == "pass" and "auc 0.8" in got[
        "model-registered"].evidence
    assert got["data-catalogued"].status == "pass" and "churn_train" in got[
        "data-catalogued"].evidence
    assert got["data-quality"].status == "fail"  # no suite yet
    platform.dataset_quality.baseline("churn_train", ADMIN)
    assert {i.id: i.status for i in platform.readiness.check(PILOT, 2).items}[
        "data-quality"] == "pass"
    assert not r.ready and r.live_blocked_by == ["risk-assessed", "board-signoff"]
    assert got["serving-realtime"].status == "fail" and got["serving-batch"].status == "fail"
    minimal_risk(platform, PILOT)
    after = platform.readiness.check(PILOT, 2)
    assert after.live_blocked_by == ["board-signoff"]
    assert {i.id: i.status for i in after.items}["risk-assessed"] == "pass"
    with pytest.raises(NotFound):
        platform.readiness.check(PILOT, 9)


def test_cli_and_api(platform: Platform, tmp_path: Path) -> None:
    from pilotdeck.api.app import create_app

    env = {"PILOTDECK_HOME": str(tmp_path / "home"),
           "PILOTDECK_DB_URL": f"sqlite:///{tmp_path / 'db'}", "PILOTDECK_MLFLOW_URI": "memory://"}
    r = run_cli("readiness", PILOT, "--version", "2", "--format", "json", env=env)
    assert r.returncode == 3, r.stderr  # not ready
    data = json.loads(r.stdout)
    assert data["version"] == 2 and not data["ready"] and len(data["items"]) == 13
    r = run_cli("readiness", PILOT, "--version", "2", env=env)
    assert "not ready" in r.stdout and "board-signoff" in r.stdout
    r = run_cli("readiness", "no-such-pilot", env=env)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    token = platform.access.create("v", "viewer", [], ADMIN).token
    client = TestClient(create_app(platform))
    got = client.get(f"/v1/pilots/{PILOT}/readiness?version=2",
                     headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and got.json()["items"] == data["items"]
    bad = client.get(f"/v1/pilots/{PILOT}/readiness?version=0",
                     headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422
