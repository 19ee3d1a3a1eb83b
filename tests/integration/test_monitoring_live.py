"""Monitoring through the real stack: register with a reference table, serve through
the gateway, send feedback, then read drift and quality back from the API and CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as m

from pilotdeck.config import Settings
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform
from tests.cli import run_cli
from tests.governance import minimal_risk
from tests.integration.conftest import (
    ADMIN,
    COLS,
    start_api,
    start_gateway,
    stop,
    wait_logged,
    wait_revision,
)

PILOT = "churn-prediction"


@pytest.fixture(scope="module")
def live(trained: dict[str, Any], tmp_path_factory: pytest.TempPathFactory,
         demo_pilots: Path) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("mon")
    ref = home / "train.parquet"
    trained["X"].to_parquet(ref)
    platform = Platform(Settings(home=home, gateway_refresh_s=0.1, predlog_flush_s=0.2))
    platform.portfolio.import_path(demo_pilots / f"{PILOT}.yaml", ADMIN)
    minimal_risk(platform, PILOT)
    v = platform.models.register(PILOT, ADMIN, path=trained["dir"] / "lr", reference=ref)
    platform.models.deploy(PILOT, DeploymentSpec.parse(
        {"variants": [{"name": "champion", "version": v.version, "weight": 100}],
         "cacheTtlSeconds": 0}), ADMIN)
    token = platform.access.create("ops", "admin", [], ADMIN).token
    server, base = start_gateway(platform)
    http = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})
    wait_revision(http, platform, PILOT)
    rng = np.random.default_rng(9)
    sent: dict[str, list[Any]] = {"y": [], "p": [], "phase": []}

    def send(X: pd.DataFrame, phase: str) -> None:
        for _, row in X.iterrows():
            r = http.post(f"/v1/pilots/{PILOT}/predict", json={
                "dataframe_split": {"columns": COLS, "data": [row.tolist()]}})
            assert r.status_code == 200, r.text
            out = r.json()
            y = int(rng.random() < 0.5)
            fb = http.post("/v1/feedback", json={"requestId": out["requestId"],
                                                 "pilot": PILOT, "label": y})
            assert fb.status_code == 202, fb.text
            sent["y"].append(y)
            sent["p"].append(out["predictions"][0])
            sent["phase"].append(phase)

    X = trained["X"]
    send(X.sample(60, random_state=1), "before")
    mid = datetime.now(UTC)
    time.sleep(0.05)  # the point: "after" traffic is logged clearly later than `mid`
    shifted = X.sample(60, random_state=2).assign(tenure=lambda d: d.tenure + 3)
    send(shifted, "after")
    n = len(sent["y"])
    wait_logged(platform.settings.lakehouse_dir, predictions=n, feedback=n)
    # The monitoring routes live on the control-plane API, a separate app.
    api_server, api_base = start_api(platform)
    api = httpx.Client(base_url=api_base, timeout=60,
                       headers={"Authorization": f"Bearer {token}"})
    yield {"http": api, "home": home, "mid": mid, "sent": sent, "platform": platform}
    stop(api_server, server)
    platform.close()


def test_registration_stored_the_reference_profile(live: dict[str, Any]) -> None:
    lake = live["platform"].settings.lakehouse_dir
    assert (lake / "profiles" / f"{PILOT}.v1" / "profile.json").is_file()


def test_drift_of_logged_traffic_before_and_after_a_shift(live: dict[str, Any]) -> None:
    http, mid = live["http"], live["mid"].isoformat()
    before = http.get(f"/v1/pilots/{PILOT}/monitoring/drift", params={"until": mid}).json()
    after = http.get(f"/v1/pilots/{PILOT}/monitoring/drift", params={"since": mid}).json()
    assert before["profile"] == f"{PILOT}.v1" and before["rows"] == 60
    assert before["skippedVersions"] == [] and "shareDrifted" in before["windows"][0]
    drifted = lambda r: {c["column"] for c in r["windows"][0]["columns"] if c["drifted"]}  # noqa: E731
    assert "tenure" not in drifted(before)
    assert "tenure" in drifted(after)
    by = http.get(f"/v1/pilots/{PILOT}/monitoring/drift", params={"by": "variant"}).json()
    assert [w["window"] for w in by["windows"]] == ["champion"]
    bad = http.get(f"/v1/pilots/{PILOT}/monitoring/drift", params={"since": "yesterday"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "since"


def test_quality_from_feedback_matches_scikit_learn(live: dict[str, Any]) -> None:
    out = live["http"].get(f"/v1/pilots/{PILOT}/monitoring/quality").json()
    g = out["groups"][0]
    assert g["modelVersion"] == 1 and g["variant"] == "champion"
    y, p = live["sent"]["y"], live["sent"]["p"]
    assert g["n"] == len(y) == 120
    assert g["accuracy"] == pytest.approx(m.accuracy_score(y, p))
    assert g["f1"] == pytest.approx(m.f1_score(y, p))
    health = live["http"].get(f"/v1/pilots/{PILOT}/monitoring/health").json()["groups"][0]
    assert health["requests"] == 120 and health["errorRate"] == 0
    assert set(health["latencyMs"]) == {"p50", "p95", "p99"}
    missing = live["http"].get("/v1/pilots/nope/monitoring/quality")
    assert missing.status_code == 404


def test_cli_reads_the_same_numbers(live: dict[str, Any]) -> None:
    env = {"PILOTDECK_HOME": str(live["home"])}
    run = lambda *a: run_cli("monitor", *a, env=env)  # noqa: E731
    r = run("quality", PILOT, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["groups"][0]["n"] == 120
    r = run("drift", "--pilot", PILOT, "--since", live["mid"].isoformat(), "--fail-on-drift",
            "--drift-share", "0.25")
    assert r.returncode == 3 and "tenure" in r.stdout, r.stdout + r.stderr
    r = run("health", PILOT)
    assert r.returncode == 0 and "p95 ms" in r.stdout, r.stderr
    r = run("quality", PILOT, "--every", "week")
    assert r.returncode == 1 and "every" in r.stderr


def test_report_json_html_and_cli(live: dict[str, Any], tmp_path: Path) -> None:
    http = live["http"]
    data = http.get(f"/v1/pilots/{PILOT}/monitoring/report").json()
    assert data["drift"]["profile"] == f"{PILOT}.v1"
    dists = {d["column"]: d for d in data["distributions"]}
    assert dists["tenure"]["drifted"] and dists["tenure"]["kind"] == "num"
    assert sum(dists["tenure"]["current"]) == pytest.approx(1.0)
    assert data["quality"]["groups"][0]["n"] == 120
    page = http.get(f"/v1/pilots/{PILOT}/monitoring/report", params={"format": "html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.count("<svg") >= 3 and "tenure" in page.text
    out = tmp_path / "r" / "report.html"
    r = run_cli("monitor", "report", PILOT, "--html", str(out), "--json",
                str(tmp_path / "r.json"), env={"PILOTDECK_HOME": str(live["home"])})
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert text.startswith("<!doctype html>") and "<script" not in text and "http" not in \
        text.split("<body>")[1].split("xmlns")[0]  # self-contained: no external assets
    written = json.loads((tmp_path / "r.json").read_text())
    assert written["pilot"] == PILOT and written["driftOverTime"]["windows"]
    assert written["drift"] == data["drift"]  # the file holds what the API serves


def test_every_monitoring_and_alert_response_has_a_schema(live: dict[str, Any]) -> None:
    spec = live["http"].get("/openapi.json").json()
    ops = [(path, method, op) for path, item in spec["paths"].items()
           if "/monitoring/" in path or path.startswith("/v1/alerts")
           for method, op in item.items()]
    assert len(ops) == 12  # 8 monitoring and alert routes, ack and 3 silence routes
    for path, method, op in ops:
        ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert ok, (method, path)
        for r in ok.values():
            assert r["content"] and all(c.get("schema") for c in r["content"].values()), \
                (method, path)
    report = spec["paths"]["/v1/pilots/{pilot}/monitoring/report"]["get"]["responses"]["200"]
    assert set(report["content"]) == {"application/json", "text/html"}
