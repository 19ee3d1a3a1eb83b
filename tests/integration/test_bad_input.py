"""Hostile values get a 4xx naming the field, never a 500 or a poisoned store:
integers past int64, dates past year 1, NUL characters (PostgreSQL cannot hold
them), and non-finite numbers (NaN and Infinity, as JSON tokens or strings)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from pilotdeck.api.app import create_app
from pilotdeck.auth.roles import local_admin
from pilotdeck.config import Settings
from pilotdeck.gateway.app import create_gateway
from pilotdeck.platform import Platform
from pilotdeck.views.base import View
from tests.backends import missing
from tests.conftest import DEMO_PILOTS, fresh_pg_schema

ADMIN = local_admin("tester")
HUGE = str(2**70)


def _client(platform: Platform) -> TestClient:
    platform.portfolio.import_path(DEMO_PILOTS / "churn-prediction.yaml", ADMIN)
    client = TestClient(create_app(platform))
    token = platform.access.create("h2-admin", "admin", [], ADMIN).token
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    platform = Platform(Settings(home=tmp_path / "home", alert_interval_s=0))
    yield _client(platform)
    platform.close()


@pytest.fixture
def pg_api(tmp_path: Path, pg_ok: bool) -> Iterator[TestClient]:
    if not pg_ok:
        missing("PostgreSQL is not reachable")
    with fresh_pg_schema("h2nul") as url:
        platform = Platform(Settings(home=tmp_path / "home", db_url=url, alert_interval_s=0))
        try:
            yield _client(platform)
        finally:
            platform.close()


def fields(r: Any) -> list[str]:
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in r.json()["errors"]]


def churn_manifest(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((DEMO_PILOTS / "churn-prediction.yaml").read_text())
    for path, value in changes.items():
        node = doc
        *parents, leaf = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return doc


def test_integers_beyond_int64_and_dates_beyond_year_one_are_4xx(api: TestClient) -> None:
    assert fields(api.get(f"/v1/pilots?offset={HUGE}")) == ["offset"]
    assert fields(api.get(f"/v1/audit/events?offset={HUGE}")) == ["offset"]
    assert fields(api.delete(f"/v1/tokens/{HUGE}")) == ["token_id"]
    assert fields(api.get(f"/v1/audit/proof/{HUGE}")) == ["seq"]
    assert fields(api.put("/v1/pilots/churn-prediction/models/aliases/champion",
                          json={"version": 2**70})) == ["version"]
    spec = {"variants": [{"name": "champion", "version": 2**70, "weight": 100}]}
    r = api.put("/v1/pilots/churn-prediction/deployment", json=spec)
    assert fields(r) == ["variants[0].version"]
    m = "/v1/pilots/churn-prediction/monitoring"
    assert fields(api.get(f"{m}/health?since=999999999d")) == ["since"]
    assert fields(api.get(f"{m}/drift?since=99999999999999999999w")) == ["since"]
    assert fields(api.get(f"{m}/drift?version={HUGE}")) == ["version"]
    train = {"user": "lea", "course": "c", "pilot": "churn-prediction"}
    assert fields(api.post("/v1/training", json={**train, "expires": "99999999999999w"})
                  ) == ["expires"]
    assert fields(api.post("/v1/training", json={**train, "completed": "9999999999d"})
                  ) == ["completed"]
    r = api.put("/v1/pilots/churn-prediction/sla", json={"minRequests": 2**70})
    assert fields(r) == ["minRequests"]
    api.put("/v1/pilots/churn-prediction/sla", json={})
    sla = "/v1/pilots/churn-prediction/sla/compliance"
    assert fields(api.get(f"{sla}?window=999999999d")) == ["window"]
    assert fields(api.get(f"{sla}?window={HUGE}w")) == ["window"]


@pytest.mark.postgres
def test_a_nul_character_is_422_before_it_reaches_postgresql(pg_api: TestClient) -> None:
    api = pg_api
    assert fields(api.get("/v1/pilots", params={"businessUnit": "a\x00b"})) == ["businessUnit"]
    assert fields(api.get("/v1/pilots", params={"owner": "\x00"})) == ["owner"]
    assert fields(api.get("/v1/audit/events", params={"actor": "x\x00"})) == ["actor"]
    assert fields(api.get("/v1/pilots/churn%00prediction")) == ["name"]
    assert fields(api.get("/v1/alerts", params={"pilot": "a\x00"})) == ["pilot"]
    r = api.post("/v1/tokens", json={"user": "eve\x00", "role": "viewer"})
    assert fields(r) == ["user"]
    r = api.put("/v1/pilots/churn-prediction",
                json=churn_manifest(**{"metadata.owner": "Jane\x00Doe"}))
    assert fields(r) == ["metadata.owner"]
    r = api.post("/v1/pilots/churn-prediction/models",
                 json={"uri": "models:/x/1", "description": "a\x00"})
    assert fields(r) == ["description"]
    r = api.post("/v1/training", json={"user": "lea", "course": "a\x00", "team": "crm"})
    assert fields(r) == ["course"]
    r = api.put("/v1/pilots/churn-prediction/sla", json={"escalation": "page\x00me"})
    assert fields(r) == ["escalation"]
    r = api.get("/v1/pilots/churn-prediction/sla/compliance", params={"window": "1h\x00"})
    assert fields(r) == ["window"]
    r = api.post("/v1/teams", json={"name": "crm", "kind": "pilot", "description": "a\x00"})
    assert fields(r) == ["description"]
    assert fields(api.put("/v1/teams/crm/members/a%00b", json={})) == ["user"]
    assert fields(api.get("/v1/teams", params={"kind": "x\x00"})) == ["kind"]
    # The store is intact: the same calls without the NUL still work.
    assert api.get("/v1/pilots", params={"owner": "nobody"}).status_code == 200
    assert api.get("/v1/audit/events", params={"actor": "x"}).status_code == 200


@pytest.mark.parametrize("token", [b"Infinity", b"-Infinity", b"NaN", b'"Infinity"', b'"nan"'])
def test_non_finite_numbers_are_refused_in_every_body(api: TestClient, token: bytes) -> None:
    def send(method: str, path: str, doc: Any, placeholder: str) -> Any:
        raw = json.dumps(doc).replace(f'"{placeholder}"', token.decode()).encode()
        return api.request(method, path, content=raw,
                           headers={"content-type": "application/json"})

    spec = {"variants": [{"name": "champion", "version": 1, "weight": 100}],
            "breaker": {"timeoutMs": "@"}}
    r = send("PUT", "/v1/pilots/churn-prediction/deployment", spec, "@")
    assert fields(r) == ["breaker.timeoutMs"]
    r = send("PUT", "/v1/pilots/churn-prediction",
             churn_manifest(**{"spec.economics.expectedValuePerYear": "@"}), "@")
    # Manifests are parsed strictly (orjson): a bare NaN token is not JSON at all.
    quoted = token.startswith(b'"')
    assert fields(r) == ["spec.economics.expectedValuePerYear" if quoted else "body"]
    r = send("POST", "/v1/pilots/churn-prediction/models",
             {"uri": "models:/x/1", "metrics": {"auc": "@"}}, "@")
    assert fields(r) == ["metrics.auc"]
    r = send("POST", "/v1/pilots/churn-prediction/deployment/weights",
             {"weights": {"champion": "@"}}, "@")
    assert fields(r) == ["weights.champion"]
    r = send("PUT", "/v1/pilots/churn-prediction/sla",
             {"accuracy": {"metric": "accuracy", "min": "@"}}, "@")
    assert fields(r) == ["accuracy.min"]


def test_feedback_with_a_non_finite_outcome_or_a_huge_label_is_refused(tmp_path: Path) -> None:
    platform = Platform(Settings(home=tmp_path / "home"))
    try:
        token = platform.access.create("app", "admin", [], ADMIN).token
        with TestClient(create_gateway(platform)) as gw:
            for outcome in ("revenue", "costSaved", "satisfaction"):
                raw = (b'{"requestId": "abcdefgh12", "pilot": "churn-prediction", "'
                       + outcome.encode() + b'": Infinity}')
                r = gw.post("/v1/feedback", content=raw, headers={
                    "Authorization": f"Bearer {token}", "content-type": "application/json"})
                assert fields(r) == [outcome]
            r = gw.post("/v1/feedback", json={"requestId": "abcdefgh12", "pilot": "churn",
                                              "label": {"y": 2**70}},
                        headers={"Authorization": f"Bearer {token}"})
            assert fields(r) == ["label"]  # past 64 bits: not storable, was a 500
    finally:
        platform.close()


def test_views_dump_non_finite_numbers_as_null_so_json_stays_valid() -> None:
    class Figures(View):
        mean: float
        by_group: dict[str, float]

    data = Figures(mean=math.inf, by_group={"a": math.nan, "b": 1.5}).dump()
    assert data == {"mean": None, "byGroup": {"a": None, "b": 1.5}}
    json.dumps(data, allow_nan=False)  # what `monitor impact --format json` prints


# -- the dataset catalogue's uploads and quality suites (h5 probe) ----------------
PARQUET = {"content-type": "application/vnd.apache.parquet"}
YAML_BODY = {"content-type": "application/yaml"}


def _parquet(table: Any) -> bytes:
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


@pytest.fixture
def data_api(api: TestClient) -> TestClient:
    import pyarrow as pa

    r = api.post("/v1/datasets/cust/versions?owner=data", headers=PARQUET,
                 content=_parquet(pa.table({"id": [1, 2, 3], "x": [1.0, 2.0, 3.0]})))
    assert r.status_code == 201, r.text
    return api


def test_an_upload_that_cannot_be_read_is_422_naming_the_body_not_a_server_path(
        data_api: TestClient) -> None:
    for kind, raw in [("text/csv", b"\xff\xfe\x00garbage\n\x01" * 10),  # header not UTF-8
                      ("application/vnd.apache.parquet", b"\x00garbage" * 10)]:
        r = data_api.post("/v1/datasets/junk/versions?owner=data", content=raw,
                          headers={"content-type": kind})
        assert fields(r) == ["body"], r.text
        assert "/tmp" not in r.text and ".upload-" not in r.text, r.text
    assert data_api.get("/v1/datasets/junk").status_code == 404


def test_a_very_wide_csv_or_a_parquet_bomb_is_refused_before_it_is_parsed(
        data_api: TestClient) -> None:
    import numpy as np
    import pyarrow as pa

    wide = (",".join(f"c{i}" for i in range(20_000)) + "\n" + "1," * 19_999 + "1\n").encode()
    r = data_api.post("/v1/datasets/wide/versions?owner=data", content=wide,
                      headers={"content-type": "text/csv"})
    assert fields(r) == ["body"] and "columns" in r.text
    # ~100 KB of Parquet that declares 20M int64 zeros (160 MB; the limit is 100 x 1 MB)
    bomb = _parquet(pa.table({"z": pa.array(np.zeros(20_000_000, dtype=np.int64))}))
    assert len(bomb) < 1024 * 1024
    r = data_api.post("/v1/datasets/bomb/versions?owner=data", content=bomb, headers=PARQUET)
    assert fields(r) == ["body"] and "decompresses" in r.text
    for name in ("wide", "bomb"):
        assert data_api.get(f"/v1/datasets/{name}").status_code == 404


@pytest.mark.parametrize("text", [
    "[" * 20_000 + "]" * 20_000,                               # nested too deeply
    "a: " + "{b: " * 20_000 + "1" + "}" * 20_000,
    "? [a, b]\n: 1\n",                                         # a key that is a list
    "schema_type: dataframe\ncolumns:\n  ? [a]\n  : {}\n",
    "schema_type: dataframe\ncolumns:\n  x:\n    ? {a: 1}\n    : 1\n",
    "schema_type: dataframe\ncolumns:\n  1: {dtype: int64}\n",  # a column named 1 (int)
], ids=["deep-list", "deep-map", "list-key", "list-column", "map-setting", "int-column"])
def test_a_hostile_quality_suite_is_422_and_not_stored(data_api: TestClient, text: str) -> None:
    r = data_api.put("/v1/datasets/cust/quality", content=text.encode(), headers=YAML_BODY)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert data_api.get("/v1/datasets/cust/quality").status_code == 404
    assert data_api.post("/v1/datasets/cust/quality/checks", json={}).status_code == 404


def test_a_suite_is_yaml_text_never_a_file_name_on_the_server(
        data_api: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pandera's from_yaml opens its argument as a file when one has that name
    monkeypatch.chdir(tmp_path)
    (tmp_path / "{title}").write_text("schema_type: dataframe\ncolumns:\n  x: {dtype: int64}\n")
    r = data_api.put("/v1/datasets/cust/quality", content=b"{title}", headers=YAML_BODY)
    assert r.status_code == 422 or r.json()["columns"] == [], r.text


def test_a_broken_suite_on_disk_refuses_an_append_before_it_is_written(
        tmp_path: Path) -> None:
    import pyarrow as pa

    platform = Platform(Settings(home=tmp_path / "home", alert_interval_s=0))
    try:
        api = _client(platform)
        rows = _parquet(pa.table({"id": [1, 2, 3]}))
        assert api.post("/v1/datasets/cust/versions?owner=data", headers=PARQUET,
                        content=rows).status_code == 201
        # a hand edit on the server (not through the API, which now refuses it)
        platform.lake.save_quality_suite(
            "cust", "schema_type: dataframe\ncolumns:\n  1: {dtype: int64}\n")
        r = api.post("/v1/datasets/cust/versions", headers=PARQUET, content=rows)
        assert r.status_code == 422, r.text
        assert [v["version"] for v in api.get("/v1/datasets/cust/versions").json()["items"]
                ] == [0]
    finally:
        platform.close()


# -- rollouts: plans and traffic tables ---------------------------------------------
@pytest.mark.parametrize(("plan", "field"), [
    ({"alpha": "@"}, "plan.alpha"),
    ({"steps": [{"weight": "@"}]}, "plan.steps[0].weight"),
    ({"stepWeight": 1e-300, "maxWeight": 100}, "plan"),  # would make 10^302 steps
    ({"steps": [{"weight": 50}, {"weight": 20}]}, "plan"),
    ({"gates": [{"name": "quality", "margin": -1}]}, "plan.gates[0].margin"),
    ({"gates": [{"name": "rm -rf"}]}, "plan.gates[0].name"),
    ({"designSamples": 1e308}, "plan.designSamples"),
])
def test_a_hostile_rollout_plan_is_422_naming_the_field(api: TestClient, plan: dict[str, Any],
                                                         field: str) -> None:
    raw = json.dumps({"challenger": 2, "plan": plan}).replace('"@"', "NaN").encode()
    r = api.post("/v1/pilots/churn-prediction/rollout", content=raw,
                 headers={"content-type": "application/json"})
    got = fields(r)
    assert any(f == field or f.startswith(field + ".") for f in got), got
    bad = api.post("/v1/rollouts/simulate", json={"traffic": "/etc/passwd"})
    assert fields(bad) == ["traffic"]  # only catalogued tables: no server paths
    big = api.post("/v1/rollouts/simulate", json={"traffic": "dataset:t", "repeat": 1000,
                                                  "maxRequests": 1_000_000})
    assert fields(big) == ["body"]  # the server's CPU is bounded per request
    busy = api.post("/v1/rollouts/simulate", json={"traffic": "dataset:t", "batch": 1,
                                                   "maxRequests": 1_000_000})
    assert fields(busy) == ["body"]  # a check after every request: a million checks


def test_a_bad_plan_file_or_traffic_table_is_one_line_and_non_zero(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.cli import run_cli

    env = {"PILOTDECK_HOME": str(tmp_path / "home")}
    plan = tmp_path / "plan.yaml"
    good = tmp_path / "traffic.parquet"
    pq.write_table(pa.table({"variant": ["champion", "challenger"] * 3,
                             "latency_ms": [1.0] * 6, "error": [False] * 6}), good)
    cases = [("- 5\n- 25\n", good, "--plan"), ("alpha: .nan\n", good, "alpha"),
             ("gates: [{name: errorRate}]\n", tmp_path / "missing.parquet", "traffic"),
             ("gates: [{name: quality}]\n", good, "traffic.label"),
             ("gates: [{name: uplift}]\n", good, "traffic.revenue")]
    for text, traffic, field in cases:
        plan.write_text(text)
        r = run_cli("rollout", "simulate", "--traffic", str(traffic), "--plan", str(plan),
                    env=env)
        assert r.returncode != 0 and field in r.stderr, (text, r.stderr)
        errors = [x for x in r.stderr.splitlines() if x.startswith("error")]
        assert len(errors) == 1 and "Traceback" not in r.stderr, r.stderr
    bad = tmp_path / "bad.parquet"
    for table, field in ((pa.table({"variant": ["champion", "mystery", "challenger"] * 2,
                                    "latency_ms": [1.0] * 6, "error": [False] * 6}),
                          "traffic.variant"),
                         (pa.table({"variant": ["champion", "challenger"] * 3,
                                    "latency_ms": [float("inf")] * 6, "error": [False] * 6}),
                          "traffic.latency_ms")):
        pq.write_table(table, bad)
        plan.write_text("gates: [{name: errorRate}]\n")
        r = run_cli("rollout", "simulate", "--traffic", str(bad), "--plan", str(plan), env=env)
        assert r.returncode != 0 and field in r.stderr, r.stderr
    plan.write_text("gates: [{name: errorRate}]\n")
    ok = run_cli("rollout", "simulate", "--traffic", str(good), "--plan", str(plan),
                 "--format", "json", env=env)
    assert ok.returncode == 0 and json.loads(ok.stdout)["decision"] == "held"


@pytest.mark.parametrize(("query", "field"), [
    ("period=week", "period"), ("period=" + HUGE, "period"), ("since=2999-01-01", "since"),
    ("since=1900-01-01", "since"), ("since=" + HUGE + "d", "since"),
    ("since=99999-01-01", "since"), ("since=nonsense", "since"), ("format=pdf", "format"),
])
def test_a_bad_programme_report_query_is_422_naming_the_field(api: TestClient, query: str,
                                                              field: str) -> None:
    assert field in fields(api.get(f"/v1/programme/report?{query}"))
