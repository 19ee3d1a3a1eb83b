"""The gateway serves a pilot from online features: entity keys in, prediction out,
with unknown entities and a blown latency budget answered as such (not model faults)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pilotdeck.domain.features import parse_features
from pilotdeck.domain.serving import DeploymentSpec
from tests.conftest import DEMO_PILOTS
from tests.features.conftest import ADMIN
from tests.features.fixtures import at, churn_doc, offer_doc
from tests.governance import minimal_risk

pytestmark = pytest.mark.feast
PILOT = "churn-prediction"


def train(d: Path) -> Any:
    from sklearn.linear_model import LogisticRegression

    from pilotdeck.adapters.registry import save_sklearn

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"spend_30d": rng.normal(50, 30, 300),
                      "orders_30d": rng.integers(0, 12, 300).astype("int64"),
                      "tenure": rng.normal(3, 1, 300)})
    y = (X.spend_30d / 30 + X.orders_30d / 4 - X.tenure + rng.normal(0, .5, 300) > 1)
    model = LogisticRegression().fit(X, y.astype(int))
    save_sklearn(model, d, X)
    return model


@pytest.fixture
def served(fplatform: Any, tmp_path: Path) -> Iterator[tuple[TestClient, Any, Any]]:
    from pilotdeck.gateway.app import create_gateway

    fplatform.portfolio.import_path(DEMO_PILOTS, ADMIN)
    minimal_risk(fplatform, PILOT)
    model = train(tmp_path / "model")
    fplatform.models.register(PILOT, ADMIN, path=tmp_path / "model")
    fplatform.models.deploy(PILOT, DeploymentSpec.parse(
        {"variants": [{"name": "champion", "version": 1, "weight": 100}]}), ADMIN)
    fplatform.features.apply([parse_features(churn_doc()), parse_features(offer_doc())], ADMIN)
    fplatform.features.materialize(ADMIN, start=at(1), end=at(20))
    token = fplatform.access.create("caller", "client", [], ADMIN).token
    with TestClient(create_gateway(fplatform)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client, model, client.app.state.gateway  # type: ignore[attr-defined]


def predict(client: TestClient, body: Any, pilot: str = PILOT) -> Any:
    return client.post(f"/v1/pilots/{pilot}/predict", json=body)


def test_entities_are_served_from_online_features(served: Any) -> None:
    client, model, _ = served
    r = predict(client, {"entities": [{"customer_id": 1, "tenure": 2.5},
                                      {"customer_id": 2, "tenure": 4.0}]})
    assert r.status_code == 200, r.text
    # The online values by hand: customer 1 -> (99.0, 9), customer 2 -> (5.0, 2).
    want = model.predict(pd.DataFrame({"spend_30d": [99.0, 5.0], "orders_30d": [9, 2],
                                       "tenure": [2.5, 4.0]})).tolist()
    assert r.json()["predictions"] == want
    raw = predict(client, {"dataframe_records": [{"spend_30d": 99.0, "orders_30d": 9,
                                                  "tenure": 2.5}]})
    assert raw.json()["predictions"] == want[:1]  # the usual formats still work


def test_unknown_or_bad_entities_are_4xx_naming_the_entity(served: Any) -> None:
    client, _, gw = served
    r = predict(client, {"entities": [{"customer_id": 1, "tenure": 1.0},
                                      {"customer_id": 424242, "tenure": 1.0}]})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "entities[1].customer_id"
    assert "424242" not in r.text  # the value is not echoed
    for body, field in [({"entities": [{"tenure": 1.0}]}, "entities[0].customer_id"),
                        ({"entities": [{"customer_id": "x", "tenure": 1.0}]},
                         "entities[0].customer_id"),
                        ({"entities": []}, "entities"), ({"entities": [7]}, "entities[0]")]:
        r = predict(client, body)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    # No breaker counted any of it against the model.
    served_model = gw.state.routes[PILOT].variants["champion"]
    assert served_model.breaker.state.value == "closed"
    r = predict(client, {"entities": [{"customer_id": 1}]}, pilot="next-best-offer")
    assert r.status_code == 404  # not deployed: the route check comes first


def test_a_slow_lookup_is_a_504_counted_apart(served: Any) -> None:
    import sqlite3

    client, _, gw = served
    gw.state.feature_lookups.timeout_s = 0.3
    online = gw.platform.lake.features_dir / "online.db"
    assert online.is_file()
    # A real slow store: another writer holds the SQLite online store locked, so the
    # lookup waits on it (sqlite3's busy timeout, 5 s) past the 0.3 s budget.
    holder = sqlite3.connect(online, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        r = predict(client, {"entities": [{"customer_id": 1, "tenure": 1.0}]})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.status_code == 504 and r.headers["content-type"] == "application/problem+json"
    metrics = client.get("/metrics").text
    assert 'pilotdeck_feature_lookups_total{outcome="timeout",pilot="churn-prediction"} 1.0' \
        in metrics
    assert gw.state.routes[PILOT].variants["champion"].breaker.state.value == "closed"
