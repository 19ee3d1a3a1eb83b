"""The OpenAPI documents say what can go wrong and resolve; the docs work offline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pilotdeck.api.app import create_app
from pilotdeck.auth.roles import local_admin
from pilotdeck.config import Settings
from pilotdeck.gateway.app import create_gateway
from pilotdeck.platform import Platform
from tests.conftest import DEMO_PILOTS

PROBLEM = "application/problem+json"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = Platform(Settings(home=tmp_path / "home", alert_interval_s=0))
    yield p
    p.close()


@pytest.fixture(params=["api", "gateway"])
def app(request: pytest.FixtureRequest, platform: Platform) -> FastAPI:
    return create_app(platform) if request.param == "api" else create_gateway(platform)


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield f"{method.upper()} {path}", op


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_every_operation_documents_its_problem_answers(app: FastAPI) -> None:
    spec = TestClient(app).get("/openapi.json").json()
    wrong = []
    for where, op in operations(spec):
        responses = op["responses"]
        inputs = bool(op.get("parameters")) or "requestBody" in op
        want = {"500"} | ({"401", "403"} if op.get("security") else set())
        want |= {"422"} if inputs else set()
        want |= {"413", "404"} if "requestBody" in op else set()
        want |= {"404"} if any(p["in"] == "path" for p in op.get("parameters", [])) else set()
        for code in sorted(want):
            content = responses.get(code, {}).get("content", {})
            if list(content) != [PROBLEM]:
                wrong.append(f"{where} {code}: {list(content) or 'undocumented'}")
    assert not wrong, wrong
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_every_ref_resolves(app: FastAPI) -> None:
    spec = TestClient(app).get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    bad = sorted({r for r in refs(spec)
                  if not r.startswith("#/components/schemas/")
                  or r.removeprefix("#/components/schemas/") not in schemas})
    assert not bad, bad
    assert "$defs" not in str(spec)


def test_enums_and_limits_are_in_the_schemas(platform: Platform) -> None:
    spec = TestClient(create_app(platform)).get("/openapi.json").json()

    def param(path: str, name: str) -> dict[str, Any]:
        op = spec["paths"][path]["get"]
        return next(p["schema"] for p in op["parameters"] if p["name"] == name)

    assert param("/v1/pilots", "offset")["maximum"] == 2**63 - 1
    every = param("/v1/pilots/{pilot}/monitoring/health", "every")
    assert "'enum': ['hour', 'day']" in str(every)
    assert "enum" in str(param("/v1/alerts", "status"))
    assert "pattern" in param("/v1/pilots/{pilot}/monitoring/health", "pilot")
    role = spec["components"]["schemas"]["TokenRequest"]["properties"]["role"]
    # Optional: a token for a member of a registered team carries the member's role.
    assert role["anyOf"] == [{"$ref": "#/components/schemas/Role"}, {"type": "null"}]
    assert "admin" in spec["components"]["schemas"]["Role"]["enum"]
    manifest = spec["paths"]["/v1/pilots"]["post"]["requestBody"]["content"]
    assert "#/components/schemas/Spec" in str(manifest["application/json"])
    status = spec["components"]["schemas"]["Spec"]["properties"]["status"]
    assert status["$ref"] == "#/components/schemas/PilotStatus"
    deployment = spec["paths"]["/v1/pilots/{pilot}/deployment"]["put"]["requestBody"]
    body = deployment["content"]["application/json"]["schema"]
    assert body["title"] == "DeploymentSpec" and "variants" in body["required"]


def test_docs_pages_use_only_their_own_assets(app: FastAPI) -> None:
    client = TestClient(app)
    for page in ("/docs", "/redoc"):
        r = client.get(page)
        assert r.status_code == 200
        links = re.findall(r'(?:src|href)="([^"]+)"', r.text) + re.findall(
            r"url: '([^']+)'", r.text)
        assert links and not [u for u in links if "//" in u], links
        for url in links:
            got = client.get(url)
            assert got.status_code == 200 and got.content, url
    assert "javascript" in client.get("/docs/assets/swagger-ui-bundle.js").headers[
        "content-type"]


def test_a_single_yaml_document_imports(platform: Platform) -> None:
    client = TestClient(create_app(platform))
    token = platform.access.create("h2-docs", "admin", [], local_admin("t")).token
    doc = yaml.safe_load((DEMO_PILOTS / "churn-prediction.yaml").read_text())
    r = client.post("/v1/pilots/import", content=yaml.safe_dump(doc).encode(), headers={
        "Authorization": f"Bearer {token}", "content-type": "application/yaml"})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == ["churn-prediction"]
