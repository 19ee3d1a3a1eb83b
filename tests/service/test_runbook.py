"""The runbook: generated from live configuration (manifest, deployment, alert rules,
SLA), rendered as Markdown and HTML, published (stored, audited with its hash) and read
by the readiness checklist, which fails it once the deployment moves on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pilotdeck.auth.roles import Principal, Role, local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.errors import Forbidden, NotFound, PreconditionFailed
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.domain.sla import SLA
from pilotdeck.platform import Platform
from pilotdeck.render.runbook import markdown, page
from tests.cli import run_cli
from tests.service.test_registry_service import MLMODEL

DEMO = Path(__file__).resolve().parents[2] / "src" / "pilotdeck" / "demo" / "pilots"
PILOT, OTHER = "churn-prediction", "next-best-offer"
ADMIN = local_admin("tester")
RULES = """\
rules:
  - name: churn-challenger-errors
    pilot: churn-prediction
    metric: health.error_rate
    scope: {variant: challenger}
    window: 1h
    comparison: ">"
    threshold: 0.05
    severity: critical
    actions:
      - {type: rollback, variant: challenger}
      - {type: webhook, url: "https://hooks.example/churn"}
  - name: churn-sla
    pilot: churn-prediction
    metric: sla.breached
    window: 24h
    comparison: ">="
    threshold: 1
  - name: other-pilot
    pilot: next-best-offer
    metric: health.error_rate
    threshold: 0.1
"""


def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", db_url=f"sqlite:///{tmp_path / 'db'}",
                    mlflow_uri="memory://", governance_enforce=False,
                    gateway_host="gw.internal", gateway_port=8100)


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = Platform(settings(tmp_path))
    for name in (PILOT, OTHER):
        p.portfolio.import_path(DEMO / f"{name}.yaml", ADMIN)
    model = tmp_path / "model"
    model.mkdir()
    (model / "MLmodel").write_text(MLMODEL)
    p.models.register(PILOT, ADMIN, path=model, metrics={"auc": 0.8})
    p.models.register(PILOT, ADMIN, path=model, metrics={"auc": 0.82})
    p.models.deploy(PILOT, DeploymentSpec.parse({
        "variants": [{"name": "champion", "version": 1, "weight": 90},
                     {"name": "challenger", "version": 2, "weight": 10}],
        "fallback": {"to": "champion"}}), ADMIN)
    (tmp_path / "home" / "alerts.yaml").write_text(RULES)
    yield p
    p.close()


def test_generated_from_live_configuration(platform: Platform) -> None:
    platform.sla.set(PILOT, SLA.parse({"availabilityPct": 99.9, "p99LatencyMs": 200,
                                       "accuracy": {"metric": "auc", "min": 0.75},
                                       "escalation": "PagerDuty: churn-oncall"}), ADMIN)
    r = platform.runbooks.generate(PILOT)
    assert r.owner == "ana.silva@northwind.example" and r.business_unit == "Retail"
    assert "Raj Patel (data scientist)" in r.team
    assert r.endpoints[0].url == f"http://gw.internal:8100/v1/pilots/{PILOT}/predict"
    assert r.deployment_revision == 1
    assert [(v.name, v.version, v.weight) for v in r.variants] == [
        ("champion", 1, 90), ("challenger", 2, 10)]
    assert r.rollback_command == f'pilotdeck models rollback {PILOT} challenger --reason "WHY"'
    assert [a.name for a in r.alert_rules] == ["churn-challenger-errors", "churn-sla"]
    assert r.alert_rules[0].actions == [
        "rolls back challenger (its traffic goes to zero)",
        "calls the webhook https://hooks.example/churn"]
    assert r.alert_rules[0].condition == "health.error_rate > 0.05 (variant challenger)"
    assert r.escalation == "PagerDuty: churn-oncall" and r.sla_revision == 1
    md = markdown(r)
    for part in ("# Runbook: churn-prediction", "## Rollback", r.rollback_command,
                 f"POST http://127.0.0.1:8000/v1/pilots/{PILOT}/deployment/rollback",
                 "| availability | >= 99.9 % |", "accuracy floor (auc)", "PagerDuty",
                 "lake:datasets/predictions", "http://gw.internal:8100/metrics",
                 f"pilotdeck monitor health {PILOT}", "champion answers",
                 "| churn-sla | sla.breached >= 1 |"):
        assert part in md, part
    html = page(r)
    assert "<script" not in html and "&quot;WHY&quot;" in html and "<table>" in html


def test_empty_sections_say_what_to_do(platform: Platform) -> None:
    r = platform.runbooks.generate(OTHER)
    assert r.deployment_revision is None and r.rollback_command is None and r.sla is None
    assert [a.name for a in r.alert_rules] == ["other-pilot"]
    (platform.settings.home / "alerts.yaml").unlink()
    md = markdown(platform.runbooks.generate(OTHER))
    assert f"Not deployed: nothing is served. Deploy with `pilotdeck models deploy {OTHER}" in md
    assert "No alert rules for this pilot: add one to" in md
    assert f"No SLA defined: set one with `pilotdeck sla set {OTHER}" in md
    assert "Page: the pilot owner" in md
    with pytest.raises(NotFound):
        platform.runbooks.generate("no-such-pilot")


def test_publishing_is_audited_and_is_the_checklists_evidence(platform: Platform) -> None:
    def item(name: str) -> tuple[str, str, str | None]:
        i = {i.id: i for i in platform.readiness.check(PILOT, 1).items}[name]
        return i.status, i.evidence, i.next_step

    assert item("sla")[0] == "fail" and item("runbook")[:2] == ("fail", "no runbook published")
    platform.sla.set(PILOT, SLA.parse({"p99LatencyMs": 300, "business": {
        "metric": "revenue", "min": 2}}), ADMIN)
    status, evidence, _ = item("sla")
    assert status == "pass" and "p99 <= 300 ms" in evidence and "revenue >= 2" in evidence
    r = platform.runbooks.generate(PILOT)
    md, html = markdown(r), page(r)
    with pytest.raises(Forbidden):
        platform.runbooks.publish(r, md, html, Principal("v", Role.VIEWER))
    out = platform.runbooks.publish(r, md, html, ADMIN)
    assert out.sha256 == hashlib.sha256(md.encode()).hexdigest()
    assert out.deployment_revision == 1 and platform.runbooks.published(PILOT) == out
    assert platform.runbooks.published_text(PILOT, "md") == md
    assert platform.runbooks.published_text(PILOT, "html") == html
    [event] = platform.audit.log(action="runbook.published")
    assert event.entity.id == PILOT and event.data["sha256"] == out.sha256
    assert event.data["deploymentRevision"] == 1
    status, evidence, _ = item("runbook")
    assert status == "pass" and "deployment revision 1" in evidence
    # New weights (a staged rollout's steps) leave it current ...
    platform.models.set_weights(PILOT, {"champion": 50, "challenger": 50}, ADMIN)
    assert item("runbook")[0] == "pass"
    # ... a breaker held open changes how the pilot is served: the runbook is stale.
    platform.models.open_breaker(PILOT, "challenger", ADMIN, "incident")
    status, evidence, step = item("runbook")
    assert status == "fail" and "revision 1" in evidence and "now revision 3" in evidence
    assert step == f"republish: pilotdeck runbook {PILOT} --publish"
    # A runbook generated before a change cannot be published after it.
    with pytest.raises(PreconditionFailed):
        platform.runbooks.publish(r, md, html, ADMIN)
    fresh = platform.runbooks.generate(PILOT)
    platform.runbooks.publish(fresh, markdown(fresh), page(fresh), ADMIN)
    assert item("runbook")[0] == "pass"


def test_cli_and_api(platform: Platform, tmp_path: Path) -> None:
    s = platform.settings
    env = {"PILOTDECK_HOME": str(s.home), "PILOTDECK_DB_URL": s.db_url,
           "PILOTDECK_MLFLOW_URI": "memory://", "PILOTDECK_GATEWAY_HOST": "gw.internal"}
    r = run_cli("runbook", PILOT, env=env)
    assert r.returncode == 0 and r.stdout.startswith("# Runbook: churn-prediction"), r.stderr
    out = tmp_path / "runbook.html"
    r = run_cli("runbook", PILOT, "--format", "html", "--output", str(out), "--publish",
                env=env)
    assert r.returncode == 0 and "published" in r.stdout, r.stderr
    assert out.read_text().startswith("<!doctype html>")
    r = run_cli("runbook", PILOT, "--published", "--format", "html", env=env)
    assert r.stdout == out.read_text()
    for args in (("runbook", PILOT, "--format", "pdf"), ("runbook", "no-such-pilot"),
                 ("runbook", OTHER, "--published")):
        r = run_cli(*args, env=env)
        assert r.returncode in (1, 2) and len(r.stderr.strip().splitlines()) == 1, r.stderr

    client = TestClient(create_app_for(platform))
    viewer = {"Authorization": "Bearer " + platform.access.create(
        "v", "viewer", [], ADMIN).token}
    team = {"Authorization": "Bearer " + platform.access.create(
        "ana", "pilot-team", [PILOT], ADMIN).token}
    url = f"/v1/pilots/{PILOT}/runbook"
    got = client.get(url, headers=viewer)
    assert got.status_code == 200 and got.json()["deploymentRevision"] == 1
    md = client.get(f"{url}?format=md", headers=viewer)
    assert md.headers["content-type"].startswith("text/markdown")
    assert "## Escalation" in md.text
    assert client.get(f"{url}?format=html", headers=viewer).text.startswith("<!doctype")
    assert client.get(f"{url}?format=pdf", headers=viewer).status_code == 422
    assert client.post(f"{url}/publish", headers=viewer).status_code == 403
    assert client.post(f"/v1/pilots/{OTHER}/runbook/publish", headers=team).status_code == 403
    pub = client.post(f"{url}/publish", headers=team)
    assert pub.status_code == 200 and pub.json()["publishedBy"] == "ana"
    again = client.get(f"{url}?format=md&published=true", headers=viewer)
    assert hashlib.sha256(again.text.encode()).hexdigest() == pub.json()["sha256"]
    items = json.loads(client.get(f"/v1/pilots/{PILOT}/readiness?version=1",
                                  headers=viewer).text)["items"]
    assert {i["id"]: i["status"] for i in items}["runbook"] == "pass"


def create_app_for(p: Platform):  # type: ignore[no-untyped-def]
    from pilotdeck.api.app import create_app

    return create_app(p)
