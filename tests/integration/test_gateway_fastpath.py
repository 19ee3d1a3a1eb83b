"""The gateway's predict fast path answers exactly as the FastAPI route would.

``gateway.fastpath`` answers ``POST /v1/pilots/{pilot}/predict`` before
FastAPI's stack; the documented route stays. One app serves both here (a
header picks the path), and every kind of request (good, sticky, invalid,
oversized, unauthenticated, forbidden, unknown pilot) must get the same status,
headers that matter and body from both, the request id aside.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pilotdeck.config import Settings
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.gateway.app import create_gateway
from pilotdeck.platform import Platform
from tests.governance import minimal_risk
from tests.integration.conftest import ADMIN, COLS, split

LIMIT = 32 * 1024
Gateway = tuple[TestClient, dict[str, str]]


class BothPaths:
    """The gateway app; ``X-Test-Path: framework`` skips the fast path."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (b"x-test-path", b"framework") in scope["headers"]:
            await FastAPI.__call__(self.app, scope, receive, send)
        else:
            await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def gateway(trained: dict[str, Any], demo_pilots: Path,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    platform = Platform(Settings(home=tmp_path_factory.mktemp("fast") / "home",
                                 max_body_bytes=LIMIT, max_rows=50))
    platform.portfolio.import_path(demo_pilots / "churn-prediction.yaml", ADMIN)
    platform.portfolio.import_path(demo_pilots / "fraud-detection-realtime.yaml", ADMIN)
    minimal_risk(platform, "churn-prediction")
    for name in ("lr", "hgb"):
        platform.models.register("churn-prediction", ADMIN, path=trained["dir"] / name)
    platform.models.deploy("churn-prediction", DeploymentSpec.parse({"variants": [
        {"name": "champion", "version": 1, "weight": 50},
        {"name": "challenger", "version": 2, "weight": 50}], "cacheTtlSeconds": 0}), ADMIN)
    tokens = {role: platform.access.create(role, role, [], ADMIN).token
              for role in ("client", "viewer", "admin")}
    tokens["other-pilot"] = platform.access.create(
        "fraud-only", "client", ["fraud-detection-realtime"], ADMIN).token
    with TestClient(BothPaths(create_gateway(platform))) as client:
        yield client, tokens
    platform.close()


def _both(client: TestClient, path: str, **kw: Any) -> tuple[Any, Any]:
    headers = kw.pop("headers", {})
    fast = client.post(path, headers=headers, **kw)
    framework = client.post(path, headers={**headers, "X-Test-Path": "framework"}, **kw)
    return fast, framework


def _same(fast: Any, framework: Any) -> None:
    assert fast.status_code == framework.status_code, (fast.text, framework.text)
    for header in ("content-type", "www-authenticate", "connection"):
        assert fast.headers.get(header) == framework.headers.get(header), header
    a, b = fast.json(), framework.json()
    if fast.status_code == 200:
        assert len(a.pop("requestId")) == len(b.pop("requestId")) == 40
    assert a == b


def test_every_kind_of_request_gets_the_same_answer_on_both_paths(
        gateway: Gateway, trained: dict[str, Any]) -> None:
    client, tokens = gateway
    X = trained["X"].head(3)
    path = "/v1/pilots/churn-prediction/predict"
    bearer = {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}
    cases: list[tuple[str, dict[str, Any], int]] = [
        (path, {"json": split(X), "headers": {**bearer["client"], "X-Pilotdeck-Key": "u1"}}, 200),
        (path + "?key=u2", {"json": split(X), "headers": bearer["client"]}, 200),
        (path + "?key=a&key=u3", {"json": split(X), "headers": bearer["admin"]}, 200),
        (path, {"json": {"instances": X.values.tolist()},
                "headers": {**bearer["client"], "X-Pilotdeck-Key": "u4"}}, 200),
        (path, {"content": b"{nope", "headers": bearer["client"]}, 422),
        (path, {"json": {"dataframe_records": [{c: "x" for c in COLS}]},
                "headers": bearer["client"]}, 422),
        (path, {"json": {"instances": [[1.0, True, 2.0, 3.0]]}, "headers": bearer["client"]},
         422),
        (path, {"json": {"instances": [[0.0] * 4] * 51}, "headers": bearer["client"]}, 413),
        (path, {"content": b" " * (LIMIT + 1), "headers": bearer["client"]}, 413),
        (path, {"json": split(X)}, 401),
        (path, {"json": split(X), "headers": {"Authorization": "Basic dTpw"}}, 401),
        (path, {"json": split(X), "headers": {"Authorization": "Bearer pd_wrong"}}, 401),
        (path, {"json": split(X), "headers": bearer["viewer"]}, 403),
        (path, {"json": split(X), "headers": bearer["other-pilot"]}, 403),
        ("/v1/pilots/fraud-detection-realtime/predict",
         {"json": split(X), "headers": bearer["admin"]}, 404),
    ]
    for url, kw, status in cases:
        fast, framework = _both(client, url, **kw)
        assert fast.status_code == status, (url, kw.get("json"), fast.text)
        _same(fast, framework)


def test_a_streamed_body_over_the_limit_is_refused_on_the_fast_path(
        gateway: Gateway) -> None:
    client, tokens = gateway

    def chunks() -> Iterator[bytes]:
        for _ in range(8):
            yield b" " * (LIMIT // 4)

    r = client.post("/v1/pilots/churn-prediction/predict", content=chunks(),
                    headers={"Authorization": f"Bearer {tokens['client']}"})
    assert r.status_code == 413 and r.headers["connection"] == "close"
    assert r.json()["title"] == "Payload too large"


def test_an_unexpected_error_is_a_500_problem_not_a_traceback(
        gateway: Gateway, trained: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pilotdeck.gateway import fastpath

    async def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("a bug")

    monkeypatch.setattr(fastpath, "answer", broken)
    client, tokens = gateway
    r = client.post("/v1/pilots/churn-prediction/predict", json=split(trained["X"].head(1)),
                    headers={"Authorization": f"Bearer {tokens['client']}"})
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "a bug" not in r.text
