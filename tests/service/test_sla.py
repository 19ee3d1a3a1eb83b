"""SLAs: stored per pilot with a revision and audited (SQLite and PostgreSQL), their
compliance measured from a small prediction log whose numbers are worked out by
hand, and the ``sla`` commands and routes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from pilotdeck.auth.roles import Principal, Role
from pilotdeck.domain.errors import Forbidden, NotFound, PreconditionFailed, ValidationFailed
from pilotdeck.domain.sla import SLA, Floor

PILOT = "churn-prediction"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def pilots(platform: Any, admin: Any, demo_pilots: Path) -> Any:
    for name in (PILOT, "next-best-offer"):
        platform.portfolio.import_path(demo_pilots / f"{name}.yaml", admin)
    return platform


def test_set_show_replace_and_delete_with_revisions_and_audit(pilots: Any, admin: Any) -> None:
    svc = pilots.sla
    assert svc.get(PILOT) is None
    with pytest.raises(NotFound):
        svc.record(PILOT)
    with pytest.raises(NotFound):
        svc.get("no-such-pilot")
    first = svc.set(PILOT, SLA.parse({"availabilityPct": 99.9, "p99LatencyMs": 120}), admin)
    assert first.revision == 1 and svc.get(PILOT) == first.sla
    assert first.sla.p99_latency_ms == 120 and first.sla.max_error_rate == 0.01
    second = svc.set(PILOT, SLA(accuracy=Floor(metric="accuracy", min=0.8),
                                escalation="page #churn"), admin, expected_revision=1)
    assert second.revision == 2 and svc.get(PILOT).accuracy.min == 0.8  # type: ignore[union-attr]
    with pytest.raises(PreconditionFailed):
        svc.set(PILOT, SLA(), admin, expected_revision=1)
    with pytest.raises(PreconditionFailed):
        svc.delete(PILOT, admin, expected_revision=1)
    svc.delete(PILOT, admin, expected_revision=2)
    assert svc.get(PILOT) is None
    with pytest.raises(NotFound):
        svc.delete(PILOT, admin)
    # Revisions continue after a delete: an old ETag can never match the new SLA.
    assert svc.set(PILOT, SLA(), admin).revision > 2
    events = pilots.audit.log(entity_type="sla", entity_id=PILOT)
    assert sorted(e.action for e in events) == ["sla.deleted", "sla.set", "sla.set",
                                                 "sla.set"]
    changed = next(e for e in events if e.data.get("revision") == 2)
    assert changed.data["before"]["p99LatencyMs"] == 120
    assert changed.data["after"]["escalation"] == "page #churn"


def test_the_pilot_team_owns_its_sla(pilots: Any) -> None:
    team = Principal("ana", Role.PILOT_TEAM, frozenset({PILOT}))
    pilots.sla.set(PILOT, SLA(), team)
    with pytest.raises(Forbidden):
        pilots.sla.set("next-best-offer", SLA(), team)
    with pytest.raises(Forbidden):
        pilots.sla.delete(PILOT, Principal("v", Role.VIEWER))


@pytest.mark.parametrize(("doc", "field"), [
    ({"availabilityPct": 101}, "availabilityPct"),
    ({"p99LatencyMs": 0}, "p99LatencyMs"),
    ({"maxErrorRate": float("nan")}, "maxErrorRate"),
    ({"accuracy": {"metric": "mae", "min": 1}}, "accuracy"),
    ({"business": {"metric": "profit", "min": 1}}, "business"),
    ({"escalation": "a\x00b"}, "escalation"),
    ({"uptime": 99}, "uptime"),
])
def test_a_bad_sla_names_the_field(doc: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        SLA.parse(doc)
    assert any(e.field.startswith(field) for e in err.value.errors), err.value.errors


def write_log(platform: Any) -> None:
    """Ten live requests in the last hour, one shadow call and one old request:

    ========  =======  ======  =======  ==========  =====  =======
    request   variant  status  latency  prediction  label  revenue
    ========  =======  ======  =======  ==========  =====  =======
    r0        champ    200     10       1           1      10
    r1        champ    200     20       0           0      20
    r2        champ    200     30       1           0      30
    r3        champ    503     40       -           -      -
    r4        champ    200     50       1           1      40
    r5..r7    champ    200     60..80   0           -      -
    r8, r9    chall    200     90, 100  0           -      -
    s0        shadow   500     5000     (excluded: shadow)
    old       champ    500     9999     (excluded: two days ago)
    ========  =======  ======  =======  ==========  =====  =======
    """
    preds = platform.lake.prediction_log(1, 10**6)
    fb = platform.lake.feedback_log(1, 10**6)
    recs, feedback = [], []

    def req(rid: str, ts: datetime, variant: str, status: int, latency: float,
            pred: int | None) -> None:
        recs.append({"request_id": rid, "ts": ts, "pilot": PILOT, "variant": variant,
                     "model_version": 1, "inputs": orjson.dumps(
                         {"columns": ["x"], "data": [[1.0]]}).decode(),
                     "outputs": orjson.dumps(None if pred is None else [pred]).decode(),
                     "latency_ms": latency, "cache_hit": False, "status": status, "rows": 1})

    preds_of = [1, 0, 1, None, 1, 0, 0, 0, 0, 0]
    for i in range(10):
        req(f"r{i}", NOW - timedelta(minutes=50 - i), "challenger" if i >= 8 else "champion",
            503 if i == 3 else 200, 10.0 * (i + 1), preds_of[i])
    req("s0", NOW - timedelta(minutes=30), "shadow", 500, 5000.0, None)
    req("old", NOW - timedelta(days=2), "champion", 500, 9999.0, 1)
    for rid, label, revenue in (("r0", 1, 10.0), ("r1", 0, 20.0), ("r2", 0, 30.0),
                                ("r4", 1, 40.0), ("old", 0, 1000.0)):
        feedback.append({"request_id": rid, "ts": NOW, "pilot": PILOT,
                         "label": orjson.dumps(label).decode(), "revenue": revenue,
                         "cost_saved": None, "satisfaction": None})
    preds._write(recs)
    fb._write(feedback)


SLA_DOC = {"availabilityPct": 95, "p99LatencyMs": 150, "maxErrorRate": 0.2,
           "accuracy": {"metric": "accuracy", "min": 0.7},
           "business": {"metric": "revenue", "min": 30}, "windowHours": 24}


def test_compliance_matches_the_numbers_worked_out_by_hand(pilots: Any, admin: Any) -> None:
    write_log(pilots)
    pilots.sla.set(PILOT, SLA.parse(SLA_DOC), admin)
    c = pilots.sla.compliance(PILOT, now=NOW)
    assert c.requests == 10 and c.window_hours == 24
    got = {t.target: t for t in c.targets}
    assert got["availability"].measured == pytest.approx(90.0)  # 9 of 10 without a 5xx
    assert got["availability"].status == "breached" and got["availability"].met is False
    assert got["error_rate"].measured == pytest.approx(0.1) and got["error_rate"].met
    # numpy's linear percentile of 10, 20, ..., 100: 90 + 0.91 * 10
    assert got["p99_latency_ms"].measured == pytest.approx(99.1) and got["p99_latency_ms"].met
    # labelled r0, r1, r2, r4: predictions 1, 0, 1, 1 against labels 1, 0, 0, 1
    assert got["accuracy"].measured == pytest.approx(0.75) and got["accuracy"].rows == 4
    assert got["accuracy"].met
    # revenue of r0, r1, r2, r4 (the old request's feedback is outside the window)
    assert got["business"].measured == pytest.approx(25.0) and got["business"].met is False
    assert c.status == "breached" and not c.compliant
    assert c.breached == ["availability", "business"]

    relaxed = {**SLA_DOC, "availabilityPct": 90, "business": {"metric": "revenue", "min": 25}}
    pilots.sla.set(PILOT, SLA.parse(relaxed), admin)
    ok = pilots.sla.compliance(PILOT, now=NOW)
    assert ok.status == "compliant" and ok.compliant and ok.breached == []
    # A window that holds nothing cannot be judged; nor can too few requests.
    empty = pilots.sla.compliance(PILOT, timedelta(minutes=5), now=NOW)
    assert empty.status == "not enough data" and empty.requests == 0
    assert all(t.measured is None and t.met is None for t in empty.targets)
    pilots.sla.set(PILOT, SLA.parse({**relaxed, "minRequests": 11}), admin)
    few = pilots.sla.compliance(PILOT, now=NOW)
    assert few.status == "not enough data" and not few.breached
    # The wider window takes in the old request (a 5xx) and its feedback.
    pilots.sla.set(PILOT, SLA.parse(relaxed), admin)
    wide = pilots.sla.compliance(PILOT, timedelta(days=3), now=NOW)
    assert wide.requests == 11 and {t.target: t.measured for t in wide.targets}[
        "error_rate"] == pytest.approx(2 / 11)


def test_compliance_without_an_sla_or_with_a_bad_window(pilots: Any, admin: Any) -> None:
    with pytest.raises(NotFound):
        pilots.sla.compliance(PILOT)
    pilots.sla.set(PILOT, SLA(), admin)
    with pytest.raises(ValidationFailed):
        pilots.sla.compliance(PILOT, timedelta(0))
    with pytest.raises(ValidationFailed):
        pilots.sla.compliance(PILOT, timedelta(days=999_999_999))


def test_cli(pilots: Any, admin: Any, tmp_path: Path) -> None:
    from tests.cli import run_cli

    s = pilots.settings
    env = {"PILOTDECK_HOME": str(s.home), "PILOTDECK_DB_URL": s.db_url}
    write_log(pilots)
    f = tmp_path / "sla.yaml"
    f.write_text("availabilityPct: 95\np99LatencyMs: 150\nmaxErrorRate: 0.2\n"
                 "windowHours: 24\nescalation: page the churn on-call\n")
    r = run_cli("sla", "set", PILOT, "--file", str(f), env=env)
    assert r.returncode == 0 and "revision 1" in r.stdout, r.stderr
    r = run_cli("sla", "show", PILOT, "--format", "json", env=env)
    assert json.loads(r.stdout)["sla"]["escalation"] == "page the churn on-call"
    r = run_cli("sla", PILOT, "--format", "json", env=env)  # breached: 90 % < 95 %
    assert r.returncode == 3 and json.loads(r.stdout)["breached"] == ["availability"]
    r = run_cli("sla", "status", PILOT, "--window", "30d", env=env)
    assert r.returncode == 3 and "breached" in r.stdout and "availability" in r.stdout
    f.write_text(json.dumps({"availabilityPct": 80, "maxErrorRate": 0.5, "windowHours": 24}))
    assert run_cli("sla", "set", PILOT, "-f", str(f), "--if-revision", "1",
                   env=env).returncode == 0
    r = run_cli("sla", PILOT, env=env)
    assert r.returncode == 0 and "compliant" in r.stdout, r.stdout + r.stderr
    for args in (("sla", "set", PILOT, "--file", str(tmp_path / "missing.yaml")),
                 ("sla", PILOT, "--window", "soon"),
                 ("sla", "set", PILOT, "-f", str(f), "--if-revision", "1"),
                 ("sla", "no-such-pilot")):
        r = run_cli(*args, env=env)
        assert r.returncode in (1, 2) and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    f.write_text("p99LatencyMs: -1\n")
    r = run_cli("sla", "set", PILOT, "--file", str(f), env=env)
    assert r.returncode == 1 and "p99LatencyMs" in r.stderr
    assert run_cli("sla", "delete", PILOT, "--yes", env=env).returncode == 0
    assert run_cli("sla", "show", PILOT, env=env).returncode == 1


def test_api(pilots: Any, admin: Any) -> None:
    from fastapi.testclient import TestClient

    from pilotdeck.api.app import create_app

    write_log(pilots)
    client = TestClient(create_app(pilots))
    team = {"Authorization": "Bearer " + pilots.access.create(
        "ana", "pilot-team", [PILOT], admin).token}
    viewer = {"Authorization": "Bearer " + pilots.access.create(
        "v", "viewer", [], admin).token}
    url = f"/v1/pilots/{PILOT}/sla"
    assert client.get(url, headers=viewer).status_code == 404
    r = client.put(url, json=SLA_DOC, headers=team)
    assert r.status_code == 200 and r.headers["etag"] == '"1"', r.text
    assert client.put(url, json=SLA_DOC, headers=viewer).status_code == 403
    assert client.put("/v1/pilots/next-best-offer/sla", json=SLA_DOC,
                      headers=team).status_code == 403
    got = client.get(url, headers=viewer)
    assert got.json()["sla"]["accuracy"] == {"metric": "accuracy", "min": 0.7}
    bad = client.put(url, json={**SLA_DOC, "p99LatencyMs": "fast"},
                     headers={**team, "If-Match": '"1"'})
    assert bad.status_code == 422 and "p99LatencyMs" in bad.text
    stale = client.put(url, json=SLA_DOC, headers={**team, "If-Match": '"7"'})
    assert stale.status_code == 412
    c = client.get(f"{url}/compliance?window=24h", headers=viewer)
    assert c.status_code == 200 and c.json()["breached"] == ["availability", "business"]
    assert c.json()["targets"][0]["measured"] == pytest.approx(90.0)
    for q in ("soon", "0h", "99999999999d"):
        r = client.get(f"{url}/compliance?window={q}", headers=viewer)
        assert r.status_code == 422 and "window" in r.text, (q, r.text)
    assert client.delete(url, headers={**team, "If-Match": '"1"'}).status_code == 204
    assert client.get(f"{url}/compliance", headers=viewer).status_code == 404


def test_a_breach_fires_an_alert_rule(pilots: Any, admin: Any) -> None:
    from pilotdeck.domain.alerts import parse_rules

    write_log(pilots)
    rules = parse_rules({"rules": [
        {"name": "sla-breached", "pilot": PILOT, "metric": "sla.breached", "window": "24h",
         "comparison": ">=", "threshold": 1, "severity": "critical"},
        {"name": "sla-availability", "pilot": PILOT, "metric": "sla.availability",
         "window": "24h", "comparison": "<", "threshold": 95},
        {"name": "sla-latency", "pilot": PILOT, "metric": "sla.p99_latency_ms",
         "window": "24h", "comparison": ">", "threshold": 150},
        {"name": "sla-revenue", "pilot": PILOT, "metric": "sla.business", "window": "24h",
         "comparison": "<", "threshold": 30}]})
    # No SLA yet: the rules cannot be measured, so they report an error, never fire.
    assert {o.state for o in pilots.alerts.evaluate(rules, now=NOW)} == {"error"}
    pilots.sla.set(PILOT, SLA.parse(SLA_DOC), admin)
    out = {o.rule: o for o in pilots.alerts.evaluate(rules, now=NOW)}
    assert out["sla-breached"].state == "opened" and out["sla-breached"].value == 1.0
    assert out["sla-availability"].state == "opened"
    assert out["sla-availability"].value == pytest.approx(90.0)
    assert out["sla-latency"].state == "ok" and out["sla-latency"].value == pytest.approx(99.1)
    assert out["sla-revenue"].state == "opened" and out["sla-revenue"].rows == 4
    [alert] = [a for a in pilots.alerts.list(PILOT) if a.rule == "sla-breached"]
    assert alert.metric == "sla.breached" and alert.severity == "critical"
    # Relaxed until met: the alert resolves.
    pilots.sla.set(PILOT, SLA.parse({**SLA_DOC, "availabilityPct": 90,
                                     "business": {"metric": "revenue", "min": 20}}), admin)
    again = {o.rule: o for o in pilots.alerts.evaluate(rules, now=NOW)}
    assert again["sla-breached"].state == "resolved" and again["sla-breached"].value == 0.0
    with pytest.raises(ValidationFailed):
        parse_rules({"rules": [{"name": "x", "pilot": PILOT, "metric": "sla.error_rate",
                                "scope": {"variant": "challenger"}, "threshold": 0.1}]})
