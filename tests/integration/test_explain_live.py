"""Explanations through the whole stack: computed at registration from the
reference profile, served per prediction by a live gateway, shown by the CLI
and the API, and counted as the explainability control."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from pilotdeck.api.app import create_app
from pilotdeck.config import Settings
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform
from tests.cli import run_cli
from tests.governance import minimal_risk
from tests.integration.conftest import ADMIN, COLS, split, start_gateway, stop

PILOT = "churn-prediction"


@pytest.fixture(scope="module")
def live(trained: dict[str, Any], tmp_path_factory: pytest.TempPathFactory,
         demo_pilots: Path) -> Iterator[tuple[Platform, httpx.Client]]:
    home = tmp_path_factory.mktemp("explain")
    reference = home / "reference.parquet"
    trained["X"].to_parquet(reference)
    p = Platform(Settings(home=home, gateway_refresh_s=0.1, server_paths=[home]))
    p.portfolio.import_path(demo_pilots / f"{PILOT}.yaml", ADMIN)
    minimal_risk(p, PILOT)
    for name in ("lr", "hgb"):  # linear (needs the background) and tree
        p.models.register(PILOT, ADMIN, path=trained["dir"] / name, reference=reference)
    p.models.deploy(PILOT, DeploymentSpec.parse({"variants": [
        {"name": "champion", "version": 1, "weight": 50},
        {"name": "challenger", "version": 2, "weight": 50}]}), ADMIN)
    token = p.access.create("app", "client", [], ADMIN).token
    server, base = start_gateway(p)
    http = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"})
    yield p, http
    http.close()
    stop(server)
    p.close()


def test_registration_stored_a_global_explanation(live: tuple[Platform, httpx.Client]) -> None:
    p, _ = live
    for version, kind in ((1, "linear"), (2, "tree")):
        stored = p.explanations.stored(PILOT, version)
        assert stored is not None and stored.explainer == kind
        assert set(stored.importance) == set(COLS)
        # y depends on tenure and spend: they lead
        assert set(list(stored.importance)[:2]) == {"tenure", "spend"}
    assert len(p.audit.log(action="model.explained", limit=10)) == 2
    st = p.governance.status(PILOT, 1)
    assert st.tier == "minimal"  # no controls required; the check itself:
    note = p.governance.evidence["explainability"]
    assert note is not None and note(PILOT, 1)


@pytest.mark.parametrize(("key", "model", "space"), [("a", "lr", "margin"),
                                                     ("b", "hgb", "margin")])
def test_the_gateway_explains_what_it_predicts(live: tuple[Platform, httpx.Client],
                                               trained: dict[str, Any], key: str, model: str,
                                               space: str) -> None:
    _, http = live
    X = trained["X"].head(4)
    # Find a routing key that lands on the wanted variant (sticky, as for predict).
    want_version = 1 if model == "lr" else 2
    for i in range(200):
        probe = http.post(f"/v1/pilots/{PILOT}/predict?key={key}{i}", json=split(X))
        if probe.json()["modelVersion"] == want_version:
            break
    r = http.post(f"/v1/pilots/{PILOT}/explain?key={key}{i}", json=split(X))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["modelVersion"] == want_version and out["outputSpace"] == space
    est = trained[model]
    assert [e["prediction"] for e in out["explanations"]] == est.predict(X).tolist()
    totals = [e["baseValue"] + sum(e["contributions"].values()) for e in out["explanations"]]
    np.testing.assert_allclose(totals, est.decision_function(X), rtol=1e-6, atol=1e-6)


def test_explain_refuses_bad_input_like_predict(live: tuple[Platform, httpx.Client]) -> None:
    _, http = live
    r = http.post(f"/v1/pilots/{PILOT}/explain", json={"dataframe_split": {
        "columns": COLS, "data": [["x", 1, 2, 3]]}})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert http.post("/v1/pilots/nope/explain", json={}).status_code in (403, 404)


def test_cli_and_api(live: tuple[Platform, httpx.Client]) -> None:
    p, _ = live
    env = {"PILOTDECK_HOME": str(p.settings.home)}
    out = run_cli("explain", "global", PILOT, "--version", "2", "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["explainer"] == "tree"
    admin = p.access.create("root", "admin", [], ADMIN).token
    api = TestClient(create_app(p))
    r = api.get(f"/v1/pilots/{PILOT}/models/1/explanation",
                headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 200 and r.json()["outputSpace"] == "margin"
    r = api.get(f"/v1/pilots/{PILOT}/models/9/explanation",
                headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 404


def test_model_card_in_three_formats(live: tuple[Platform, httpx.Client],
                                     tmp_path: Path) -> None:
    p, _ = live
    env = {"PILOTDECK_HOME": str(p.settings.home)}
    out = run_cli("models", "card", PILOT, "--version", "2", "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    card = json.loads(out.stdout)
    problem = p.portfolio.get(PILOT).spec.problem
    assert card["intendedUse"] == problem and card["risk"]["tier"] == "minimal"
    assert card["explanation"]["explainer"] == "tree" and card["governance"]["liveAllowed"]
    assert {i["name"] for i in card["inputs"]} == set(COLS)
    assert card["deployment"] == "challenger (50%)"
    md = run_cli("models", "card", PILOT, "--version", "2", env=env).stdout
    assert md.startswith(f"# Model card: {PILOT} v2") and "## Explanations" in md
    assert problem in md and "| tenure |" in md
    page = tmp_path / "card.html"
    out = run_cli("models", "card", PILOT, "--version", "1", "--format", "html", "-o", str(page),
                  env=env)
    assert out.returncode == 0 and page.read_text().startswith("<!doctype html>")
    assert "<script" not in page.read_text() and "linear explainer" in page.read_text()
    admin = p.access.create("card-reader", "viewer", [], ADMIN).token
    api = TestClient(create_app(p))
    h = {"Authorization": f"Bearer {admin}"}
    r = api.get(f"/v1/pilots/{PILOT}/models/2/card?format=md", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert api.get(f"/v1/pilots/{PILOT}/models/2/card", headers=h).json()["version"] == 2
    assert api.get(f"/v1/pilots/{PILOT}/models/7/card", headers=h).status_code == 404


def test_fairness_report_of_a_version_on_a_labelled_table(
        live: tuple[Platform, httpx.Client], trained: dict[str, Any]) -> None:
    p, _ = live
    X = trained["X"]
    table = p.settings.home / "validation.parquet"
    X.assign(outcome=(X.tenure - X.spend > 0).astype(int),
             region=np.where(np.arange(len(X)) % 2 == 0, "north", "south")).to_parquet(table)
    env = {"PILOTDECK_HOME": str(p.settings.home)}
    out = run_cli("models", "fairness", PILOT, "--version", "1", "--data", str(table),
                  "--label", "outcome", "--sensitive", "region", "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["report"]["rows"] == len(X)
    assert {g["group"]["region"] for g in got["report"]["groups"]} == {"north", "south"}
    assert 0 <= got["report"]["demographicParityDifference"] <= 1
    note = p.governance.evidence["fairness-report"]
    assert note is not None and "validation.parquet" in (note(PILOT, 1) or "")
    assert note(PILOT, 2) is None  # only the version that was evaluated

    admin = p.access.create("fair-admin", "admin", [], ADMIN).token
    api = TestClient(create_app(p))
    h = {"Authorization": f"Bearer {admin}"}
    r = api.post(f"/v1/pilots/{PILOT}/models/2/fairness", headers=h, json={
        "data": str(table), "label": "outcome", "sensitive": ["region"]})
    assert r.status_code == 200, r.text
    assert api.get(f"/v1/pilots/{PILOT}/models/2/fairness", headers=h).json()["version"] == 2
    r = api.post(f"/v1/pilots/{PILOT}/models/2/fairness", headers=h, json={
        "data": "/etc/passwd", "sensitive": ["region"]})
    assert r.status_code == 422 and "/etc/passwd" not in r.text
    r = api.post(f"/v1/pilots/{PILOT}/models/2/fairness", headers=h, json={
        "data": str(table), "label": "outcome", "sensitive": ["gender"]})
    assert r.status_code == 422 and "gender" in r.text


def test_the_monitoring_report_shows_what_drives_each_model(
        live: tuple[Platform, httpx.Client], trained: dict[str, Any]) -> None:
    from pilotdeck.render.report_html import render
    from tests.polling import wait_until

    p, http = live
    for i in range(20):  # traffic for both variants
        http.post(f"/v1/pilots/{PILOT}/predict?key=r{i}", json=split(trained["X"].head(2)))
    wait_until(lambda: {e.version for e in p.monitoring.report(PILOT).explanations} == {1, 2},
               timeout=20, interval=0.2, message="both versions' explanations in the report")
    report = p.monitoring.report(PILOT)
    assert [e.explainer for e in report.explanations] == ["linear", "tree"]
    assert "What drives each model" in render(report)
