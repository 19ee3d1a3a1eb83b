"""The programme report through the API and the CLI, on the hand-computed fixture."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from fastapi.testclient import TestClient

from pilotdeck.api.app import create_app
from pilotdeck.auth.roles import local_admin
from pilotdeck.config import Settings
from pilotdeck.platform import Platform
from tests import programme_fixture as fx
from tests.cli import run_cli

KEYS = {"revenue", "costSavings", "cost", "netValue", "roi", "byBusinessUnit", "byPilot",
        "timeToScaleDays", "costPerScaledPilot", "adoption"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Platform, Path]]:
    home = tmp_path / "home"
    p = Platform(Settings(home=home, alert_interval_s=0, **fx.SETTINGS))
    fx.build(p)
    yield p, home
    p.close()


def _frozen() -> mock._patch:  # type: ignore[type-arg]
    """The report's "now" is the fixture's, so the windows match the hand totals."""
    return mock.patch("pilotdeck.services.programme.utcnow", return_value=fx.NOW)


def test_the_api_serves_json_html_and_csv(world: tuple[Platform, Path]) -> None:
    p, _ = world
    client = TestClient(create_app(p))
    viewer = p.access.create("v", "viewer", [], local_admin("t")).token
    client.headers["Authorization"] = f"Bearer {viewer}"
    with _frozen():
        r = client.get("/v1/programme/report", params={"since": "2026-01-01"})
        assert r.status_code == 200 and KEYS <= set(r.json())
        body = r.json()
        assert body["netValue"] == pytest.approx(-1012.65)
        assert body["value"]["estimated"] == pytest.approx(400)
        q = client.get("/v1/programme/report?period=quarter&since=2026-01-01").json()
        assert [x["period"] for x in q["periods"]] == ["2026-Q1"]
        page = client.get("/v1/programme/report?format=html&since=2026-01-01")
        assert page.headers["content-type"].startswith("text/html")
        assert page.text.count("<svg") == 4 and "Time from pilot to scale" in page.text
        assert "USD -1,013" in page.text  # the net value, rounded, thousands separated
        sheet = client.get("/v1/programme/report?format=csv&since=2026-01-01")
    assert sheet.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(sheet.text)))
    total = next(x for x in lines if x["scope"] == "programme" and x["period"] == "total")
    assert float(total["netValue"]) == pytest.approx(-1012.65)
    assert {x["name"] for x in lines if x["scope"] == "pilot"} == {"alpha", "beta", "gamma"}
    client_token = p.access.create("c", "client", [], local_admin("t")).token
    assert client.get("/v1/programme/report", headers={
        "Authorization": f"Bearer {client_token}"}).status_code == 403


def test_the_cli_prints_a_table_json_and_writes_html_csv_and_charts(
        world: tuple[Platform, Path], tmp_path: Path) -> None:
    _, home = world
    env = {"PILOTDECK_HOME": str(home), "PILOTDECK_PLATFORM_COST_PER_MONTH": "300",
           "PILOTDECK_COST_PER_CPU_SECOND": "0.5"}
    with _frozen():
        table = run_cli("programme", "report", "--since", "2026-01-01", env=env)
        assert table.returncode == 0, table.stderr
        assert "By business unit" in table.stdout and "alpha" in table.stdout
        out = run_cli("programme", "report", "--since", "2026-01-01", "--format", "json",
                      env=env)
        data = json.loads(out.stdout)
        assert KEYS <= set(data) and data["cost"]["total"] == pytest.approx(1453.65)
        html = run_cli("programme", "report", "--since", "2026-01-01", "--format", "html",
                       "-o", str(tmp_path / "r.html"), "--charts", str(tmp_path / "charts"),
                       "--chart-format", "svg", env=env)
    assert html.returncode == 0, html.stderr
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    assert sorted(x.name for x in (tmp_path / "charts").iterdir()) == [
        "programme-adoption.svg", "programme-cost-per-scaled-pilot.svg",
        "programme-time-to-scale.svg", "programme-value.svg"]


@pytest.mark.parametrize(("args", "field"), [
    (["--period", "week"], "--period"), (["--since", "2999-01-01"], "--since"),
    (["--format", "pdf"], "--format"), (["--since", "x"], "--since"),
    (["--chart-format", "gif"], "--chart-format"),
])
def test_bad_cli_input_is_one_line_and_non_zero(tmp_path: Path, args: list[str],
                                                field: str) -> None:
    r = run_cli("programme", "report", *args, env={"PILOTDECK_HOME": str(tmp_path / "h")})
    assert r.returncode != 0 and field in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert len([x for x in r.stderr.splitlines() if x.startswith("error")]) == 1, r.stderr


def test_a_non_finite_or_negative_platform_cost_is_refused(tmp_path: Path) -> None:
    for value in ("inf", "nan", "-1", "1e400"):
        r = run_cli("programme", "report", env={"PILOTDECK_HOME": str(tmp_path / "h"),
                                                "PILOTDECK_PLATFORM_COST_PER_MONTH": value})
        assert r.returncode != 0 and "PLATFORM_COST_PER_MONTH" in r.stderr, (value, r.stderr)


def test_empty_charts_say_not_enough_data(tmp_path: Path) -> None:
    from pilotdeck.render.programme_charts import CHARTS, chart_bytes

    p = Platform(Settings(home=tmp_path / "home"))
    try:
        r = p.programme.report()
    finally:
        p.close()
    for name in CHARTS:
        assert b"Not enough data" in chart_bytes(r, name, "svg") or name == "adoption"
