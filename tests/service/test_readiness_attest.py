"""The governance board's attestations and waivers of readiness items, the
configured blocks, and training records, on SQLite and PostgreSQL: each would
fail if its feature broke (status, expiry, revocation, audit, compare-and-set,
permissions, configuration errors, the team-trained item)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import update

from pilotdeck.adapters.store.models import ReadinessAttestationRow
from pilotdeck.audit.log import utcnow
from pilotdeck.auth.roles import Principal, Role, local_admin
from pilotdeck.config import Settings, load_settings
from pilotdeck.domain.errors import (
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from pilotdeck.domain.readiness import DEFAULT_BLOCKS, Finding, Stage, Status, blocking
from pilotdeck.platform import Platform
from tests.cli import run_cli
from tests.service.test_readiness import DEMO, PILOT
from tests.service.test_registry_service import MLMODEL

ADMIN = local_admin("tester")
BOARD = Principal("board:amara", Role.GOVERNANCE_BOARD)
TEAM = Principal("team:lea", Role.PILOT_TEAM, frozenset({PILOT}))


def make(tmp_path: Path, db_url: str, **settings: Any) -> Platform:
    return Platform(Settings(home=tmp_path / "home", db_url=db_url, mlflow_uri="memory://",
                             **settings))


@pytest.fixture()
def platform(tmp_path: Path, db_url: str) -> Iterator[Platform]:
    p = make(tmp_path, db_url)
    p.portfolio.import_path(DEMO / f"{PILOT}.yaml", ADMIN)
    model = tmp_path / "model"
    model.mkdir()
    (model / "MLmodel").write_text(MLMODEL)
    p.models.register(PILOT, ADMIN, path=model, metrics={"auc": 0.8})  # v1
    p.models.register(PILOT, ADMIN, path=model, metrics={"auc": 0.8})  # v2
    yield p
    p.close()


def items(p: Platform, version: int = 1) -> dict[str, Any]:
    return {i.id: i for i in p.readiness.check(PILOT, version).items}


def test_attest_waive_revoke_and_the_report(platform: Platform) -> None:
    words = platform.readiness.attestations
    a = words.attest(PILOT, "runbook", "attested", "runbook in Confluence RB-12", BOARD)
    assert a.kind == "attested" and a.revision == 1 and a.version is None and not a.expired
    left = datetime.fromisoformat(a.expires_at) - utcnow()
    assert timedelta(days=89) < left <= timedelta(days=90)
    words.attest(PILOT, "serving-batch", "waived", "real-time only", BOARD, version=2,
                 expires_at=utcnow() + timedelta(days=30))
    got = items(platform, 2)
    assert got["runbook"].status == "attested" and got["runbook"].attestation.by == BOARD.user
    assert "RB-12" in got["runbook"].evidence and got["runbook"].next_step is None
    assert got["serving-batch"].status == "waived"
    assert got["serving-batch"].attestation.reason == "real-time only"
    report = platform.readiness.check(PILOT, 2)
    assert "runbook" not in report.full_blocked_by
    assert "serving-batch" not in report.full_blocked_by
    assert items(platform, 1)["serving-batch"].status == "fail"  # the waiver is for v2 only
    # Evidence wins: the model is registered with metrics, whatever the board says.
    words.attest(PILOT, "model-registered", "waived", "not needed", BOARD)
    assert items(platform)["model-registered"].status == "pass"
    # Rewriting is compare-and-set: a writer holding revision 1 loses after a change.
    words.attest(PILOT, "runbook", "waived", "superseded", BOARD, expected_revision=1)
    with pytest.raises(PreconditionFailed):
        words.attest(PILOT, "runbook", "attested", "stale", BOARD, expected_revision=1)
    with pytest.raises(PreconditionFailed):
        words.revoke(PILOT, "runbook", BOARD, expected_revision=1)
    gone = words.revoke(PILOT, "runbook", BOARD, expected_revision=2)
    assert gone.revoked_by == BOARD.user and gone.revision == 3
    assert items(platform)["runbook"].status == "fail"
    assert items(platform)["runbook"].attestation is None
    with pytest.raises(NotFound):
        words.revoke(PILOT, "runbook", BOARD)
    actions = [e.action for e in platform.audit.log(entity_type="pilot", entity_id=PILOT,
                                                    limit=50)]
    assert {"readiness.attested", "readiness.waived", "readiness.revoked"} <= set(actions)
    assert platform.audit.verify().ok


def test_an_expired_word_no_longer_counts(platform: Platform) -> None:
    platform.readiness.attestations.attest(PILOT, "sla", "waived", "pilot phase", BOARD)
    with platform.store.write() as uow:
        uow.session.execute(update(ReadinessAttestationRow).values(
            expires_at=utcnow() - timedelta(days=1)))
    got = items(platform)["sla"]
    assert got.status == "fail" and got.attestation is not None and got.attestation.expired
    assert "expired" in got.evidence and "sla" in platform.readiness.check(
        PILOT, 1).full_blocked_by


def test_who_may_and_what_is_refused(platform: Platform) -> None:
    words = platform.readiness.attestations
    for who in (ADMIN, TEAM):  # separation of duties: administrators do not attest
        with pytest.raises(Forbidden):
            words.attest(PILOT, "runbook", "attested", "x", who)
        with pytest.raises(Forbidden):
            words.revoke(PILOT, "runbook", who)
    cases = [({"item": "no-such-item"}, "item"), ({"reason": "  "}, "reason"),
             ({"reason": "a\x00b"}, "reason"), ({"kind": "ignored"}, "kind"),
             ({"expires_at": utcnow() + timedelta(days=400)}, "expires"),
             ({"expires_at": utcnow() - timedelta(days=1)}, "expires")]
    for change, field in cases:
        args = {"item": "runbook", "kind": "attested", "reason": "ok", **change}
        with pytest.raises(ValidationFailed) as exc:
            words.attest(PILOT, args.pop("item"), args.pop("kind"), args.pop("reason"),
                         BOARD, **args)
        assert [e.field for e in exc.value.errors] == [field]
    with pytest.raises(NotFound):
        words.attest(PILOT, "runbook", "attested", "x", BOARD, version=9)
    with pytest.raises(NotFound):
        words.attest("no-such-pilot", "runbook", "attested", "x", BOARD)


def test_configured_blocks(tmp_path: Path, db_url: str) -> None:
    fails = [Finding(i, Status.FAIL, "x") for i in ("runbook", "team-trained", "sla")]
    blocks = {**DEFAULT_BLOCKS, "runbook": Stage.LIVE, "team-trained": None}
    assert blocking(fails, Stage.LIVE, blocks) == ["runbook"]
    assert blocking(fails, Stage.FULL, blocks) == ["runbook", "sla"]
    p = make(tmp_path, db_url, readiness_blocks={"runbook": "live", "team-trained": "none"})
    try:
        p.portfolio.import_path(DEMO / f"{PILOT}.yaml", ADMIN)
        model = tmp_path / "model"
        model.mkdir()
        (model / "MLmodel").write_text(MLMODEL)
        p.models.register(PILOT, ADMIN, path=model)
        r = p.readiness.check(PILOT, 1)
        shown = {i.id: i.blocks for i in r.items}
        assert shown["runbook"] == "live" and shown["team-trained"] == "none"
        assert shown["sla"] == "full" and shown["board-signoff"] == "live"
        assert "runbook" in r.live_blocked_by and "team-trained" not in r.full_blocked_by
        assert p.readiness.blocks["team-trained"] is None
    finally:
        p.close()
    for bad, words in (({"runbok": "live"}, "unknown item 'runbok'"),
                       ({"runbook": "sometimes"}, "unknown stage 'sometimes'")):
        with pytest.raises(ValidationError, match=words):
            Settings(home=tmp_path, readiness_blocks=bad)
    with pytest.raises(ValidationFailed) as exc:
        load_settings(home=tmp_path, readiness_blocks={"runbok": "live"})
    assert exc.value.errors[0].field == "PILOTDECK_READINESS_BLOCKS"


def test_cli_says_a_bad_blocks_setting_in_one_line(tmp_path: Path) -> None:
    r = run_cli("readiness", PILOT, env={"PILOTDECK_HOME": str(tmp_path / "h"),
                                          "PILOTDECK_READINESS_BLOCKS": '{"runbok": "live"}'})
    assert r.returncode != 0 and "PILOTDECK_READINESS_BLOCKS" in r.stderr
    assert "unknown item 'runbok'" in r.stderr and "internal error" not in r.stderr


def test_training_answers_team_trained(platform: Platform) -> None:
    t = platform.readiness.training
    assert items(platform)["team-trained"].status == "fail"
    for who in (BOARD, TEAM):  # a team recording its own training is self-attestation
        with pytest.raises(Forbidden):
            t.record("lea", "ML in production", who, pilot=PILOT)
    with pytest.raises(ValidationFailed) as exc:
        t.record("lea", "c", ADMIN, pilot=PILOT, team="crm")
    assert exc.value.errors[0].field == "pilot"
    with pytest.raises(ValidationFailed) as exc:
        t.record("lea", " ", ADMIN, pilot=PILOT, completed_at=utcnow() + timedelta(days=2))
    assert {e.field for e in exc.value.errors} == {"course", "completed"}
    old = t.record("lea", "ML 101", ADMIN, pilot=PILOT,
                   completed_at=utcnow() - timedelta(days=400),
                   expires_at=utcnow() - timedelta(days=35))
    assert not old.current and items(platform)["team-trained"].status == "fail"
    t.record("raj", "Responsible AI", ADMIN, team="retail-ds")
    assert items(platform)["team-trained"].status == "fail"  # the manifest names no team
    rec = t.record("lea", "ML in production", ADMIN, pilot=PILOT,
                   expires_at=utcnow() + timedelta(days=365))
    got = items(platform)["team-trained"]
    assert got.status == "pass" and "lea (ML in production" in got.evidence
    assert [r.id for r in t.list(pilot=PILOT, current=True)] == [rec.id]
    assert len(t.list()) == 3 and len(t.list(team="retail-ds")) == 1
    assert "training.recorded" in {e.action for e in platform.audit.log(limit=50)}


def test_owner_team_from_the_manifest(platform: Platform) -> None:
    m = platform.portfolio.get(PILOT).manifest()
    m["metadata"]["tags"]["team"] = "retail-ds"
    platform.portfolio.put(platform.portfolio.validate_one(m), ADMIN)
    platform.readiness.training.record("raj", "Responsible AI", ADMIN, team="retail-ds")
    assert items(platform)["team-trained"].status == "pass"


def test_api_and_cli(platform: Platform, tmp_path: Path, db_url: str) -> None:
    from pilotdeck.api.app import create_app

    board = platform.access.create("amara", "governance-board", [], ADMIN).token
    viewer = platform.access.create("v", "viewer", [], ADMIN).token
    client = TestClient(create_app(platform))

    def call(method: str, path: str, token: str, **kw: Any) -> Any:
        return client.request(method, path, headers={"Authorization": f"Bearer {token}",
                                                     **kw.pop("headers", {})}, **kw)

    url = f"/v1/pilots/{PILOT}/readiness/runbook/attestations"
    body = {"kind": "attested", "reason": "RB-12", "expires": "30d"}
    assert call("POST", url, viewer, json=body).status_code == 403
    r = call("POST", url, board, json=body)
    assert r.status_code == 201 and r.json()["kind"] == "attested" and r.headers["ETag"] == '"1"'
    bad = call("POST", f"/v1/pilots/{PILOT}/readiness/nope/attestations", board, json=body)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "item"
    for change, field in (({"reason": ""}, "reason"), ({"expires": "2000-01-01"}, "expires"),
                          ({"kind": "maybe"}, "kind"), ({"expires": "soon"}, "expires")):
        got = call("POST", url, board, json={**body, **change})
        assert got.status_code == 422 and field in got.text, got.text
    stale = call("POST", url, board, json=body, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    report = call("GET", f"/v1/pilots/{PILOT}/readiness?version=1", viewer).json()
    runbook = next(i for i in report["items"] if i["id"] == "runbook")
    assert runbook["status"] == "attested" and runbook["attestation"]["by"] == "amara"
    assert call("DELETE", url, viewer).status_code == 403
    assert call("DELETE", url, board).json()["revokedBy"] == "amara"
    assert call("DELETE", url, board).status_code == 404
    rec = call("POST", "/v1/training", viewer, json={"user": "lea", "course": "c",
                                                     "pilot": PILOT})
    assert rec.status_code == 403
    admin = platform.access.create("root", "admin", [], ADMIN).token
    rec = call("POST", "/v1/training", admin, json={"user": "lea", "course": "c",
                                                    "pilot": PILOT, "expires": "365d"})
    assert rec.status_code == 201 and rec.json()["current"]
    listed = call("GET", f"/v1/training?pilot={PILOT}", viewer)
    assert listed.status_code == 200 and listed.json()[0]["user"] == "lea"
    assert call("POST", "/v1/training", admin, json={"user": "x", "course": "c"}
                ).status_code == 422

    env = {"PILOTDECK_HOME": str(tmp_path / "home"), "PILOTDECK_DB_URL": db_url,
           "PILOTDECK_MLFLOW_URI": "memory://", "PILOTDECK_TOKEN": board}
    r = run_cli("readiness", "waive", PILOT, "sla", "--reason", "pilot phase",
                "--expires", "60d", env=env)
    assert r.returncode == 0 and "sla waived" in r.stdout, r.stderr
    r = run_cli("readiness", "attest", PILOT, "nope", "--reason", "x", env=env)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("readiness", "attest", PILOT, "runbook", "--reason", "x", "--expires",
                "2y", env=env)
    assert r.returncode != 0 and "--expires" in r.stderr
    for argv in (("readiness", PILOT, "--version", "1"),
                 ("readiness", "show", PILOT, "--version", "1"),
                 ("readiness", "--version", "1", PILOT)):
        r = run_cli(*argv, "--format", "json", env=env)
        assert r.returncode == 3, r.stderr
        sla = next(i for i in json.loads(r.stdout)["items"] if i["id"] == "sla")
        assert sla["status"] == "waived"
    r = run_cli("readiness", "revoke", PILOT, "sla", env=env)
    assert r.returncode == 0 and "revoked" in r.stdout
    admin_env = {**env, "PILOTDECK_TOKEN": admin}
    r = run_cli("training", "record", "raj", "--course", "Responsible AI", "--team",
                "retail-ds", "--completed", "2026-01-10", env=admin_env)
    assert r.returncode == 0 and "raj completed" in r.stdout, r.stderr
    r = run_cli("training", "record", "raj", "--course", "x", env=admin_env)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("training", "list", "--format", "json", env=env)
    assert {x["user"] for x in json.loads(r.stdout)} == {"lea", "raj"}
    r = run_cli("training", "list", "--pilot", PILOT, env=env)
    assert r.returncode == 0 and "lea" in r.stdout and "raj" not in r.stdout
