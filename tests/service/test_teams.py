"""Teams of the centre of excellence (SQLite and PostgreSQL): revisions and audit,
the rules on kinds, roles and pilots, and a team token whose scope follows the
membership (role, pilots, removal); the ``teams`` commands and routes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pilotdeck.auth.roles import Permission, Principal, Role
from pilotdeck.domain.errors import (
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unauthenticated,
    ValidationFailed,
)

PILOT, OTHER = "churn-prediction", "next-best-offer"


@pytest.fixture
def pilots(platform: Any, admin: Any, demo_pilots: Path) -> Any:
    for name in (PILOT, OTHER, "fraud-detection-realtime"):
        platform.portfolio.import_path(demo_pilots / f"{name}.yaml", admin)
    return platform


def _field(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_create_change_delete_with_revisions_and_audit(pilots: Any, admin: Any) -> None:
    svc = pilots.teams
    t = svc.create("crm", "pilot", admin, description="CRM data science", pilots=[PILOT])
    assert (t.kind, t.pilots, t.revision, t.members) == ("pilot", [PILOT], 1, [])
    assert svc.owner(PILOT) == t and svc.owner(OTHER) is None
    t = svc.add_member("crm", "ana", admin)
    assert [(m.user, m.role) for m in t.members] == [("ana", "pilot-team")]
    assert t.revision == 2
    with pytest.raises(PreconditionFailed):
        svc.update("crm", admin, pilots=[PILOT, OTHER], expected_revision=1)
    t = svc.update("crm", admin, pilots=[PILOT, OTHER], expected_revision=2)
    assert t.pilots == [PILOT, OTHER] and t.revision == 3
    t = svc.add_member("crm", "ana", admin, role="viewer")  # a role change
    assert t.members[0].role == "viewer"
    svc.create("board", "governance-board", admin)
    assert [x.name for x in svc.list()] == ["board", "crm"]
    assert [x.name for x in svc.list("governance-board")] == ["board"]
    svc.remove_member("crm", "ana", admin)
    with pytest.raises(NotFound):
        svc.remove_member("crm", "ana", admin)
    with pytest.raises(PreconditionFailed):
        svc.delete("crm", admin, expected_revision=1)
    svc.delete("crm", admin)
    with pytest.raises(NotFound):
        svc.get("crm")
    # Revisions continue across a delete and re-create: an old ETag never matches.
    assert svc.create("crm", "pilot", admin).revision > 5
    actions = [e.action for e in pilots.audit.log(entity_type="team", entity_id="crm")]
    assert sorted(actions) == sorted(["team.created", "team.member_added", "team.updated",
                                      "team.member_changed", "team.member_removed",
                                      "team.deleted", "team.created"])


def test_the_rules_name_the_field(pilots: Any, admin: Any) -> None:
    svc = pilots.teams
    svc.create("crm", "pilot", admin, pilots=[PILOT])
    cases: list[tuple[Any, str]] = [
        (lambda: svc.create("Bad Name", "pilot", admin), "name"),
        (lambda: svc.create("x", "squad", admin), "kind"),
        (lambda: svc.create("crm", "pilot", admin), "name"),  # exists
        (lambda: svc.create("ops", "platform", admin, pilots=[PILOT]), "pilots"),
        (lambda: svc.create("x", "pilot", admin, pilots=["no-such-pilot"]), "pilots"),
        (lambda: svc.create("x", "pilot", admin, pilots=[PILOT]), "pilots"),  # owned
        (lambda: svc.add_member("crm", "ana", admin, role="governance-board"), "role"),
        (lambda: svc.add_member("crm", "ana", admin, role="admin"), "role"),
        (lambda: svc.add_member("crm", "ana", admin, role="chief"), "role"),
        (lambda: svc.add_member("crm", "a/b", admin), "user"),
        (lambda: svc.add_member("crm", " ", admin), "user"),
        (lambda: svc.create("x", "pilot", admin, description="\x00"), "description"),
    ]
    for call, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            call()
        assert field in _field(exc), (field, exc.value.errors)
    with pytest.raises(NotFound):
        svc.add_member("nobody", "ana", admin)
    viewer = Principal("v", Role.VIEWER)
    engineer = Principal("e", Role.PLATFORM_ENGINEER)
    for who in (viewer, engineer):
        with pytest.raises(Forbidden):
            svc.create("y", "platform", who)
        with pytest.raises(Forbidden):
            svc.add_member("crm", "ana", who)


def test_a_team_tokens_scope_follows_the_membership(pilots: Any, admin: Any) -> None:
    teams, access = pilots.teams, pilots.access
    teams.create("crm", "pilot", admin, pilots=[PILOT])
    with pytest.raises(ValidationFailed) as exc:  # not a member
        access.create("ana", None, [], admin, team="crm")
    assert _field(exc) == {"user"}
    teams.add_member("crm", "ana", admin)
    for role, pilots_, field in (("admin", [], "role"), (None, [OTHER], "pilots")):
        with pytest.raises(ValidationFailed) as exc:
            access.create("ana", role, pilots_, admin, team="crm")
        assert field in _field(exc)
    issued = access.create("ana", None, [], admin, team="crm")
    assert (issued.role, issued.pilots, issued.team) == ("pilot-team", [PILOT], "crm")
    ana = access.authenticate(issued.token)
    assert ana.role is Role.PILOT_TEAM and ana.pilots == {PILOT} and ana.team == "crm"
    assert ana.can(Permission.PILOTS_WRITE, PILOT) and not ana.can(Permission.PILOTS_WRITE, OTHER)
    # The team takes on a pilot: the token follows without being re-issued.
    teams.update("crm", admin, pilots=[PILOT, OTHER])
    assert access.authenticate(issued.token).pilots == {PILOT, OTHER}
    # A role change within the team applies at once.
    teams.add_member("crm", "ana", admin, role="viewer")
    ana = access.authenticate(issued.token)
    assert ana.role is Role.VIEWER and not ana.can(Permission.PILOTS_WRITE, PILOT)
    assert [t.role for t in access.list() if t.id == issued.id] == ["viewer"]
    # The gateway's snapshot carries the same principal.
    snap = pilots.serving.snapshot({})
    assert any(p.token_id == issued.id and p.role is Role.VIEWER for p in snap.tokens.values())
    # Removal: the token is revoked (audited) and stops working everywhere.
    teams.remove_member("crm", "ana", admin)
    with pytest.raises(Unauthenticated):
        access.authenticate(issued.token)
    assert all(p.token_id != issued.id for p in pilots.serving.snapshot({}).tokens.values())
    revoked = pilots.audit.log(action="role.revoked", entity_type="token",
                               entity_id=str(issued.id))
    assert revoked and revoked[0].data["reason"] == "removed from team crm"
    # A plain token under an unregistered team name keeps the old meaning (a label).
    plain = access.create("bo", "viewer", [], admin, team="risk-analytics")
    assert access.authenticate(plain.token).team == "risk-analytics"
    with pytest.raises(ValidationFailed) as exc:
        access.create("bo", None, [], admin, team="risk-analytics")
    assert _field(exc) == {"role"}


def test_a_membership_ending_without_revocation_still_ends_the_token(pilots: Any,
                                                                     admin: Any) -> None:
    """Authentication reads the membership itself: even a token left active (say,
    restored from a backup) grants nothing once its holder is not in the team."""
    pilots.teams.create("board", "governance-board", admin)
    pilots.teams.add_member("board", "amara", admin)
    issued = pilots.access.create("amara", None, [], admin, team="board")
    assert pilots.access.authenticate(issued.token).role is Role.GOVERNANCE_BOARD
    with pilots.store.write() as uow:  # behind the service's back: no revocation
        uow.teams.remove_member(uow.teams.get("board").id, "amara")
    with pytest.raises(Unauthenticated):
        pilots.access.authenticate(issued.token)
    pilots.teams.add_member("board", "amara", admin)
    assert pilots.access.authenticate(issued.token).role is Role.GOVERNANCE_BOARD
    pilots.teams.delete("board", admin)  # revokes the team's tokens
    with pytest.raises(Unauthenticated):
        pilots.access.authenticate(issued.token)


def test_cli(pilots: Any, admin: Any) -> None:
    from tests.cli import run_cli

    s = pilots.settings
    env = {"PILOTDECK_HOME": str(s.home), "PILOTDECK_DB_URL": s.db_url}
    r = run_cli("teams", "create", "crm", "--kind", "pilot", "--pilot", PILOT,
                "--description", "CRM data science", env=env)
    assert r.returncode == 0 and "team crm (pilot)" in r.stdout, r.stderr
    r = run_cli("teams", "add-member", "crm", "ana", env=env)
    assert r.returncode == 0 and "ana is in team crm as pilot-team" in r.stdout, r.stderr
    r = run_cli("tokens", "create", "--user", "ana", "--team", "crm", env=env)
    assert r.returncode == 0 and "pilot-team" in r.stdout and PILOT in r.stdout, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    assert pilots.access.authenticate(token).pilots == {PILOT}
    r = run_cli("teams", "show", "crm", "--format", "json", env=env)
    assert json.loads(r.stdout)["members"][0]["user"] == "ana"
    r = run_cli("teams", "list", env=env)
    assert "ana (pilot-team)" in r.stdout
    r = run_cli("teams", "remove-member", "crm", "ana", env=env)
    assert r.returncode == 0 and "revoked" in r.stdout
    with pytest.raises(Unauthenticated):
        pilots.access.authenticate(token)
    for args in (("teams", "create", "x", "--kind", "squad"),
                 ("teams", "add-member", "crm", "bo", "--role", "admin"),
                 ("teams", "update", "crm", "--pilot", "no-such-pilot"),
                 ("teams", "delete", "crm", "--if-revision", "1"),
                 ("tokens", "create", "--user", "zed", "--team", "crm"),
                 ("teams", "show", "nobody")):
        r = run_cli(*args, env=env)
        assert r.returncode in (1, 2) and len(r.stderr.strip().splitlines()) == 1, (args, r)
    assert run_cli("teams", "delete", "crm", env=env).returncode == 0


def test_api(pilots: Any, admin: Any) -> None:
    from fastapi.testclient import TestClient

    from pilotdeck.api.app import create_app

    client = TestClient(create_app(pilots))
    root = {"Authorization": "Bearer " + pilots.access.create("root", "admin", [],
                                                              admin).token}
    viewer = {"Authorization": "Bearer " + pilots.access.create("v", "viewer", [],
                                                                admin).token}
    body = {"name": "crm", "kind": "pilot", "pilots": [PILOT]}
    assert client.post("/v1/teams", json=body, headers=viewer).status_code == 403
    r = client.post("/v1/teams", json=body, headers=root)
    assert r.status_code == 201 and r.headers["etag"] == '"1"', r.text
    assert client.get("/v1/teams", headers=viewer).json()["items"][0]["pilots"] == [PILOT]
    r = client.put("/v1/teams/crm/members/ana", json={}, headers={**root, "If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["members"][0]["role"] == "pilot-team"
    stale = client.patch("/v1/teams/crm", json={"pilots": []},
                         headers={**root, "If-Match": '"1"'})
    assert stale.status_code == 412
    r = client.post("/v1/tokens", json={"user": "ana", "team": "crm"}, headers=root)
    assert r.status_code == 201 and r.json()["role"] == "pilot-team", r.text
    ana = {"Authorization": "Bearer " + r.json()["token"]}
    assert client.get("/v1/teams/crm", headers=ana).status_code == 200
    r = client.post("/v1/tokens", json={"user": "zed", "team": "crm"}, headers=root)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "user"
    for bad, field in (({"name": "crm2", "kind": "squad"}, "kind"),
                       ({"name": "Crm", "kind": "pilot"}, "name"),
                       ({"name": "x", "kind": "platform", "pilots": [PILOT]}, "pilots")):
        r = client.post("/v1/teams", json=bad, headers=root)
        assert r.status_code == 422 and field in r.text, (bad, r.text)
    r = client.put("/v1/teams/crm/members/bo", json={"role": "admin"}, headers=root)
    assert r.status_code == 422 and "role" in r.text
    assert client.delete("/v1/teams/crm/members/ana", headers=root).status_code == 200
    assert client.get("/v1/teams/crm", headers=ana).status_code == 401
    assert client.delete("/v1/teams/crm/members/ana", headers=root).status_code == 404
    # The SDK issues a team token too.
    from pilotdeck import Client

    sdk = Client(http=client, token=root["Authorization"].split()[1])
    client.put("/v1/teams/crm/members/bo", json={"role": "viewer"}, headers=root)
    issued = sdk.tokens.create("bo", team="crm")
    assert (issued.role, issued.team) == ("viewer", "crm")
    assert client.delete("/v1/teams/crm", headers=root).status_code == 204
    assert client.get("/v1/teams/crm", headers=viewer).status_code == 404


def test_team_trained_counts_the_owning_teams_members(pilots: Any, admin: Any) -> None:
    from datetime import timedelta

    from pilotdeck.audit.log import utcnow

    t = pilots.readiness.training
    # Without a team: the earlier rule (a current record naming the pilot).
    assert t.trained(PILOT).status.value == "fail"
    t.record("lea", "ML in production", admin, pilot=PILOT)
    assert t.trained(PILOT).status.value == "pass"
    # Owned by a team: every member (clients aside) must be trained.
    pilots.teams.create("crm", "pilot", admin, pilots=[PILOT])
    got = t.trained(PILOT)
    assert got.status.value == "fail" and "no members" in got.evidence
    for user, role in (("lea", None), ("bo", None), ("cy", "viewer"), ("shop-app", "client")):
        pilots.teams.add_member("crm", user, admin, role=role)
    got = t.trained(PILOT)
    assert got.status.value == "fail" and got.evidence.startswith(
        "1 of 3 member(s) of team crm trained; not yet: bo, cy"), got.evidence
    assert got.next_step == "pilotdeck training record bo --course COURSE --team crm"
    t.record("bo", "Responsible AI", admin, team="crm")
    t.record("cy", "ML 101", admin, team="crm", completed_at=utcnow() - timedelta(days=400),
             expires_at=utcnow() - timedelta(days=35))  # expired: does not count
    t.record("cy", "ML 101", admin, team="other")  # another team's course: does not count
    assert t.trained(PILOT).evidence.startswith("2 of 3 member(s)")
    t.record("cy", "ML 101", admin, pilot=PILOT)
    got = t.trained(PILOT)
    assert got.status.value == "pass" and got.evidence.startswith(
        "3 of 3 member(s) of team crm trained: "), got.evidence
    assert {r.user for r in t.list(pilot=PILOT, current=True)} == {"lea", "bo", "cy"}
