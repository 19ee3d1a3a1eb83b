"""The gateway through real HTTP: formats, validation, routing, breaker, cache, log."""

from __future__ import annotations

import concurrent.futures
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import httpx
import uvicorn

from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform
from tests.backends import require_redis
from tests.governance import minimal_risk
from tests.integration.conftest import (
    ADMIN,
    COLS,
    Env,
    free_port,
    log_dataset,
    split,
    start_gateway,
    stop,
)
from tests.polling import wait_until

DEMO = Path(__file__).resolve().parents[2] / "src/pilotdeck/demo/pilots"
BASE = {"variants": [{"name": "champion", "version": 1, "weight": 90},
                     {"name": "challenger", "version": 2, "weight": 10}]}


def test_all_mlflow_formats_give_the_models_own_predictions(env: Env) -> None:
    env.deploy(**BASE)
    X = env.trained["X"].head(5)
    want = env.trained["lr"].predict(X).tolist()
    bodies = [split(X), {"dataframe_records": X.to_dict(orient="records")},
              {"instances": X.to_dict(orient="records")}, {"instances": X.values.tolist()},
              {"inputs": {c: X[c].tolist() for c in COLS}}]
    for body in bodies:
        r = env.predict(body, key="user-champion-1")
        assert r.status_code == 200, r.text
        out = r.json()
        assert set(out) == {"predictions", "requestId", "variant", "modelVersion", "cached"}
        if out["variant"] == "champion":
            assert out["predictions"] == want and out["modelVersion"] == 1
        assert len(out["requestId"]) == 40


def test_bad_input_is_a_4xx_naming_the_column(env: Env) -> None:
    X = env.trained["X"].head(2)
    cases = [
        ({"dataframe_split": {"columns": COLS[:3], "data": X.values[:, :3].tolist()}},
         422, "columns.age", "is required"),
        ({"dataframe_split": {"columns": [*COLS, "zip"], "data": [[1, 2, 3, 4, 5]]}},
         422, "columns.zip", "not in the model signature"),
        ({"dataframe_records": [{"tenure": "long", "spend": 1, "calls": 1, "age": 1}]},
         422, "[0].tenure", "expected double, got string"),
        ({"dataframe_records": [{"tenure": None, "spend": 1, "calls": 1, "age": 1}]},
         422, "[0].tenure", "missing"),
        ({"instances": [[1, 2, 3]]}, 422, "[0]", "has 3 values, expected 4"),
        ({"nothing": []}, 422, "body", "exactly one of"),
        # A boolean is never read as 1.0: in a list row, where the float array
        # would have taken it, and in the last row of many.
        ({"instances": [[1.0, 2.0, 3.0, 4.0]] * 50 + [[1.0, True, 3.0, 4.0]]}, 422,
         "[50].spend", "expected double, got boolean"),
    ]
    for body, code, field, problem in cases:
        r = env.predict(body)
        assert r.status_code == code, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        errs = r.json()["errors"]
        assert any(e["field"] == field and problem in e["problem"] for e in errs), errs
        assert "long" not in r.text or "expected double" in r.text
    r = env.predict({"instances": [[0.0] * 4] * 10_001})
    assert r.status_code == 413
    r = env.http.post("/v1/pilots/churn-prediction/predict", content=b"{nope")
    assert r.status_code == 422
    assert env.http.post("/v1/pilots/nope/predict", json=split(X)).status_code == 404
    anon = httpx.post(f"{env.base}/v1/pilots/churn-prediction/predict", json=split(X))
    assert anon.status_code == 401
    assert anon.headers["www-authenticate"] == "Bearer"
    basic = httpx.post(f"{env.base}/v1/pilots/churn-prediction/predict", json=split(X),
                       headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401


def test_client_role_can_predict_and_send_feedback_but_nothing_else(env: Env) -> None:
    h = {"Authorization": f"Bearer {env.client_token}"}  # type: ignore[attr-defined]
    X = env.trained["X"].head(1)
    r = httpx.post(f"{env.base}/v1/pilots/churn-prediction/predict", json=split(X), headers=h)
    assert r.status_code == 200
    rid = r.json()["requestId"]
    fb = httpx.post(f"{env.base}/v1/feedback", headers=h, json={
        "requestId": rid, "pilot": "churn-prediction", "label": 1, "revenue": 12.5,
        "costSaved": 3.0})
    assert fb.status_code == 202
    assert fb.json() == {"status": "accepted", "requestId": rid}
    assert httpx.get(f"{env.base}/v1/gateway/status", headers=h).status_code == 403
    bad = httpx.post(f"{env.base}/v1/feedback", headers=h, json={"requestId": "x"})
    assert bad.status_code == 422


def test_feedback_takes_the_older_snake_case_keys_and_only_pilot_names(env: Env) -> None:
    rid = env.predict(split(env.trained["X"].head(1))).json()["requestId"]
    old = httpx.post(f"{env.base}/v1/feedback", headers=env.http.headers, json={
        "request_id": rid, "pilot": "churn-prediction", "cost_saved": 2.5})
    assert old.status_code == 202 and old.json()["requestId"] == rid
    for pilot in ("../../etc", "churn-prediction/../x", "x/../../../../tmp/target", "Churn",
                  "-x", "a" * 64, ""):
        r = httpx.post(f"{env.base}/v1/feedback", headers=env.http.headers, json={
            "requestId": rid, "pilot": pilot, "label": 1})
        assert r.status_code == 422, (pilot, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == "pilot"
    misspelt = httpx.post(f"{env.base}/v1/feedback", headers=env.http.headers, json={
        "requestId": rid, "pilot": "churn-prediction", "costsaved": 1})
    assert misspelt.status_code == 422
    from pilotdeck.gateway.routes import Feedback

    for key in ("cost_saved", "costSaved"):
        fb = Feedback.model_validate({"requestId": "0123456789abcdef", "pilot": "p", key: 2.5})
        assert fb.cost_saved == 2.5


def test_feedback_is_refused_rather_than_dropped(env: Env) -> None:
    """Unknown pilot: 404; a request id not issued for that pilot: 422; never 202."""
    rid = env.predict(split(env.trained["X"].head(1))).json()["requestId"]
    h = env.http.headers
    env.platform.portfolio.import_path(DEMO / "next-best-offer.yaml", ADMIN)

    def knows_the_new_pilot() -> bool:
        r = httpx.post(f"{env.base}/v1/feedback", headers=h,
                       json={"requestId": rid, "pilot": "next-best-offer"})
        return r.status_code != 404

    wait_until(knows_the_new_pilot, timeout=15, interval=0.05,
               message="the gateway to learn of the new pilot")
    cases = [({"pilot": "no-such-pilot"}, 404),
             ({"pilot": "churn-prediction", "requestId": "0123456789abcdef0123"}, 422),
             # the last character changed (to one it is not: "0" half the time was
             # the very id, and a 202)
             ({"pilot": "churn-prediction",
               "requestId": rid[:-1] + ("1" if rid.endswith("0") else "0")}, 422),
             ({"pilot": "next-best-offer"}, 422)]  # issued for another pilot
    for change, status in cases:
        r = httpx.post(f"{env.base}/v1/feedback", headers=h,
                       json={"requestId": rid, "label": 1, **change})
        assert r.status_code == status, (change, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    ok = httpx.post(f"{env.base}/v1/feedback", headers=h,
                    json={"requestId": rid, "pilot": "churn-prediction", "label": 1})
    assert ok.status_code == 202


def test_client_tokens_limited_to_pilots(env: Env) -> None:
    mine = env.platform.access.create("shop", "client", ["churn-prediction"], ADMIN).token
    env.platform.portfolio.import_path(DEMO / "next-best-offer.yaml", ADMIN)
    other = env.platform.access.create("other", "client", ["next-best-offer"], ADMIN).token
    X = split(env.trained["X"].head(1))

    def known() -> bool:
        r = httpx.post(f"{env.base}/v1/pilots/churn-prediction/predict", json=X,
                       headers={"Authorization": f"Bearer {other}"})
        return r.status_code != 401

    wait_until(known, timeout=15, interval=0.05, message="the gateway to load the new tokens")
    url = f"{env.base}/v1/pilots/churn-prediction/predict"
    r = httpx.post(url, json=X, headers={"Authorization": f"Bearer {mine}"})
    assert r.status_code == 200
    rid = r.json()["requestId"]
    denied = httpx.post(url, json=X, headers={"Authorization": f"Bearer {other}"})
    assert denied.status_code == 403 and "churn-prediction" not in denied.text
    fb = {"requestId": rid, "pilot": "churn-prediction", "label": 0}
    assert httpx.post(f"{env.base}/v1/feedback", json=fb,
                      headers={"Authorization": f"Bearer {other}"}).status_code == 403
    assert httpx.post(f"{env.base}/v1/feedback", json=fb,
                      headers={"Authorization": f"Bearer {mine}"}).status_code == 202


def test_anonymous_health_names_no_pilot(env: Env) -> None:
    r = httpx.get(f"{env.base}/healthz")
    assert r.status_code == 200 and r.json()["routes"] >= 1
    assert "churn-prediction" not in r.text


def test_sticky_assignment_and_split(env: Env) -> None:
    env.deploy(**BASE)
    X = env.trained["X"].head(1)
    seen = {env.predict(split(X), key="alice").json()["variant"] for _ in range(15)}
    assert len(seen) == 1
    counts = Counter(env.predict(split(X), key=f"user-{i}").json()["variant"]
                     for i in range(300))
    assert 10 <= counts["challenger"] <= 60, counts
    env.platform.models.set_weights("churn-prediction", {"champion": 0, "challenger": 100},
                                    ADMIN)
    env.wait_revision()
    assert env.predict(split(X), key="alice").json()["variant"] == "challenger"


def key_for(variant_share: float, want_high: bool) -> str:
    """A routing key whose bucket lands in the top (challenger) or bottom part."""
    from pilotdeck.domain.serving import BUCKETS, bucket

    for i in range(100_000):
        k = f"k{i}"
        if (bucket(k) >= BUCKETS * (1 - variant_share)) == want_high:
            return k
    raise AssertionError


def test_failing_challenger_falls_back_and_is_rolled_back_with_an_audit_event(
        env: Env) -> None:
    control = env.trained["control"]
    control.write_text("raise")
    env.deploy(variants=[{"name": "champion", "version": 1, "weight": 50},
                         {"name": "challenger", "version": 3, "weight": 50}],
               breaker={"consecutiveFailures": 3, "minRequests": 100})
    X = env.trained["X"].head(1)
    key = key_for(0.5, True)
    variants = [env.predict(split(X), key=key).json()["variant"] for _ in range(6)]
    assert variants == ["champion"] * 6  # every failure served by the fallback
    wait_until(lambda: env.platform.models.deployment(
        "churn-prediction").spec.variants[1].weight == 0, timeout=5,
        message="the gateway to roll the failing challenger back to weight 0")
    [event] = env.platform.audit.log(action="deployment.rolled-back")[-1:]
    assert "3 consecutive failures" in event.data["reason"]
    assert event.actor == "system:gateway"
    control.write_text("ok")


def test_hanging_and_slow_models_trip_the_breaker(env: Env) -> None:
    control = env.trained["control"]
    control.write_text("hang")
    env.deploy(variants=[{"name": "champion", "version": 3, "weight": 100}],
               breaker={"consecutiveFailures": 2, "timeoutMs": 200, "openSeconds": 60},
               fallback={"to": "default", "default": -1})
    X = env.trained["X"].head(1)
    start = time.perf_counter()
    first = env.predict(split(X)).json()
    assert first["variant"] == "fallback-default" and first["predictions"] == [-1]
    assert time.perf_counter() - start < 5
    env.predict(split(X))
    status = env.http.get("/v1/gateway/status").json()
    assert status["routes"]["churn-prediction"]["variants"][0]["breaker"] == "open"
    t0 = time.perf_counter()
    assert env.predict(split(X)).json()["predictions"] == [-1]
    assert time.perf_counter() - t0 < 0.15  # open breaker: no waiting on the model
    env.deploy(variants=[{"name": "champion", "version": 3, "weight": 100}],
               fallback={"to": "none"}, breaker={"openSeconds": 60})
    r = env.predict(split(X))
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    control.write_text("ok")


def test_cache_hits_and_metrics(env: Env) -> None:
    env.deploy(**BASE)
    X = env.trained["X"].iloc[[7]]
    a = env.predict(split(X), key="cache-user").json()
    b = env.predict(split(X), key="cache-user").json()
    assert not a["cached"] and b["cached"] and a["predictions"] == b["predictions"]
    status = env.http.get("/v1/gateway/status").json()
    assert status["cache"]["hits"] >= 1 and 0 < status["cache"]["hitRate"] <= 1
    text = httpx.get(f"{env.base}/metrics").text
    for name in ("pilotdeck_request_latency_seconds_bucket", "pilotdeck_requests_total",
                 "pilotdeck_breaker_state", 'pilotdeck_cache_requests_total{pilot="churn-'
                 'prediction",result="hit"}', "pilotdeck_batch_size_rows",
                 "pilotdeck_inference_cost_total"):
        assert name in text, name


def test_concurrent_requests_are_batched_and_champion_swap_drops_nothing(env: Env) -> None:
    env.deploy(**BASE, cacheTtlSeconds=0)
    X = env.trained["X"]
    errors: list[str] = []

    def call(i: int) -> str:
        r = httpx.post(f"{env.base}/v1/pilots/churn-prediction/predict",
                       json=split(X.iloc[[i % 500]]), timeout=30,
                       headers={"Authorization": env.http.headers["Authorization"]})
        if r.status_code != 200:
            errors.append(r.text)
        return str(r.json().get("modelVersion"))

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(call, i) for i in range(300)]
        # Swap the champion while the traffic is flowing: some answered, most not yet.
        wait_until(lambda: sum(f.done() for f in futures) >= 20, timeout=30,
                   message="the first 20 of 300 concurrent requests")
        env.platform.models.deploy("churn-prediction", DeploymentSpec.parse({"variants": [
            {"name": "champion", "version": 2, "weight": 100}], "cacheTtlSeconds": 0}), ADMIN)
        versions = Counter(f.result() for f in futures)
    assert not errors, errors[:3]
    assert sum(versions.values()) == 300
    text = httpx.get(f"{env.base}/metrics").text
    count = sum(float(line.split()[-1]) for line in text.splitlines()
                if line.startswith("pilotdeck_batch_size_rows_count"))
    total = sum(float(line.split()[-1]) for line in text.splitlines()
                if line.startswith("pilotdeck_batch_size_rows_sum"))
    assert total / count > 1.0  # some calls carried several requests


def test_shadow_and_prediction_log_in_parquet_with_feedback(env: Env) -> None:
    env.deploy(variants=[{"name": "champion", "version": 1, "weight": 100}], shadow=[2],
               cacheTtlSeconds=0)
    X = env.trained["X"].head(3)
    ids = [env.predict(split(X)).json()["requestId"] for _ in range(5)]
    httpx.post(f"{env.base}/v1/feedback", json={
        "requestId": ids[0], "pilot": "churn-prediction", "label": [1, 0, 1],
        "revenue": 30.0}, headers={"Authorization": env.http.headers["Authorization"]})
    root = env.platform.settings.lakehouse_dir
    assert root is not None
    preds, feedback = "preds", "feedback"
    wanted = ",".join(repr(i) for i in ids)

    def logged() -> bool:  # the logs flush every 0.2 s here
        tables = log_dataset(root, "predictions"), log_dataset(root, "feedback")
        if tables[0] is None or tables[1] is None:
            return False
        con = duckdb.connect()
        con.register("preds", tables[0])
        con.register("feedback", tables[1])
        shadows = con.execute(f"SELECT count(*) FROM {preds} WHERE variant='shadow' "
                              f"AND request_id IN ({wanted})").fetchone()[0]
        labelled = con.execute(f"SELECT count(*) FROM {feedback} "
                               f"WHERE request_id = '{ids[0]}'").fetchone()[0]
        return bool(shadows == 5 and labelled == 1)

    wait_until(logged, timeout=15, interval=0.05,
               message="5 shadow predictions and 1 feedback row in the Parquet logs")
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT p.variant, p.model_version, p.rows, f.revenue FROM read_parquet("
        f"'{root}/predictions/**/*.parquet', hive_partitioning=true) p LEFT JOIN read_parquet("
        f"'{root}/feedback/**/*.parquet', hive_partitioning=true) f USING (request_id) "
        f"WHERE request_id = '{ids[0]}' ORDER BY variant").fetchall()
    assert rows == [("champion", 1, 3, 30.0), ("shadow", 2, 3, 30.0)]


def second_gateway(env: Env, **settings: Any) -> tuple[uvicorn.Server, str]:
    """Another gateway process-alike on the same store, with other settings."""
    s = env.platform.settings.model_copy(update=settings)
    return start_gateway(Platform(s))


def test_redis_cache_is_shared_between_replicas(env: Env, pg_ok: bool) -> None:
    import uuid

    import redis

    require_redis()
    env.deploy(**BASE)
    ns = f"t{uuid.uuid4().hex[:10]}"
    one, url1 = second_gateway(env, cache_url="redis://127.0.0.1:6379/0", cache_namespace=ns)
    two, url2 = second_gateway(env, cache_url="redis://127.0.0.1:6379/0", cache_namespace=ns)
    try:
        h = {"Authorization": env.http.headers["Authorization"], "X-Pilotdeck-Key": "r"}
        body = split(env.trained["X"].iloc[[11]])
        a = httpx.post(f"{url1}/v1/pilots/churn-prediction/predict", json=body, headers=h)
        b = httpx.post(f"{url2}/v1/pilots/churn-prediction/predict", json=body, headers=h)
        assert a.status_code == b.status_code == 200
        assert not a.json()["cached"] and b.json()["cached"]  # replica two read replica one's
        assert a.json()["predictions"] == b.json()["predictions"]
        keys = redis.Redis(host="127.0.0.1", port=6379).keys(f"{ns}:*")
        assert len(keys) == 1
    finally:
        stop(one, two)


def test_redis_outage_degrades_to_no_cache_not_errors(env: Env) -> None:
    env.deploy(**BASE)
    dead, url = second_gateway(env, cache_url=f"redis://127.0.0.1:{free_port()}/0")
    try:
        h = {"Authorization": env.http.headers["Authorization"]}
        body = split(env.trained["X"].iloc[[12]])
        for _ in range(3):
            r = httpx.post(f"{url}/v1/pilots/churn-prediction/predict", json=body, headers=h)
            assert r.status_code == 200 and r.json()["cached"] is False
        status = httpx.get(f"{url}/v1/gateway/status", headers=h).json()
        assert status["cache"]["backend"] == "redis"
    finally:
        stop(dead)


def test_fallback_and_shadow_see_the_request_in_their_own_signature(env: Env) -> None:
    X, lr_rev = env.trained["X"].head(40), env.trained["lr_rev"]
    want = lr_rev.predict(X[COLS[::-1]]).tolist()
    assert lr_rev.predict(X[COLS].to_numpy()).tolist() != want  # misordering would show
    rev = env.platform.models.register("churn-prediction", ADMIN,
                                       path=env.trained["dir"] / "lr_rev").version
    env.trained["control"].write_text("raise")
    env.deploy(variants=[{"name": "champion", "version": rev, "weight": 0},
                         {"name": "challenger", "version": 3, "weight": 100}],
               breaker={"consecutiveFailures": 50, "minRequests": 100}, cacheTtlSeconds=0)
    resp = env.predict(split(X))  # validated for v3, answered by the champion
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["variant"] == "champion" and out["predictions"] == want
    env.trained["control"].write_text("ok")
    env.deploy(variants=[{"name": "champion", "version": 1, "weight": 100}], shadow=[rev],
               cacheTtlSeconds=0)
    rid = env.predict(split(X)).json()["requestId"]
    root = env.platform.settings.lakehouse_dir

    def shadow_rows() -> list[Any]:
        preds = log_dataset(root, "predictions")
        if preds is None:
            return []
        con = duckdb.connect()
        con.register("preds", preds)
        return con.execute(
            f"SELECT outputs FROM preds WHERE request_id = '{rid}' AND variant = 'shadow'"
        ).fetchall()

    rows = wait_until(shadow_rows, timeout=15, interval=0.05,
                      message="the shadow's prediction in the log")
    assert json.loads(rows[0][0]) == want


def test_a_model_that_cannot_load_does_not_stop_other_pilots(env: Env, demo_pilots: Path
                                                             ) -> None:
    """Runs last in this module: it leaves a broken deployment until it deletes it."""
    import shutil

    p = env.platform
    p.portfolio.import_path(demo_pilots / "next-best-offer.yaml", ADMIN)
    minimal_risk(p, "next-best-offer")
    v = p.models.register("next-best-offer", ADMIN, path=env.trained["dir"] / "lr")
    # Break the artifacts behind the registered version (store and local cache).
    shutil.rmtree(p.settings.home / "models" / "next-best-offer", ignore_errors=True)
    artifact = Path(v.source.removeprefix("file://"))
    shutil.rmtree(artifact)
    p.models.deploy("next-best-offer", DeploymentSpec.parse(
        {"variants": [{"name": "champion", "version": v.version, "weight": 100}]}), ADMIN)
    env.deploy(**BASE)  # a change to a healthy pilot still goes through

    def load_error() -> dict[str, Any] | None:
        st: dict[str, Any] = env.http.get("/v1/gateway/status").json()
        return st if "next-best-offer" in st["loadErrors"] else None

    status = wait_until(load_error, timeout=10, interval=0.05,
                        message="the gateway to report next-best-offer's load error")
    assert "next-best-offer" not in status["routes"]
    assert env.predict(split(env.trained["X"].head(1))).status_code == 200
    p.portfolio.delete("next-best-offer", ADMIN, force=True)
