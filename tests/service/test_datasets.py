"""The dataset catalogue (Delta tables + entries), its grants, its CLI and routes.

Runs on SQLite and PostgreSQL metadata (the ``platform`` fixture of conftest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from pilotdeck.auth.roles import Principal, Role, local_admin
from pilotdeck.domain.datasets import Access, Caller, Grant, Grantee, decide, parse_ref
from pilotdeck.domain.errors import (
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from pilotdeck.platform import Platform
from tests.cli import run_cli
from tests.conftest import DEMO_PILOTS

ADMIN = local_admin("tester")
PILOT = "churn-prediction"


def table(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({"customer_id": np.arange(n, dtype=np.int64),
                     "age": rng.integers(18, 90, n),
                     "region": rng.choice(["north", "south", "east"], n),
                     "spend": rng.normal(100, 20, n)})


def parquet(path: Path, n: int, seed: int = 0) -> Path:
    pq.write_table(table(n, seed), path)
    return path


def who(role: Role, team: str | None = None, pilots: frozenset[str] | None = None
        ) -> Principal:
    return Principal(f"u-{role.value}", role, pilots, team=team)


@pytest.fixture
def catalogue(platform: Platform, tmp_path: Path) -> Platform:
    platform.portfolio.import_path(DEMO_PILOTS / f"{PILOT}.yaml", ADMIN)
    platform.datasets.register("customers", parquet(tmp_path / "c.parquet", 500), ADMIN,
                               owner="crm", tags=["pii", "domain:customer"],
                               description="CRM customers")
    platform.datasets.register("stores", parquet(tmp_path / "s.parquet", 50, 1), ADMIN,
                               owner="retail")
    return platform


# -- pure rules ---------------------------------------------------------------
def test_references_parse_and_refuse_garbage() -> None:
    assert parse_ref("dataset:customers") == parse_ref("dataset:customers")
    assert parse_ref("dataset:c_1@7").version == 7 and parse_ref("dataset:c_1").version is None
    for bad in ("customers", "dataset:", "dataset:Upper", "dataset:a@", "dataset:a@-1",
                "dataset:a@1.5", "dataset:../x", "dataset:a@١", "dataset:a b"):
        with pytest.raises(ValidationFailed):
            parse_ref(bad)


def test_access_rules() -> None:
    pii = frozenset({"pii"})
    viewer = Caller("viewer", None, None)
    assert decide(viewer, "d", "crm", frozenset(), [], Access.READ).allowed
    assert not decide(viewer, "d", "crm", frozenset(), [], Access.WRITE).allowed
    denied = decide(viewer, "d", "crm", pii, [], Access.READ)
    assert not denied.allowed and "pii" in denied.reason and "role:viewer" in denied.reason
    assert decide(Caller("viewer", "crm", None), "d", "crm", pii, [], Access.WRITE).allowed
    assert decide(Caller("viewer", None, None, admin=True), "d", "x", pii, [], Access.WRITE
                  ).allowed
    tag_grant = Grant(None, "pii", Grantee.ROLE, "viewer", Access.READ)
    assert decide(viewer, "d", "crm", pii, [tag_grant], Access.READ).allowed
    assert not decide(viewer, "d", "crm", pii, [tag_grant], Access.WRITE).allowed
    other = Grant("e", None, Grantee.ROLE, "viewer", Access.WRITE)
    assert not decide(viewer, "d", "crm", pii, [other], Access.READ).allowed
    pilot_grant = Grant("d", None, Grantee.PILOT, "churn", Access.READ)
    assert not decide(viewer, "d", "crm", pii, [pilot_grant], Access.READ).allowed
    assert decide(viewer, "d", "crm", pii, [pilot_grant], Access.READ, for_pilot="churn"
                  ).allowed
    scoped = Caller("pilot-team", None, frozenset({"churn"}))
    assert decide(scoped, "d", "crm", pii, [pilot_grant], Access.READ).allowed
    team_write = Grant("d", None, Grantee.TEAM, "ds", Access.WRITE)
    assert decide(Caller("viewer", "ds", None), "d", "crm", pii, [team_write], Access.READ
                  ).allowed  # write implies read


# -- catalogue ----------------------------------------------------------------
def test_register_append_versions_and_time_travel(catalogue: Platform, tmp_path: Path) -> None:
    p = catalogue
    w = p.datasets.register("customers", parquet(tmp_path / "more.parquet", 20, 5), ADMIN,
                            tags=["retention:90d"])
    assert (w.version, w.rows, w.created) == (1, 20, False)
    d = p.datasets.show("customers", ADMIN)
    assert (d.version, d.rows, d.owner, d.revision) == (1, 520, "crm", 2)
    assert d.tags == ["domain:customer", "pii", "retention:90d"]
    assert [c.name for c in d.columns] == ["customer_id", "age", "region", "spend"]
    vs = p.datasets.versions("customers", ADMIN)
    assert [(v.version, v.operation, v.rows_added) for v in vs] == [
        (1, "append", 20), (0, "register", 500)]
    old = p.datasets.query("customers", ADMIN, version=0, limit=10_000)
    assert len(old.rows) == 500 and not old.truncated and old.version == 0
    new = p.datasets.query("customers", ADMIN, limit=3, columns=["age"])
    assert new.columns == ["age"] and len(new.rows) == 3 and new.truncated
    events = [e.action for e in p.audit.log(entity_type="dataset")]
    assert events.count("dataset.registered") == 2 and "dataset.appended" in events
    assert [s.name for s in p.datasets.list(ADMIN, tag="pii")] == ["customers"]
    assert [s.name for s in p.datasets.list(ADMIN, owner="retail")] == ["stores"]


def test_bad_registrations_change_nothing(catalogue: Platform, tmp_path: Path) -> None:
    p = catalogue
    wrong = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"customer_id": [1], "age": ["old"], "extra": [1.0]}), wrong)
    with pytest.raises(ValidationFailed) as e:
        p.datasets.register("customers", wrong, ADMIN)
    fields = {f.field for f in e.value.errors}
    assert {"columns.region", "columns.extra", "columns.age"} <= fields
    empty = tmp_path / "empty.parquet"
    pq.write_table(table(0), empty)
    for name, src, kw in [("customers", empty, {}), ("new-one", wrong, {}),
                          ("customers", wrong, {"owner": "someone-else"}),
                          ("Bad", wrong, {"owner": "x"}), ("x", tmp_path / "nope", {"owner": "x"}),
                          ("x", wrong, {"owner": "x", "tags": ["BAD TAG"]}),
                          ("x", wrong, {"owner": "x", "uri": "/etc/passwd"})]:
        with pytest.raises(ValidationFailed):
            p.datasets.register(name, src, ADMIN, **kw)  # type: ignore[arg-type]
    assert p.datasets.show("customers", ADMIN).version == 0
    assert [d.name for d in p.datasets.list(ADMIN)] == ["customers", "stores"]
    # Appending with a new column works only when asked to.
    extra = tmp_path / "extra.parquet"
    pq.write_table(table(5).append_column("score", pa.array([1.0] * 5)), extra)
    with pytest.raises(ValidationFailed):
        p.datasets.register("stores", extra, ADMIN)
    assert p.datasets.register("stores", extra, ADMIN, merge_schema=True).version == 1
    assert "score" in [c.name for c in p.datasets.show("stores", ADMIN).columns]


def test_catalogued_files_cannot_be_read_by_path(catalogue: Platform) -> None:
    path = catalogue.lake.datasets.default_uri("customers")
    for source in (path, path + "/../customers", path + "/_delta_log"):
        with pytest.raises(ValidationFailed, match="dataset:NAME"):
            catalogue.datasets.register("copy", source, ADMIN, owner="x")
        with pytest.raises(ValidationFailed):
            catalogue.monitoring.build_profile(source, "p1")


def test_tags_and_descriptions_need_ownership_and_revisions(catalogue: Platform) -> None:
    p = catalogue
    d = p.datasets.tag("customers", who(Role.PILOT_TEAM, "crm", frozenset()),
                       add=["tier:gold"], columns={"age": "years, at signup"},
                       description="all customers")
    assert "tier:gold" in d.tags and d.columns[1].description == "years, at signup"
    with pytest.raises(PreconditionFailed):
        p.datasets.tag("customers", ADMIN, remove=["pii"], expected_revision=d.revision - 1)
    with pytest.raises(Forbidden):  # a write grant does not let anyone drop "pii"
        p.datasets.tag("customers", who(Role.PLATFORM_ENGINEER), remove=["pii"])
    with pytest.raises(ValidationFailed):
        p.datasets.tag("customers", ADMIN, columns={"nope": "x"})
    assert "pii" in p.datasets.show("customers", ADMIN).tags


# -- access control -----------------------------------------------------------
def test_pii_needs_a_grant_on_every_read_path(catalogue: Platform, tmp_path: Path) -> None:
    p = catalogue
    viewer = who(Role.VIEWER)
    engineer = who(Role.PLATFORM_ENGINEER)
    assert p.datasets.query("stores", viewer, limit=1).rows  # not personal data
    assert not p.datasets.show("customers", viewer).readable
    paths = [lambda u: p.datasets.query("customers", u),
             lambda u: p.datasets.pin("dataset:customers@0", u),
             lambda u: p.datasets.register("copy", "dataset:customers", u, owner="x"),
             lambda u: p.monitoring.build_profile("dataset:customers", "prof", who=u),
             lambda u: p.monitoring.drift("dataset:customers", "dataset:stores", who=u)]
    for path in paths:
        with pytest.raises(Forbidden, match="customers.*pii.*grant"):
            path(engineer)
    denied = p.audit.log(action="dataset.read-denied")
    assert len(denied) == len(paths) and all(e.entity.id == "customers" for e in denied)
    p.datasets.access.grant("tag:pii", "role:platform-engineer", "read", ADMIN)
    assert len(p.datasets.query("customers", engineer).rows) == 20
    p.datasets.access.revoke("tag:pii", "role:platform-engineer", "read", ADMIN)
    with pytest.raises(Forbidden):
        p.datasets.query("customers", engineer)
    # A pilot grant lets a job run for that pilot read, and a token limited to it.
    p.datasets.access.grant("customers", f"pilot:{PILOT}", "read", ADMIN)
    assert p.datasets.pin("dataset:customers", engineer, for_pilot=PILOT).version == 0
    team = who(Role.PILOT_TEAM, pilots=frozenset({PILOT}))
    assert p.datasets.query("customers", team, limit=1).rows
    # Writing needs ownership or a write grant, even where reading is open.
    with pytest.raises(Forbidden, match="owned by team retail"):
        p.datasets.register("stores", parquet(tmp_path / "w.parquet", 3), engineer)
    p.datasets.access.grant("stores", "role:platform-engineer", "write", ADMIN)
    assert p.datasets.register("stores", parquet(tmp_path / "w.parquet", 3), engineer).version


def test_who_may_grant(catalogue: Platform) -> None:
    p = catalogue
    with pytest.raises(Forbidden):
        p.datasets.access.grant("customers", "role:viewer", "read", who(Role.PLATFORM_ENGINEER))
    owner = who(Role.PILOT_TEAM, "crm", frozenset())
    g = p.datasets.access.grant("customers", "team:analytics", "read", owner)
    assert (g.target, g.to, g.access) == ("customers", "team:analytics", "read")
    assert p.datasets.access.grant("customers", "team:analytics", "read", owner).id == g.id
    with pytest.raises(Forbidden):  # tag grants reach every dataset: not for an owner
        p.datasets.access.grant("tag:pii", "team:analytics", "read", owner)
    board = who(Role.GOVERNANCE_BOARD)
    assert p.datasets.access.grant("tag:pii", "team:analytics", "read", board).target == "tag:pii"
    for target, to, access in [("customers", "role:wizard", "read"),
                               ("customers", "pilot:no-such-pilot", "read"),
                               ("customers", "group:x", "read"), ("customers", "team:x", "own"),
                               ("tag:BAD", "team:x", "read")]:
        with pytest.raises(ValidationFailed):
            p.datasets.access.grant(target, to, access, ADMIN)
    with pytest.raises(NotFound):
        p.datasets.access.grant("nope", "team:x", "read", ADMIN)
    assert {x.to for x in p.datasets.access.grants(ADMIN, "customers")} == {"team:analytics"}
    assert len(p.datasets.access.grants(ADMIN)) == 2


# -- CLI and API ---------------------------------------------------------------
def test_cli(tmp_path: Path) -> None:
    env = {"PILOTDECK_HOME": str(tmp_path / "home")}
    src = parquet(tmp_path / "c.parquet", 30)
    csv = tmp_path / "c.csv"
    table(4, 9).to_pandas().to_csv(csv, index=False)
    out = run_cli("data", "register", "customers", "--path", str(src), "--owner", "crm",
                  "--tag", "pii", env=env)
    assert out.returncode == 0 and "version 0, 30 rows" in out.stdout, out.stderr
    out = run_cli("data", "register", "customers", "--path", str(csv), "--format", "json",
                  env=env)
    assert json.loads(out.stdout)["version"] == 1, out.stderr
    assert "customers" in run_cli("data", "list", env=env).stdout
    shown = json.loads(run_cli("data", "show", "customers", "--format", "json", env=env).stdout)
    assert shown["rows"] == 34 and shown["tags"] == ["pii"]
    vs = json.loads(run_cli("data", "versions", "customers", "--format", "json", env=env).stdout)
    assert [v["rowsAdded"] for v in vs] == [4, 30]
    out = run_cli("data", "query", "customers", "--version", "0", "--limit", "2", "--column",
                  "age", "--format", "csv", env=env)
    assert out.stdout.splitlines()[0] == "age" and len(out.stdout.splitlines()) == 3
    out = run_cli("data", "tag", "customers", "--add", "domain:crm", "--column", "age=years",
                  env=env)
    assert out.returncode == 0 and "domain:crm" in out.stdout
    out = run_cli("data", "grant", "tag:pii", "--to", "role:viewer", env=env)
    assert out.returncode == 0 and "read on tag:pii to role:viewer" in out.stdout
    assert "tag:pii" in run_cli("data", "grants", env=env).stdout
    for args, msg in [(("data", "query", "nope"), "dataset 'nope' not found"),
                      (("data", "query", "customers", "--version", "7"), "version 7"),
                      (("data", "register", "x", "--path", str(tmp_path / "none")),
                       "no such file"),
                      (("data", "grant", "customers", "--to", "boss:x"), "role:ROLE")]:
        out = run_cli(*args, env=env)
        assert out.returncode == 1 and msg in out.stderr and len(out.stderr.splitlines()) == 1


def test_api(catalogue: Platform, tmp_path: Path) -> None:
    from pilotdeck.api.app import create_app

    p = catalogue
    client = TestClient(create_app(p))
    tok: dict[str, str] = {
        "admin": p.access.create("a", "admin", [], ADMIN).token,
        "viewer": p.access.create("v", "viewer", [], ADMIN).token,
        "owner": p.access.create("o", "pilot-team", [PILOT], ADMIN, team="crm").token}

    def h(k: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tok[k]}"}

    items = client.get("/v1/datasets", headers=h("viewer")).json()["items"]
    assert [i["name"] for i in items] == ["customers", "stores"]
    r = client.get("/v1/datasets/customers", headers=h("viewer"))
    assert r.status_code == 200 and r.headers["etag"] == '"1"' and not r.json()["readable"]
    assert r.json()["uri"] == "lake:datasets/customers"  # never the server's own path
    r = client.get("/v1/datasets/customers/rows", headers=h("viewer"))
    assert r.status_code == 403 and "pii" in r.json()["detail"]
    r = client.get("/v1/datasets/customers/rows?limit=2&columns=age&version=0",
                   headers=h("owner"))
    assert r.status_code == 200 and r.json()["rows"][0].keys() == {"age"}
    body = pq_bytes(table(7))
    r = client.post("/v1/datasets/customers/versions", content=body,
                    headers={**h("owner"), "content-type": "application/vnd.apache.parquet"})
    assert r.status_code == 201 and r.json()["version"] == 1, r.text
    r = client.post("/v1/datasets/customers/versions", content=body,
                    headers={**h("viewer"), "content-type": "application/vnd.apache.parquet"})
    assert r.status_code == 403
    r = client.post("/v1/datasets/fresh/versions?owner=crm&tag=domain:x", content=b"a,b\n1,2\n",
                    headers={**h("owner"), "content-type": "text/csv"})
    assert r.status_code == 201 and r.json()["created"], r.text
    up = p.lineage.upstream("dataset:fresh@0", None)
    assert not [n for n in up.nodes if n.id.startswith("file:")]  # the temp file is no node
    for content, kind in [(b"not parquet", "application/vnd.apache.parquet"),
                          (b"{}", "application/json"), (b"", "text/csv")]:
        r = client.post("/v1/datasets/customers/versions", content=content,
                        headers={**h("owner"), "content-type": kind})
        assert r.status_code == 422, (kind, r.text)
    assert len(client.get("/v1/datasets/customers/versions", headers=h("viewer")).json()[
        "items"]) == 2
    r = client.patch("/v1/datasets/customers", json={"addTags": ["x"]},
                     headers={**h("owner"), "If-Match": '"1"'})
    assert r.status_code == 412
    r = client.patch("/v1/datasets/customers", json={"addTags": ["x"]},
                     headers={**h("owner"), "If-Match": '"2"'})
    assert r.status_code == 200 and "x" in r.json()["tags"]
    r = client.post("/v1/dataset-grants", json={"target": "customers", "to": "role:viewer"},
                    headers=h("viewer"))
    assert r.status_code == 403
    r = client.post("/v1/dataset-grants", json={"target": "customers", "to": "role:viewer"},
                    headers=h("owner"))
    assert r.status_code == 201
    assert client.get("/v1/datasets/customers/rows", headers=h("viewer")).status_code == 200
    r = client.post("/v1/dataset-grants/revoke", json={"target": "customers",
                                                      "to": "role:viewer"}, headers=h("admin"))
    assert r.status_code == 200
    assert client.get("/v1/datasets/customers/rows", headers=h("viewer")).status_code == 403
    assert client.get("/v1/datasets/Bad", headers=h("viewer")).status_code == 422
    assert client.get("/v1/datasets/nope", headers=h("viewer")).status_code == 404


def pq_bytes(t: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(t, sink)
    return bytes(sink.getvalue().to_pybytes())




def test_maturity_evidence_from_the_catalogue(tmp_path: Path) -> None:
    """Data-governance practices are proved by the catalogue: models trace to dataset
    versions, and those datasets have quality suites that pass."""
    from pilotdeck.config import Settings

    p = Platform(Settings(home=tmp_path / "home", db_url=f"sqlite:///{tmp_path / 'db'}",
                          mlflow_uri="memory://"))
    try:
        p.portfolio.import_path(DEMO_PILOTS / f"{PILOT}.yaml", ADMIN)
        model = tmp_path / "model"
        model.mkdir()
        (model / "MLmodel").write_text("flavors:\n  python_function: {loader_module: x}\n")
        p.datasets.register("churn_train", parquet(tmp_path / "t.parquet", 200), ADMIN,
                            owner="crm")

        def evidence() -> dict[str, Any]:
            with p.store.read() as uow:
                return {k: {"satisfied": e.satisfied, "note": e.note}
                        for k, e in p.assessments.evidence_for(uow, PILOT).items()}

        p.models.register(PILOT, ADMIN, path=model, datasets=["free text"])
        ev = evidence()
        assert ev["data.lineage_documented"]["satisfied"] is False
        assert "catalogued" not in ev["data.quality_baseline"]["note"]  # the manifest says
        p.models.register(PILOT, ADMIN, path=model, datasets=["dataset:churn_train@0"])
        ev = evidence()
        assert ev["data.lineage_documented"]["note"].startswith("1/2")
        assert ev["data.quality_automated"]["satisfied"] is False
        p.dataset_quality.baseline("churn_train", ADMIN)
        ev = evidence()
        assert ev["data.quality_automated"]["satisfied"] is True
        assert ev["data.quality_baseline"]["satisfied"] is True
        bad = tmp_path / "bad.parquet"
        pq.write_table(table(200).set_column(1, "age", pa.array([500] * 200)), bad)
        assert p.datasets.register("churn_train", bad, ADMIN).quality == "failed"
        assert evidence()["data.quality_baseline"]["satisfied"] is False
    finally:
        p.close()


def test_the_gateway_logs_are_catalogued_system_datasets(catalogue: Platform) -> None:
    """Once the gateway has logged requests, ``predictions`` (and ``feedback``) are in
    the catalogue: versioned, pii, readable only with a grant, written by pilotdeck."""
    from tests.contract.test_lake import _request
    from tests.contract.test_lake_delta import _flushes

    p = catalogue
    assert "predictions" not in {d.name for d in p.datasets.list(ADMIN)}  # nothing logged
    _flushes(p.lake, [[_request(i) for i in range(3)], [_request(3)]])
    p.datasets._logs_catalogued = False  # a new process would look again
    listed = {d.name: d for d in p.datasets.list(ADMIN)}
    log = listed["predictions"]
    assert log.system and log.version == 2 and log.rows == 4 and "pii" in log.tags  # 0: created
    rows = p.datasets.query("predictions", ADMIN, limit=10)
    assert len(rows.rows) == 4 and "pilot" in rows.columns  # a partition column, read back
    assert len(p.datasets.query("predictions", ADMIN, version=1).rows) == 3
    with pytest.raises(Forbidden, match="pii"):
        p.datasets.query("predictions", who(Role.VIEWER))
    with pytest.raises(ValidationFailed, match="pilotdeck only"):
        p.datasets.register("predictions", p.lake.datasets.default_uri("x"), ADMIN)
    [event] = [e for e in p.audit.log(action="dataset.registered")
               if e.entity.id == "predictions"]
    assert event.actor == "pilotdeck"
