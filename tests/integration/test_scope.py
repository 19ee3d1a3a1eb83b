"""Pilot scope by id, client tokens limited to pilots, copies of other pilots'
models and server paths in API requests (issue 8, items 1 and 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from pilotdeck.api.app import create_app
from pilotdeck.auth.roles import Permission, Role
from pilotdeck.domain.errors import Forbidden, ValidationFailed

MINE, OTHER = "churn-prediction", "next-best-offer"


@pytest.fixture
def api(platform, admin, demo_pilots):  # type: ignore[no-untyped-def]
    platform.portfolio.import_path(demo_pilots, admin)
    return TestClient(create_app(platform))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_recreated_pilot_is_not_in_the_old_teams_scope(api, platform, admin) -> None:
    team = platform.access.create("ana", "pilot-team", [MINE], admin).token
    doc = yaml.safe_load(api.get(f"/v1/pilots/{MINE}/manifest", headers=bearer(team)).text)
    assert api.put(f"/v1/pilots/{MINE}", json=doc, headers=bearer(team)).status_code == 200
    platform.portfolio.delete(MINE, admin)
    assert platform.access.authenticate(team).pilots == frozenset()
    assert api.post("/v1/pilots", json=doc, headers=bearer(team)).status_code == 403
    created = api.post("/v1/pilots", json=doc, headers=bearer(
        platform.access.create("root", "admin", [], admin).token))
    assert created.status_code == 201
    # Same name, another pilot: the old grant does not reach it.
    assert api.put(f"/v1/pilots/{MINE}", json=doc, headers=bearer(team)).status_code == 403
    assert api.post("/v1/assessments", json={"pilot": MINE},
                    headers=bearer(team)).status_code == 403
    listed = {t.user: t.pilots for t in platform.access.list()}
    assert listed["ana"] == []


def test_client_tokens_may_be_limited_to_pilots(platform, admin, demo_pilots) -> None:
    platform.portfolio.import_path(demo_pilots, admin)
    shop_token = platform.access.create("shop", "client", [MINE], admin).token
    scoped = platform.access.authenticate(shop_token)
    assert scoped.can(Permission.GATEWAY_PREDICT, MINE)
    assert not scoped.can(Permission.GATEWAY_PREDICT, OTHER)
    assert not scoped.can(Permission.GATEWAY_FEEDBACK, OTHER)
    anywhere = platform.access.authenticate(
        platform.access.create("any", "client", [], admin).token)
    assert anywhere.pilots is None and anywhere.can(Permission.GATEWAY_PREDICT, OTHER)
    for role in ("viewer", "admin", "governance-board"):
        with pytest.raises(ValidationFailed, match="pilots"):
            platform.access.create("x", role, [MINE], admin)
    with pytest.raises(ValidationFailed, match="unknown pilot"):
        platform.access.create("x", "client", ["no-such-pilot"], admin)
    # A scoped client whose only pilot is deleted is limited to nothing, not unlimited.
    platform.portfolio.delete(MINE, admin)
    assert platform.access.authenticate(shop_token).pilots == frozenset()
    shop = next(t for t in platform.access.list() if t.user == "shop")
    assert shop.pilots == []


def test_a_team_cannot_copy_another_pilots_model(api, platform, admin) -> None:
    team = bearer(platform.access.create("ana", "pilot-team", [MINE], admin).token)
    for uri in (f"models:/{OTHER}/1", f"models:/{OTHER}@champion", "models:/m-123"):
        r = api.post(f"/v1/pilots/{MINE}/models", json={"uri": uri}, headers=team)
        assert r.status_code == 403, (uri, r.text)
    with platform.store.write() as uow:  # a version of OTHER made from run abc123
        other = uow.pilots.get(OTHER)
        from pilotdeck.audit.log import utcnow

        uow.models.add_version(pilot_id=other.id, version=1, run_id="r-registered",
                               source="file:///m/artifacts/7/abc123/artifacts/model",
                               signature=None, metrics={}, datasets=[],
                               registered_at=utcnow(), registered_by="test")
    for run in ("r-registered", "abc123"):
        r = api.post(f"/v1/pilots/{MINE}/models", json={"uri": f"runs:/{run}/model"},
                     headers=team)
        assert r.status_code == 403, (run, r.text)
    # A run no pilot uses (the team's own training run) gets to MLflow, which
    # does not know it: a 422, not a refusal.
    r = api.post(f"/v1/pilots/{MINE}/models", json={"uri": "runs:/0123abcd/model"},
                 headers=team)
    assert r.status_code == 422, r.text
    # An administrator is not limited to pilots.
    with pytest.raises(ValidationFailed):
        platform.models.register(MINE, admin, uri="runs:/r-registered/model")


def test_server_paths_are_limited_to_the_roots_and_never_echoed(api, platform, admin,
                                                                tmp_path) -> None:
    h = bearer(platform.access.create("root", "admin", [], admin).token)
    root = platform.settings.server_paths[0]
    root.mkdir(parents=True)
    (tmp_path / "outside.parquet").write_bytes(b"not parquet")
    (root / "link.parquet").symlink_to(tmp_path / "outside.parquet")
    answers = set()
    for ref in ("/etc/shadow", "/etc/no-such-file", "../outside.parquet", "link.parquet",
                str(tmp_path / "outside.parquet"), "duckdb:///etc/x.duckdb?table=t"):
        r = api.post(f"/v1/pilots/{MINE}/models", json={"uri": f"models:/{MINE}/1",
                                                        "reference": ref}, headers=h)
        assert r.status_code == 422, (ref, r.text)
        assert r.json()["errors"][0]["field"] == "reference"
        assert ref.strip("./") not in r.text and "/etc" not in r.text
        answers.add(r.text)
    assert len(answers) == 1, "existing and missing files must get the same answer"
    r = api.post(f"/v1/pilots/{MINE}/models", json={
        "uri": f"models:/{MINE}/1", "reference": "missing.parquet"}, headers=h)
    assert r.status_code == 422 and "no such file" in r.text
    assert str(root) not in r.text and "missing.parquet" not in r.text


def test_the_route_level_check_refuses_other_pilots_before_the_handler(api, platform,
                                                                        admin) -> None:
    team = bearer(platform.access.create("ana", "pilot-team", [MINE], admin).token)
    r = api.put(f"/v1/pilots/{OTHER}/models/aliases/champion", json={"version": 1},
                headers=team)
    assert r.status_code == 403
    unknown = api.put("/v1/pilots/no-such-pilot/models/aliases/champion",
                      json={"version": 1}, headers=team)
    assert unknown.status_code == 403, "a scoped token learns nothing about other pilots"
    with pytest.raises(Forbidden):
        platform.models.set_alias(OTHER, "champion", 1, platform.access.authenticate(
            platform.access.create("bo", "pilot-team", [MINE], admin).token))


def test_principals_that_must_be_scoped_never_default_to_everything() -> None:
    from pilotdeck.auth.roles import Principal

    team = Principal("ana", Role.PILOT_TEAM)
    assert team.pilots == frozenset() and not team.can(Permission.PILOTS_WRITE, MINE)
    assert Principal("app", Role.CLIENT).can(Permission.GATEWAY_PREDICT, MINE)


def test_reference_roots_resolve_symlinks_and_keep_duckdb_specs(tmp_path: Path) -> None:
    from pilotdeck.services.paths import ServerPaths

    root = tmp_path / "data"
    root.mkdir()
    (root / "t.parquet").write_bytes(b"x")
    paths = ServerPaths([root])
    assert paths.resolve("t.parquet", "f") == str((root / "t.parquet").resolve())
    spec = paths.resolve(f"duckdb://{root}/db.duckdb?table=events", "f")
    assert spec == f"duckdb:{root.resolve()}/db.duckdb?table=events"
    for bad in ("", "a\0b", "/", str(tmp_path), "../data2/x"):
        with pytest.raises(ValidationFailed):
            paths.resolve(bad, "f")
