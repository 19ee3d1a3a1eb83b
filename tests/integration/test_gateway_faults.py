"""Issue 8, items 2 and 10, through real HTTP: a client's bad input is a 422 that
never opens a breaker or rolls a challenger back; one breaker opening is one
rollback event; a redeployed version starts with a closed breaker."""

from __future__ import annotations

import concurrent.futures
from typing import Any

from tests.integration.conftest import COLS, Env
from tests.integration.test_gateway import key_for
from tests.polling import wait_until

PILOT = "churn-prediction"
CHALLENGER = key_for(0.5, True)  # a routing key that lands on the challenger at 50/50


def breakers(env: Env) -> dict[str, str]:
    route = env.http.get("/v1/gateway/status").json()["routes"][PILOT]
    return {v["name"]: v["breaker"] for v in route["variants"]}


def rollbacks(env: Env) -> int:
    return len(env.platform.audit.log(action="deployment.rolled-back"))


def deploy_ab(env: Env, challenger: int, **extra: Any) -> None:
    env.deploy(variants=[{"name": "champion", "version": 1, "weight": 50},
                         {"name": "challenger", "version": challenger, "weight": 50}],
               breaker={"consecutiveFailures": 3, "minRequests": 100, "openSeconds": 60},
               cacheTtlSeconds=0, **extra)


def test_a_value_the_model_refuses_is_a_422_and_never_rolls_the_challenger_back(
        env: Env, forest: int) -> None:
    deploy_ab(env, forest)
    before, revision = rollbacks(env), env.platform.models.deployment(PILOT).revision
    row = {"tenure": 1.0, "spend": 1e300, "calls": 1.0, "age": 0.5}
    for body in ({"dataframe_records": [row]},
                 {"dataframe_split": {"columns": COLS, "data": [list(row.values())]}}):
        for _ in range(6):  # twice the consecutive failures that would open the breaker
            r = env.predict(body, key=CHALLENGER)
            assert r.status_code == 422, r.text
            assert r.headers["content-type"] == "application/problem+json"
            [err] = r.json()["errors"]
            assert err["field"] == "[0].spend" and "float32" in err["problem"]
            assert "1e+300" not in r.text and "1e300" not in r.text
    assert breakers(env) == {"champion": "closed", "challenger": "closed"}
    good = env.predict({"dataframe_records": [{**row, "spend": 0.3}]}, key=CHALLENGER)
    assert good.status_code == 200 and good.json()["variant"] == "challenger"
    assert env.platform.models.deployment(PILOT).revision == revision
    assert rollbacks(env) == before


def test_integers_in_double_columns_are_coerced_as_mlflow_does(env: Env) -> None:
    """Version 3 is a pyfunc model: MLflow's own schema enforcement runs on it."""
    env.trained["control"].write_text("ok")
    deploy_ab(env, 3)
    before = rollbacks(env)
    ints = {"tenure": 3, "spend": 20, "calls": 1, "age": 40}
    for body in ({"dataframe_records": [ints] * 2}, {"instances": [ints]},
                 {"inputs": {c: [v] for c, v in ints.items()}}):
        for _ in range(4):
            r = env.predict(body, key=CHALLENGER)
            assert r.status_code == 200, r.text
            assert r.json()["variant"] == "challenger", r.text  # not a fallback
            assert set(r.json()["predictions"]) == {7}
    assert breakers(env)["challenger"] == "closed"
    assert rollbacks(env) == before


def test_one_opening_is_one_rollback_and_a_redeployed_version_starts_closed(
        env: Env) -> None:
    control = env.trained["control"]
    control.write_text("raise")
    deploy_ab(env, 3)
    before = rollbacks(env)
    X = env.trained["X"]
    auth = {"Authorization": env.http.headers["Authorization"], "X-Pilotdeck-Key": CHALLENGER}

    def call(i: int) -> str:
        r = env.http.post(f"/v1/pilots/{PILOT}/predict", headers=auth, json={
            "dataframe_split": {"columns": COLS, "data": [X.iloc[i].tolist()]}})
        assert r.status_code == 200, r.text  # every failure answered by the champion
        return str(r.json()["variant"])

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        assert set(pool.map(call, range(36))) == {"champion"}
    wait_until(lambda: env.platform.models.deployment(PILOT).spec.variants[1].weight == 0,
               timeout=10, message="the rollback of the failing challenger")
    env.wait_revision()  # the gateway serves the rolled-back deployment
    assert [call(i) for i in range(3)] == ["champion"] * 3
    assert rollbacks(env) == before + 1
    assert breakers(env)["challenger"] == "open"

    control.write_text("ok")  # fixed: deploy it again
    deploy_ab(env, 3)
    assert breakers(env)["challenger"] == "closed"
    r = env.predict({"dataframe_split": {"columns": COLS, "data": [X.iloc[0].tolist()]}},
                    key=CHALLENGER)
    assert r.status_code == 200 and r.json()["variant"] == "challenger"
    assert rollbacks(env) == before + 1


def test_the_demo_forest_shadow_counts_1e300_as_invalid_not_an_error(
        env: Env, forest: int) -> None:
    env.deploy(variants=[{"name": "champion", "version": 1, "weight": 100}],
               shadow=[forest], cacheTtlSeconds=0)
    r = env.predict({"dataframe_records": [{"tenure": 1.0, "spend": 1e300, "calls": 1.0,
                                            "age": 0.5}]})
    assert r.status_code == 200  # the champion (logistic regression) takes it

    def shadow_invalid() -> float:
        text = env.http.get("/metrics").text
        return sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith("pilotdeck_shadow_requests_total")
                   and f'version="{forest}"' in line and 'result="invalid"' in line)

    wait_until(shadow_invalid, timeout=10, message="the shadow's input error in the metrics")
