"""Alert rules through the real stack: a rule on the challenger's live accuracy
fires, its actions really change the gateway's routing, alerts dedupe and resolve,
and everything is audited."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from pilotdeck.config import Settings
from pilotdeck.domain.alerts import parse_rules
from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform
from tests.cli import run_cli
from tests.governance import minimal_risk
from tests.integration import conftest
from tests.integration.conftest import (
    ADMIN,
    COLS,
    free_port,
    start_api,
    start_gateway,
    stop,
    wait_logged,
)

PILOT = "churn-prediction"
SPLIT = {"variants": [{"name": "champion", "version": 1, "weight": 50},
                      {"name": "challenger", "version": 2, "weight": 50}],
         "cacheTtlSeconds": 0}


class Hooks:
    """A real HTTP endpoint that records the webhook calls it receives."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.calls.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.port = free_port()
        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def stack(trained: dict[str, Any], tmp_path_factory: pytest.TempPathFactory,
          demo_pilots: Path) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("alerts")
    platform = Platform(Settings(home=home, gateway_refresh_s=0.1, predlog_flush_s=0.2,
                                 alert_interval_s=0))
    platform.portfolio.import_path(demo_pilots / f"{PILOT}.yaml", ADMIN)
    minimal_risk(platform, PILOT)
    for name in ("lr", "hgb"):
        platform.models.register(PILOT, ADMIN, path=trained["dir"] / name)
    platform.models.deploy(PILOT, DeploymentSpec.parse(SPLIT), ADMIN)
    token = platform.access.create("ops", "admin", [], ADMIN).token
    gw, gw_base = start_gateway(platform)
    api, api_base = start_api(platform)
    auth = {"Authorization": f"Bearer {token}"}
    g = httpx.Client(base_url=gw_base, timeout=30, headers=auth)
    hooks = Hooks()
    s = {"platform": platform, "gw": g, "api": httpx.Client(base_url=api_base, headers=auth,
                                                              timeout=60),
         "hooks": hooks, "home": home}
    wait_revision(s)
    # Traffic: the challenger is always wrong, the champion always right.
    X = trained["X"].head(80)
    for i, row in enumerate(X.itertuples(index=False)):
        out = g.post(f"/v1/pilots/{PILOT}/predict", headers={"X-Pilotdeck-Key": f"u{i}"},
                     json={"dataframe_split": {"columns": COLS, "data": [list(row)]}}).json()
        p = out["predictions"][0]
        label = p if out["variant"] == "champion" else 1 - p
        g.post("/v1/feedback", json={"requestId": out["requestId"], "pilot": PILOT,
                                     "label": label})
    wait_logged(platform.settings.lakehouse_dir, predictions=len(X), feedback=len(X))
    yield s
    hooks.server.shutdown()
    stop(gw, api)
    platform.close()


def wait_revision(s: dict[str, Any]) -> None:
    conftest.wait_revision(s["gw"], s["platform"], PILOT)


def rules(hook_port: int, action: str, name: str, threshold: float = 0.5) -> Any:
    return parse_rules({"rules": [{
        "name": name, "pilot": PILOT, "metric": "quality.accuracy",
        "scope": {"variant": "challenger"}, "window": "1h", "comparison": "<",
        "threshold": threshold, "severity": "critical", "minRows": 10,
        "actions": [{"type": action, "variant": "challenger"},
                    {"type": "webhook", "url": f"http://127.0.0.1:{hook_port}/hook"}]}]})


def variants_served(s: dict[str, Any], n: int = 40) -> set[str]:
    seen = set()
    for i in range(n):
        r = s["gw"].post(f"/v1/pilots/{PILOT}/predict", headers={"X-Pilotdeck-Key": f"k{i}"},
                         json={"dataframe_split": {"columns": COLS, "data": [[0, 0, 0, 0]]}})
        assert r.status_code == 200, r.text
        seen.add(r.json()["variant"])
    return seen


def test_rollback_action_changes_routing_once_and_alert_resolves(stack: dict[str, Any]) -> None:
    s, p = stack, stack["platform"]
    assert variants_served(s) == {"champion", "challenger"}
    first = p.alerts.evaluate(rules(s["hooks"].port, "rollback", "challenger-accuracy"))[0]
    assert first.fired and first.state == "opened" and first.value == 0.0
    assert [a.ok for a in first.actions] == [True, True]
    spec = p.models.deployment(PILOT).dump()["spec"]
    assert {v["name"]: v["weight"] for v in spec["variants"]} == {"champion": 100,
                                                                  "challenger": 0}
    wait_revision(s)
    assert variants_served(s) == {"champion"}  # the gateway really stopped routing to it
    assert len(s["hooks"].calls) == 1 and s["hooks"].calls[0]["rule"] == "challenger-accuracy"
    again = p.alerts.evaluate(rules(s["hooks"].port, "rollback", "challenger-accuracy"))[0]
    assert again.state == "open" and not again.new and again.alert == first.alert
    assert len(s["hooks"].calls) == 1  # deduplicated: no second notification
    stored = s["api"].get("/v1/alerts", params={"status": "open"}).json()["items"]
    assert [(a["id"], a["count"]) for a in stored] == [(first.alert, 2)]
    assert stored[0]["firstSeen"] and stored[0]["actions"][0]["type"] == "rollback"
    assert stored[0]["scope"] == {"variant": "challenger", "version": None}
    done = p.alerts.evaluate(rules(s["hooks"].port, "rollback", "challenger-accuracy",
                                   threshold=-1))[0]
    assert done.state == "resolved"
    actions = {e.action for e in p.audit.log(limit=100)}
    assert {"alert.opened", "alert.actions", "alert.resolved",
            "deployment.rolled-back"} <= actions
    assert p.audit.verify().ok


def test_open_breaker_action_sends_the_challengers_traffic_to_the_fallback(
        stack: dict[str, Any]) -> None:
    s, p = stack, stack["platform"]
    p.models.deploy(PILOT, DeploymentSpec.parse(SPLIT), ADMIN)
    wait_revision(s)
    out = p.alerts.evaluate(rules(s["hooks"].port, "open_breaker", "challenger-breaker"))[0]
    assert out.state == "opened" and out.actions[0].ok
    spec = p.models.deployment(PILOT).dump()["spec"]
    assert spec["forceOpen"] == ["challenger"]
    assert {v["name"]: v["weight"] for v in spec["variants"]}["challenger"] == 50
    wait_revision(s)
    assert variants_served(s) == {"champion"}  # routed to the challenger, answered by fallback


def test_cli_run_and_alerts_and_bad_rules(stack: dict[str, Any], tmp_path: Path) -> None:
    env = {"PILOTDECK_HOME": str(stack["home"])}
    run = lambda *a: run_cli("monitor", *a, env=env)  # noqa: E731
    good = tmp_path / "rules.yaml"
    good.write_text(yaml.safe_dump({"rules": [{
        "name": "challenger-errors", "pilot": PILOT, "metric": "health.error_rate",
        "window": "1d", "comparison": ">", "threshold": 0.5}]}))
    r = run("run", "--rules", str(good), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["state"] == "ok"
    r = run("alerts", "--format", "json")
    assert r.returncode == 0 and {a["rule"] for a in json.loads(r.stdout)} >= {
        "challenger-accuracy", "challenger-breaker"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: x\n    pilot: p\n    metric: vibes\n    threshold: 1\n")
    r = run("run", "--rules", str(bad))
    assert r.returncode == 1 and "rules[0].metric" in r.stderr and "Traceback" not in r.stderr
    with pytest.raises(ValidationFailed) as exc:
        parse_rules({"rules": [{"name": "a", "pilot": "p", "metric": "quality.f1",
                                "threshold": 1, "actions": [{"type": "rollback",
                                                             "variant": "champion"}]}]})
    assert exc.value.errors[0].field.startswith("rules[0].actions[0]")


def test_silence_holds_back_actions_and_ack_marks_the_owner(stack: dict[str, Any]) -> None:
    """Runs after the action tests: a silenced rule opens its alert but neither rolls
    back nor calls the webhook; acknowledging it is audited and keeps it open."""
    from datetime import UTC, datetime, timedelta

    from fastapi.testclient import TestClient

    from pilotdeck.api.app import create_app

    s, p = stack, stack["platform"]
    p.models.deploy(PILOT, DeploymentSpec.parse(SPLIT), ADMIN)
    wait_revision(s)
    revision = p.models.deployment(PILOT).revision
    hooks_before = len(s["hooks"].calls)
    silence = p.alerts.silence("quiet-accuracy", ADMIN, reason="model retraining tonight",
                               until=datetime.now(UTC) + timedelta(hours=2), pilot=PILOT)
    out = p.alerts.evaluate(rules(s["hooks"].port, "rollback", "quiet-accuracy"))[0]
    assert out.state == "opened" and out.silenced and out.actions == []
    assert p.models.deployment(PILOT).revision == revision  # no rollback
    assert len(s["hooks"].calls) == hooks_before  # no webhook
    with pytest.raises(ValidationFailed, match="invalid silence"):
        p.alerts.silence("x", ADMIN, reason="", until=datetime.now(UTC) - timedelta(hours=1))

    token = p.access.create("oncall", "platform-engineer", [], ADMIN).token
    api = TestClient(create_app(p))
    h = {"Authorization": f"Bearer {token}"}
    r = api.post(f"/v1/alerts/{out.alert}/ack", json={"note": "looking"}, headers=h)
    assert r.status_code == 200 and r.json()["acknowledgedBy"] == "oncall"
    assert r.json()["status"] == "open"
    listed = api.get("/v1/alerts/silences?active=true", headers=h).json()
    assert [x["id"] for x in listed] == [silence.id]
    assert api.delete(f"/v1/alerts/silences/{silence.id}", headers=h).json()["active"] is False
    assert api.get("/v1/alerts/silences?active=true", headers=h).json() == []
    actions = {e.action for e in p.audit.log(action="alert.", limit=200)}
    assert {"alert.silence-created", "alert.silenced", "alert.acknowledged",
            "alert.silence-ended"} <= actions
    env = {"PILOTDECK_HOME": str(s["home"])}
    out2 = run_cli("monitor", "silence", "other", "--for", "30m", "--reason", "deploy", env=env)
    assert out2.returncode == 0 and "until" in out2.stdout
    assert "other" in run_cli("monitor", "silences", "--active", env=env).stdout
