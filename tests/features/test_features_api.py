"""``/v1/features``: list, view, online values, apply and materialise over HTTP; and
the same routes on a server without Feast (409 saying how to install it)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.features.conftest import ADMIN, make_platform
from tests.features.fixtures import churn_doc, offer_doc


def client_for(platform: Any, role: str) -> TestClient:
    from pilotdeck.api.app import create_app

    token = platform.access.create(f"api-{role}", role, [], ADMIN).token
    client = TestClient(create_app(platform))
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
def api_platform(tmp_path: Path) -> Iterator[Any]:
    platform = make_platform(tmp_path / "home")
    yield platform
    platform.close()


def body(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "pilot"}


@pytest.mark.feast
def test_apply_materialize_and_read_over_http(api_platform: Any, feast_required: None) -> None:
    eng = client_for(api_platform, "platform-engineer")
    viewer = client_for(api_platform, "viewer")
    r = eng.put("/v1/features/pilots/churn-prediction", json=body(churn_doc()))
    assert r.status_code == 200, r.text
    r = eng.put("/v1/features/pilots/next-best-offer", json=body(offer_doc()))
    assert r.json()["views"][0]["reuse"] == 2
    assert viewer.put("/v1/features/pilots/x", json={}).status_code == 403
    assert viewer.post("/v1/features/materialize", json={}).status_code == 403
    r = eng.post("/v1/features/materialize", json={"start": "2026-01-01T00:00:00Z",
                                                   "end": "2026-01-20T00:00:00Z"})
    assert r.status_code == 200 and r.json()["views"] == ["customer_stats"], r.text
    r = viewer.get("/v1/features/online", params={"entity": "customer_id=1",
                                                  "feature": "customer_stats:spend_30d"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [{"customer_id": 1, "customer_stats__spend_30d": 99.0}]
    assert viewer.get("/v1/features/views/customer_stats").json()["usedBy"] == [
        "churn-prediction", "next-best-offer"]
    assert viewer.get("/v1/features/views/nope").status_code == 404
    r = viewer.get("/v1/features/online", params={"entity": "customer_id=abc"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customer_id"
    bad = body(churn_doc())
    bad["featureViews"][0]["name"] = "../../etc"
    r = eng.put("/v1/features/pilots/churn-prediction", json=bad)
    assert r.status_code == 422 and "featureViews" in r.text
    assert "../../etc" not in r.text


def test_without_feast_reads_work_and_the_rest_is_409(api_platform: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "feast", None)
    eng = client_for(api_platform, "platform-engineer")
    assert eng.get("/v1/features").json()["views"] == []
    r = eng.put("/v1/features/pilots/churn-prediction", json=body(churn_doc()))
    assert r.status_code == 409, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "install pilotdeck[features]" in r.json()["detail"]
    r = eng.post("/v1/features/materialize", json={})
    assert r.status_code == 409 and "features apply" in r.json()["detail"]
