"""Approvals and the deployment gate: a high-risk version takes live traffic only
after two distinct governance-board approvals and its attested controls; shadow
traffic and rollbacks are never held back; a prohibited pilot never serves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pilotdeck.api.app import create_app
from pilotdeck.audit.log import utcnow
from pilotdeck.auth.roles import Principal, Role, local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.errors import Conflict, Forbidden, PilotdeckError
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform
from tests.cli import run_cli
from tests.service.test_registry_service import DEMO, MLMODEL

PILOT = "credit-risk-scoring"
ADMIN = local_admin("tester")
TEAM = Principal("team:lea", Role.PILOT_TEAM, frozenset({PILOT}))
BOARD_A = Principal("board:amara", Role.GOVERNANCE_BOARD)
BOARD_B = Principal("board:jonas", Role.GOVERNANCE_BOARD)
ATTESTED = ("fairness-report", "explainability", "human-oversight-plan")


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = Platform(Settings(home=tmp_path / "home", mlflow_uri="memory://"))
    p.portfolio.import_path(DEMO / f"{PILOT}.yaml", ADMIN)
    model = tmp_path / "model"
    model.mkdir()
    (model / "MLmodel").write_text(MLMODEL)
    for _ in range(2):
        p.models.register(PILOT, ADMIN, path=model)
    yield p
    p.close()


def assess(p: Platform, **answers: str) -> None:
    lowest = {q.id: q.options[0].id for q in p.risk_questionnaire.questions}
    p.risk.assess(PILOT, {**lowest, **answers}, ADMIN)


def spec(champion: int = 1, challenger: int | None = None, weight: float = 10,
         shadow: tuple[int, ...] = ()) -> DeploymentSpec:
    variants = [{"name": "champion", "version": champion, "weight": 100 - (
        weight if challenger else 0)}]
    if challenger:
        variants.append({"name": "challenger", "version": challenger, "weight": weight})
    return DeploymentSpec.parse({"variants": variants, "shadow": list(shadow)})


def refused(p: Platform, s: DeploymentSpec) -> str:
    with pytest.raises(PilotdeckError) as exc:
        p.models.deploy(PILOT, s, ADMIN)
    assert exc.value.status == 409
    return " ".join(f"{e.field}: {e.problem}" for e in exc.value.errors)


def sign_off(p: Platform, version: int) -> None:
    req = p.approvals.request(PILOT, version, TEAM)
    p.approvals.decide(req.id, "approve", BOARD_A, "reviewed")
    p.approvals.decide(req.id, "approve", BOARD_B, "reviewed")
    for control in ATTESTED:
        p.approvals.attest(PILOT, control, f"doc://{control}", BOARD_A, version=version)


def test_an_unassessed_pilot_takes_no_live_traffic(platform: Platform) -> None:
    assert "risk-assessment" in refused(platform, spec())
    st = platform.governance.status(PILOT, 1)
    assert st.tier is None and st.missing == ["risk-assessment"]


def test_a_high_risk_version_needs_two_distinct_approvers_and_its_controls(
        platform: Platform) -> None:
    assess(platform, annexIIIArea="essential-services")
    why = refused(platform, spec())
    assert all(c in why for c in ("approval", *ATTESTED)), why
    req = platform.approvals.request(PILOT, 1, TEAM, reason="ready")
    assert (req.status, req.required) == ("requested", 2)
    with pytest.raises(Forbidden):  # administrators do not approve
        platform.approvals.decide(req.id, "approve", ADMIN, "ok")
    platform.approvals.decide(req.id, "approve", BOARD_A, "fairness checked")
    with pytest.raises(Conflict):  # nobody decides twice
        platform.approvals.decide(req.id, "approve", BOARD_A, "again")
    assert "1/2 approvals" in refused(platform, spec())
    done = platform.approvals.decide(req.id, "approve", BOARD_B, "ok", conditions="review Q3")
    assert done.status == "approved" and done.approvals == 2 and done.expires_at
    for control in ATTESTED:
        platform.approvals.attest(PILOT, control, f"doc://{control}", BOARD_A, version=1)
    assert platform.governance.status(PILOT, 1).live_allowed
    platform.models.deploy(PILOT, spec(), ADMIN)
    actions = [e.action for e in platform.audit.log(entity_type="model", limit=100)]
    assert {"approval.requested", "approval.approved"} <= set(actions)
    assert platform.audit.verify().ok


def test_the_requester_cannot_approve_their_own_request(platform: Platform) -> None:
    assess(platform, interactsWithPeople="yes")  # limited: one approver
    # The same person holding an engineer's token and a board member's token.
    req = platform.approvals.request(PILOT, 1, Principal("board:amara", Role.PLATFORM_ENGINEER))
    with pytest.raises(Forbidden, match="separation of duties"):
        platform.approvals.decide(req.id, "approve", BOARD_A, "mine")
    assert platform.approvals.decide(req.id, "approve", BOARD_B, "ok").status == "approved"


def test_shadow_and_rollback_are_never_held_back(platform: Platform) -> None:
    assess(platform, annexIIIArea="essential-services")
    sign_off(platform, 1)
    platform.models.deploy(PILOT, spec(shadow=(2,)), ADMIN)  # v2 unapproved: shadow is fine
    assert "version 2" in refused(platform, spec(1, 2, weight=10))
    platform.approvals.attest(PILOT, "fairness-report", "doc://f", BOARD_A, version=2)
    sign_off(platform, 2)
    platform.models.deploy(PILOT, spec(1, 2, weight=10), ADMIN)
    [req] = [r for r in platform.approvals.requests(PILOT) if r.version == 1]
    platform.approvals.revoke(req.id, BOARD_B, "data issue")  # v1 no longer approved
    assert not platform.governance.status(PILOT, 1).live_allowed
    # Taking traffic away is always allowed, even to a version that lost its approval.
    dep = platform.models.rollback(PILOT, "challenger", ADMIN, reason="drift")
    assert {v.name: v.weight for v in dep.spec.variants} == {"champion": 100, "challenger": 0}


def test_expiry_and_rejection(platform: Platform) -> None:
    assess(platform, interactsWithPeople="yes")
    req = platform.approvals.request(PILOT, 1, TEAM)
    platform.approvals.decide(req.id, "approve", BOARD_A, "ok", valid_days=1)
    later = utcnow() + timedelta(days=2)
    st = platform.governance.status(PILOT, 1, now=later)
    assert st.missing == ["user-disclosure", "approval"]  # the approval has lapsed by then
    assert platform.governance.status(PILOT, 1).missing == ["user-disclosure"]
    far = platform.governance.status(PILOT, 1, now=utcnow() + timedelta(days=400))
    assert far.missing == ["risk-assessment"]  # an expired assessment counts as missing
    req2 = platform.approvals.request(PILOT, 2, TEAM)
    assert platform.approvals.decide(req2.id, "reject", BOARD_A, "no").status == "rejected"
    with pytest.raises(Conflict):
        platform.approvals.decide(req2.id, "approve", BOARD_B, "yes")
    assert platform.approvals.request(PILOT, 2, TEAM).status == "requested"  # ask again
    with pytest.raises(Conflict, match="open request"):
        platform.approvals.request(PILOT, 2, TEAM)


def test_a_prohibited_pilot_never_takes_live_traffic(platform: Platform) -> None:
    assess(platform, prohibitedPractice="social-scoring")
    why = refused(platform, spec())
    assert "no-deployment" in why and "Article 5" in why
    req = platform.approvals.request(PILOT, 1, TEAM)
    platform.approvals.decide(req.id, "approve", BOARD_A, "ok")
    platform.approvals.attest(PILOT, "no-deployment", "we promise", BOARD_A)
    assert refused(platform, spec()) == why  # nothing lifts it: only a new assessment


def test_a_stale_vote_is_refused_not_lost(platform: Platform) -> None:
    assess(platform, annexIIIArea="essential-services")
    req = platform.approvals.request(PILOT, 1, TEAM)
    with platform.store.write() as uow:
        row = uow.approvals.get(req.id)
        stale = type("Stale", (), {"id": row.id, "revision": row.revision - 1})()
        with pytest.raises(Conflict, match="changed meanwhile"):
            uow.approvals.save(stale, status="approved", votes=[], expires_at=None)


def test_api_and_cli(platform: Platform, tmp_path: Path) -> None:
    assess(platform, interactsWithPeople="yes")
    tokens = {name: platform.access.create(name, role, [PILOT] if role == "pilot-team" else [],
                                           ADMIN).token
              for name, role in (("lea", "pilot-team"), ("amara", "governance-board"),
                                 ("root", "admin"))}

    def h(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"}

    api = TestClient(create_app(platform))
    r = api.put(f"/v1/pilots/{PILOT}/deployment", headers=h("root"),
                json={"variants": [{"name": "champion", "version": 1, "weight": 100}]})
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert "approval" in r.text and "user-disclosure" in r.text
    r = api.post(f"/v1/pilots/{PILOT}/models/1/approvals", json={"reason": "go"},
                 headers=h("lea"))
    assert r.status_code == 201
    aid = r.json()["id"]
    assert api.post(f"/v1/approvals/{aid}/approve", json={"reason": "x"},
                    headers=h("root")).status_code == 403
    env = {"PILOTDECK_HOME": str(platform.settings.home), "PILOTDECK_MLFLOW_URI": "memory://"}
    out = run_cli("approvals", "approve", str(aid), "--reason", "ok", env=env)
    assert out.returncode == 1 and "not on the governance board" in out.stderr
    out = run_cli("approvals", "approve", str(aid), "--reason", "ok", "--format", "json",
                  env={**env, "PILOTDECK_TOKEN": tokens["amara"]})
    assert out.returncode == 0, out.stderr
    assert '"status": "approved"' in out.stdout
    r = api.post(f"/v1/pilots/{PILOT}/attestations", headers=h("amara"), json={
        "control": "user-disclosure", "evidence": "ui banner PR 42", "validDays": 30})
    assert r.status_code == 201 and r.json()["valid"]
    st = api.get(f"/v1/pilots/{PILOT}/models/1/governance", headers=h("lea")).json()
    assert st["liveAllowed"] and st["missing"] == []
    out = run_cli("approvals", "status", PILOT, "--version", "1", env=env)
    assert "may take live traffic" in out.stdout
    pending = api.get("/v1/approvals?pending=true", headers=h("lea")).json()
    assert pending == []
