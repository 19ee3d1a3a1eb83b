"""Governance on live traffic, through a real gateway: a high-risk pilot's version
serves only with its approvals and controls; revoking the approval or letting
the risk assessment lapse takes it out of traffic at the next refresh (falling
back as an open breaker does), audited; restoring the controls brings it back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pilotdeck.audit.log import utcnow
from pilotdeck.auth.roles import Principal, Role
from pilotdeck.config import Settings
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform
from tests.integration.conftest import ADMIN, split, start_gateway, stop
from tests.polling import wait_until

PILOT = "churn-prediction"
BOARD = (Principal("board:amara", Role.GOVERNANCE_BOARD),
         Principal("board:jonas", Role.GOVERNANCE_BOARD))
HIGH = {"annexIIIArea": "essential-services"}
CUT_OVER = {"variants": [{"name": "champion", "version": 1, "weight": 0},
                         {"name": "challenger", "version": 2, "weight": 100}]}


def assess_high(p: Platform, **kw: Any) -> None:
    lowest = {q.id: q.options[0].id for q in p.risk_questionnaire.questions}
    p.risk.assess(PILOT, {**lowest, **HIGH}, ADMIN, **kw)


def sign_off(p: Platform, version: int) -> int:
    req = p.approvals.request(PILOT, version, ADMIN)
    for member in BOARD:
        p.approvals.decide(req.id, "approve", member, "reviewed")
    for control in ("fairness-report", "explainability", "human-oversight-plan"):
        p.approvals.attest(PILOT, control, f"doc://{control}", BOARD[0], version=version)
    return req.id


@pytest.fixture()
def live(trained: dict[str, Any], tmp_path: Path, demo_pilots: Path
         ) -> Iterator[tuple[Platform, httpx.Client]]:
    p = Platform(Settings(home=tmp_path, gateway_refresh_s=0.1, predlog_flush_s=0.2))
    p.portfolio.import_path(demo_pilots / f"{PILOT}.yaml", ADMIN)
    for name in ("lr", "hgb"):
        p.models.register(PILOT, ADMIN, path=trained["dir"] / name)
    token = p.access.create("app", "client", [], ADMIN).token
    server, base = start_gateway(p)
    http = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})
    yield p, http
    http.close()
    stop(server)
    p.close()


def served_by(http: httpx.Client, body: dict[str, Any]) -> tuple[int, int | None]:
    r = http.post(f"/v1/pilots/{PILOT}/predict", json=body)
    return r.status_code, r.json().get("modelVersion") if r.status_code == 200 else None


def wait_served(http: httpx.Client, body: dict[str, Any], want: tuple[int, int | None]) -> None:
    wait_until(lambda: served_by(http, body) == want, timeout=15, interval=0.05,
               message=lambda: f"the gateway to answer {want}, got {served_by(http, body)}")


def governance_events(p: Platform) -> list[str]:
    return [e.action for e in p.audit.log(action="deployment.governance-", limit=100)]


def test_lapsed_controls_take_a_version_out_of_live_traffic(
        live: tuple[Platform, httpx.Client], trained: dict[str, Any]) -> None:
    p, http = live
    body = split(trained["X"].head(3))
    assess_high(p)
    with pytest.raises(Exception, match="controls its risk tier demands"):
        p.models.deploy(PILOT, DeploymentSpec.parse(CUT_OVER), ADMIN)
    sign_off(p, 1)
    approval_v2 = sign_off(p, 2)
    p.models.deploy(PILOT, DeploymentSpec.parse(CUT_OVER), ADMIN)
    wait_served(http, body, (200, 2))

    p.approvals.revoke(approval_v2, BOARD[1], "the fairness report was wrong")
    wait_served(http, body, (200, 1))  # v2 held: its traffic falls back to the champion
    assert governance_events(p) == ["deployment.governance-hold"]
    [hold] = p.audit.log(action="deployment.governance-hold")
    assert hold.entity.id == f"{PILOT}/2" and "approval" in hold.data["reason"]

    sign_off(p, 2)  # approved again: back in traffic, audited once
    wait_served(http, body, (200, 2))
    assert governance_events(p) == ["deployment.governance-hold",
                                    "deployment.governance-release"]

    # A risk assessment that lapses takes every live version out (no fallback left).
    assess_high(p, now=utcnow() - timedelta(days=90) + timedelta(seconds=1))
    wait_served(http, body, (503, None))
    assert p.audit.verify().ok
