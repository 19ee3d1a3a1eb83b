"""Staged rollouts end to end, in compressed time: a real gateway serves real
scikit-learn models, clients send requests and feedback, and the controller loop
inside the API server promotes a good challenger step by step and rolls back a
bad one, each decision audited with its evidence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from pilotdeck.config import Settings
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform
from tests.governance import minimal_risk
from tests.integration.conftest import ADMIN, start_api, start_gateway, stop
from tests.polling import wait_until
from tests.service.test_rollouts import BOARD, UNBLOCKED

PILOT = "churn-prediction"
PLAN = {"steps": [{"weight": 50, "pauseSeconds": 0, "minSamples": 50},
                  {"weight": 100, "pauseSeconds": 0, "minSamples": 50}],
        "gates": [{"name": "errorRate"}, {"name": "quality", "margin": 0.15, "minSamples": 50}],
        "designSamples": 200}
TERMINAL = ("promoted", "rolled-back", "aborted")


@pytest.fixture()
def live(trained: dict[str, Any], tmp_path: Path, demo_pilots: Path
         ) -> Iterator[tuple[Platform, httpx.Client, httpx.Client]]:
    # Only what live traffic needs is set up here (risk, sign-off); the rest of the
    # checklist (and metrics at registration) is configured not to block: it has its
    # own tests.
    p = Platform(Settings(home=tmp_path, gateway_refresh_s=0.1, predlog_flush_s=0.1,
                          rollout_interval_s=0.2, alert_interval_s=0,
                          readiness_blocks={**UNBLOCKED, "model-registered": "none"}))
    p.portfolio.import_path(demo_pilots / f"{PILOT}.yaml", ADMIN)
    for name in ("lr", "hgb", "faulty"):  # v1, v2 and v3 (v3 always answers 7)
        p.models.register(PILOT, ADMIN, path=trained["dir"] / name)
    (trained["control"]).write_text("ok")
    minimal_risk(p, PILOT)
    for version in (2, 3):  # the minimal tier needs one board member's approval
        req = p.approvals.request(PILOT, version, ADMIN)
        p.approvals.decide(req.id, "approve", BOARD[0], "reviewed")
    p.models.deploy(PILOT, DeploymentSpec.parse(
        {"variants": [{"name": "champion", "version": 1, "weight": 100}]}), ADMIN)
    client = p.access.create("app", "client", [], ADMIN).token
    ops = p.access.create("ops", "platform-engineer", [], ADMIN).token
    gw, gw_base = start_gateway(p)
    api, api_base = start_api(p)
    g = httpx.Client(base_url=gw_base, timeout=30, headers={"Authorization": f"Bearer {client}"})
    a = httpx.Client(base_url=api_base, timeout=30, headers={"Authorization": f"Bearer {ops}"})
    yield p, g, a
    g.close()
    a.close()
    stop(gw, api)
    p.close()


def _traffic(g: httpx.Client, X: Any, n: int, offset: int) -> None:
    """``n`` single-row requests, each followed by its true label as feedback."""
    cols = list(X.columns)
    for i in range(offset, offset + n):
        row = X.iloc[i % len(X)]
        r = g.post(f"/v1/pilots/{PILOT}/predict",
                   json={"dataframe_split": {"columns": cols, "data": [row.tolist()]}})
        assert r.status_code == 200, r.text
        label = int(row.tenure - row.spend > 0)
        fb = g.post("/v1/feedback", json={"requestId": r.json()["requestId"], "pilot": PILOT,
                                          "label": label})
        assert fb.status_code in (200, 202), fb.text


def _run(g: httpx.Client, a: httpx.Client, X: Any) -> dict[str, Any]:
    """Send traffic until the rollout ends (the API server's loop decides)."""
    sent = 0
    status: dict[str, Any] = {}

    def ended() -> bool:
        nonlocal sent, status
        status = a.get(f"/v1/pilots/{PILOT}/rollout").json()
        if status["phase"] in TERMINAL:
            return True
        _traffic(g, X, 200, sent)
        sent += 200
        return False

    wait_until(ended, timeout=120, interval=0.05,
               message=lambda: f"the rollout to end; it is {status}")
    return status


def test_the_controller_promotes_a_good_challenger_and_rolls_back_a_bad_one(
        live: tuple[Platform, httpx.Client, httpx.Client], trained: dict[str, Any]) -> None:
    p, g, a = live
    X = trained["X"]
    started = a.post(f"/v1/pilots/{PILOT}/rollout", json={"challenger": 2, "plan": PLAN})
    assert started.status_code == 201, started.text
    assert started.json()["weight"] == 50
    done = _run(g, a, X)
    assert done["phase"] == "promoted", done
    spec = p.models.deployment(PILOT).spec
    assert [(v.name, v.version, v.weight) for v in spec.variants] == [("champion", 2, 100)]
    promoted = p.audit.log(action="rollout.promoted")[-1]
    verdicts = {x["gate"]: x["verdict"] for x in promoted.data["evidence"]["gates"]}
    assert verdicts == {"errorRate": "pass", "quality": "pass"}
    assert [e.action for e in p.audit.log(action="rollout.step")] == ["rollout.step"]

    # v3 answers 7 to everything: its quality falls far below the champion's.
    again = a.post(f"/v1/pilots/{PILOT}/rollout", json={"challenger": 3, "plan": PLAN})
    assert again.status_code == 201, again.text
    done = _run(g, a, X)
    assert done["phase"] == "rolled-back", done
    assert "quality" in done["reason"]
    weights = {v.name: v.weight for v in p.models.deployment(PILOT).spec.variants}
    assert weights == {"champion": 100, "challenger": 0}
    back = p.audit.log(action="rollout.rolled-back")[-1]
    gates = {x["gate"]: x for x in back.data["evidence"]["gates"]}
    assert gates["quality"]["verdict"] == "fail" and gates["quality"]["stats"]["upper"] < -0.15
    assert np.isfinite(gates["quality"]["stats"]["challenger"])
    assert p.audit.verify().ok
