"""RiskService, the ``risk`` commands and routes, on a SQLite file and the memory registry.

(A file, not ``sqlite://``: the API's test client calls from another thread,
and each connection to an in-memory SQLite database is a new, empty one.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pilotdeck.api.app import create_app
from pilotdeck.audit.log import utcnow
from pilotdeck.auth.roles import Principal, Role, local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.errors import Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.maturity import AssessmentInput
from pilotdeck.platform import Platform
from tests.cli import run_cli

DEMO = Path(__file__).resolve().parents[2] / "src" / "pilotdeck" / "demo" / "pilots"
PILOT = "credit-risk-scoring"
ADMIN = local_admin("tester")


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = Platform(Settings(home=tmp_path, mlflow_uri="memory://"))
    for name in (PILOT, "churn-prediction"):
        p.portfolio.import_path(DEMO / f"{name}.yaml", ADMIN)
    yield p
    p.close()


def answers(p: Platform, **chosen: str) -> dict[str, str]:
    return {**{q.id: q.options[0].id for q in p.risk_questionnaire.questions}, **chosen}


def test_an_assessment_is_stored_audited_and_current(platform: Platform) -> None:
    a = platform.risk.assess(PILOT, answers(platform, annexIIIArea="essential-services"), ADMIN)
    assert (a.tier, a.expired, a.assessed_by) == ("high", False, ADMIN.user)
    assert platform.risk.current(PILOT) == a == platform.risk.latest(PILOT)
    [event] = platform.audit.log(action="risk.assessed")
    assert event.entity.id == PILOT and event.data["tier"] == "high"
    assert event.data["answers"]["annexIIIArea"] == "essential-services"


def test_history_is_newest_first_and_an_expired_assessment_is_not_current(
        platform: Platform) -> None:
    old = utcnow() - timedelta(days=400)
    platform.risk.assess(PILOT, answers(platform, annexIIIArea="education"), ADMIN, now=old)
    assert platform.risk.current(PILOT) is None and platform.risk.latest(PILOT).expired
    platform.risk.assess(PILOT, answers(platform), ADMIN)
    tiers = [a.tier for a in platform.risk.history(PILOT)]
    assert tiers == ["minimal", "high"] and platform.risk.current(PILOT) is not None


def test_the_maturity_model_takes_risk_evidence_from_here(platform: Platform) -> None:
    def practice() -> dict[str, object]:
        res = platform.assessments.assess(PILOT, AssessmentInput(), ADMIN, save=False)
        dim = next(d for d in res.dimensions if d.id == "risk-compliance")
        return next(p for p in dim.practices if p.id == "rc-risk-assessed").model_dump()

    assert practice()["satisfied"] is False
    platform.risk.assess(PILOT, answers(platform), ADMIN)
    got = practice()
    assert got["satisfied"] is True and got["source"] == "evidence"


def test_who_may_assess(platform: Platform) -> None:
    team = Principal("ana", Role.PILOT_TEAM, frozenset({"churn-prediction"}))
    with pytest.raises(Forbidden):
        platform.risk.assess(PILOT, answers(platform), team)
    with pytest.raises(Forbidden):
        platform.risk.assess(PILOT, answers(platform), Principal("v", Role.VIEWER))
    platform.risk.assess("churn-prediction", answers(platform), team)
    platform.risk.assess(PILOT, answers(platform), Principal("g", Role.GOVERNANCE_BOARD))
    with pytest.raises(NotFound):
        platform.risk.assess("no-such-pilot", answers(platform), ADMIN)
    with pytest.raises(NotFound):
        platform.risk.latest("churn-prediction-2")


def test_an_invalid_answer_stores_nothing(platform: Platform) -> None:
    with pytest.raises(ValidationFailed):
        platform.risk.assess(PILOT, {"annexIIIArea": "none"}, ADMIN)
    assert platform.risk.history(PILOT) == [] and not platform.audit.log(action="risk.assessed")


def test_cli_questions_assess_show_history(platform: Platform, tmp_path: Path) -> None:
    env = {"PILOTDECK_HOME": str(tmp_path / "home")}
    assert run_cli("pilots", "import", str(DEMO / f"{PILOT}.yaml"), env=env).returncode == 0
    out = run_cli("risk", "questions", "--format", "json", env=env)
    questions = json.loads(out.stdout)["questions"]
    assert {"prohibitedPractice", "annexIIIArea", "interactsWithPeople"} <= {
        q["id"] for q in questions}
    # YAML reads a bare no/yes as booleans: the command turns them back.
    lines = [f"{q['id']}: {q['options'][0]['id']}" for q in questions
             if q["id"] not in ("annexIIIArea", "interactsWithPeople")]
    path = tmp_path / "answers.yaml"
    path.write_text("\n".join([*lines, "annexIIIArea: essential-services",
                               "interactsWithPeople: no"]) + "\n")
    out = run_cli("risk", "assess", PILOT, "--answers", str(path), "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["tier"] == "high" and got["answers"]["interactsWithPeople"] == "no"
    assert {"tier", "score", "rationale", "requiredControls", "expiresAt"} <= set(got)
    assert "tier high" in run_cli("risk", "show", PILOT, env=env).stdout
    assert "1 risk assessment(s)" in run_cli("risk", "history", PILOT, env=env).stdout
    path.write_text("\n".join(lines[:2]) + "\n")
    out = run_cli("risk", "assess", PILOT, "--answers", str(path), env=env)
    assert out.returncode == 1 and "annexIIIArea: is missing" in out.stderr
    out = run_cli("risk", "assess", PILOT, "--answers", str(tmp_path / "nope.yaml"), env=env)
    assert out.returncode == 2 and "No such file" in out.stderr  # a usage error


def test_api_routes(platform: Platform) -> None:
    client = TestClient(create_app(platform))
    tokens = {r: platform.access.create(f"u-{r.value}", r.value, [], ADMIN).token
              for r in (Role.ADMIN, Role.VIEWER)}

    def h(role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    assert client.get(f"/v1/pilots/{PILOT}/risk", headers=h(Role.VIEWER)).status_code == 404
    body = {"answers": answers(platform, interactsWithPeople="yes")}
    r = client.post(f"/v1/pilots/{PILOT}/risk", json=body, headers=h(Role.VIEWER))
    assert r.status_code == 403
    r = client.post(f"/v1/pilots/{PILOT}/risk", json=body, headers=h(Role.ADMIN))
    assert r.status_code == 201 and r.json()["tier"] == "limited"
    r = client.get(f"/v1/pilots/{PILOT}/risk", headers=h(Role.VIEWER))
    assert r.status_code == 200 and r.json()["requiredControls"][1]["approvers"] == 1
    assert len(client.get(f"/v1/pilots/{PILOT}/risk/history", headers=h(Role.VIEWER)).json()) == 1
    r = client.post(f"/v1/pilots/{PILOT}/risk", json={"answers": {"annexIIIArea": "moon"}},
                    headers=h(Role.ADMIN))
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert "answers.annexIIIArea" in fields and "answers.prohibitedPractice" in fields
    q = client.get("/v1/risk/questions", headers=h(Role.VIEWER)).json()
    assert [t["tier"] for t in q["tiers"]] == ["minimal", "limited", "high", "prohibited"]
