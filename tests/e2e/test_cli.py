"""The CLI as a user runs it: exit codes, one-line errors, concurrent processes.

Most commands run in-process through the console script's own ``run()``
(``tests/cli.py``); the tests of the installed script itself, its error
lines and exit codes, and of two processes racing, start real processes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cli import Result, console_script, run_cli, run_script


def env_for(home: Path, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTDECK_")}
    env.update(PILOTDECK_HOME=str(home), PILOTDECK_DB_URL=db_url, COLUMNS="200")
    return env


def pd(env: dict[str, str], *args: str, check: bool = True) -> Result:
    r = run_cli(*args, env=env)
    if check:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


@pytest.fixture
def env(tmp_path: Path, db_url: str) -> dict[str, str]:
    (tmp_path / "home").mkdir()  # an existing home: no "new home created" line on stderr
    return env_for(tmp_path / "home", db_url)


def test_bad_manifest_exits_nonzero_with_file_field_problem(env, demo_pilots, tmp_path) -> None:
    d = tmp_path / "pilots"
    shutil.copytree(demo_pilots, d)
    doc = yaml.safe_load((d / "churn-prediction.yaml").read_text())
    doc["spec"]["scores"]["impact"]["value"] = 7
    (d / "churn-prediction.yaml").write_text(yaml.safe_dump(doc))
    r = run_script("pilots", "import", str(d), env=env)  # the installed script
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "churn-prediction.yaml" in lines[0]
    assert "spec.scores.impact.value: must be 1..5, got 7" in lines[0]
    listed = json.loads(pd(env, "pilots", "list", "--format", "json").stdout)
    assert listed == []


def test_import_list_show_export_and_formats(env, demo_pilots, tmp_path) -> None:
    out = pd(env, "pilots", "import", str(demo_pilots)).stdout
    assert "created 16" in out
    assert "unchanged 16" in pd(env, "pilots", "import", str(demo_pilots)).stdout
    csv_out = pd(env, "pilots", "list", "--format", "csv", "--business-unit", "HR").stdout
    header, first = csv_out.splitlines()[:2]
    assert header == ("name,businessUnit,status,owner,productionCostPerYear,"
                      "expectedValuePerYear")
    assert all(x.isdigit() for x in first.split(",")[-2:]), first  # plain numbers
    assert len(csv_out.strip().splitlines()) == 3
    shown = yaml.safe_load(pd(env, "pilots", "show", "churn-prediction").stdout)
    assert shown["metadata"]["owner"] == "ana.silva@northwind.example"
    pd(env, "pilots", "export", str(tmp_path / "exported"))
    assert len(list((tmp_path / "exported").glob("*.yaml"))) == 16
    r = pd(env, "pilots", "list", "--format", "xml", check=False)
    assert r.returncode == 2 and "--format: must be one of table, json, csv" in r.stderr
    r = pd(env, "pilots", "show", "nope", check=False)
    assert r.returncode == 1 and r.stderr.startswith("error: pilot 'nope' not found")


def test_prioritize_assess_audit_and_tokens(env, demo_pilots, tmp_path) -> None:
    pd(env, "pilots", "import", str(demo_pilots))
    chart = tmp_path / "matrix.svg"
    data = json.loads(pd(env, "prioritize", "--format", "json", "--chart", str(chart)).stdout)
    assert chart.read_text().lstrip().startswith("<?xml") and "<svg" in chart.read_text()
    assert {p["quadrant"] for p in data["pilots"]} == {
        "scale-now", "build-reference-architecture", "consolidate-or-sunset", "sunset"}
    table = pd(env, "prioritize").stdout
    assert "Portfolio plan" in table and "Sensitivity" in table
    r = pd(env, "prioritize", "--chart", str(tmp_path / "m.gif"), check=False)
    assert r.returncode == 1 and "must end in .png or .svg" in r.stderr

    res = json.loads(pd(env, "assess", "run", "--pilot", "churn-prediction", "--score",
                        "deployment=3", "--format", "json", "--chart",
                        str(tmp_path / "radar.png")).stdout)
    assert (tmp_path / "radar.png").read_bytes()[:4] == b"\x89PNG"
    dims = {d["id"]: d for d in res["dimensions"]}
    assert dims["deployment"]["level"] == 3 and dims["deployment"]["source"] == "direct"
    assert dims["data-governance"]["level"] >= 3  # evidence from its manifest
    r = pd(env, "assess", "run", "--score", "vibes=3", check=False)
    assert r.returncode == 1 and "scores.vibes: is not a dimension" in r.stderr
    pd(env, "assess", "run", "--all-pilots")
    hist = json.loads(pd(env, "assess", "history", "--pilot", "churn-prediction",
                         "--format", "json").stdout)
    assert len(hist) == 2

    assert "ok: " in pd(env, "audit", "verify").stdout
    note = tmp_path / "cp.txt"
    pd(env, "audit", "checkpoint", "--out", str(note))
    pub = tmp_path / "key.pem"
    pd(env, "audit", "public-key", "--out", str(pub))
    proof = tmp_path / "proof.json"
    size = int(next(line.split(": ")[1] for line in note.read_text().splitlines()
                    if line.startswith("size: ")))
    proof.write_text(pd(env, "audit", "proof", "3", "--size", str(size)).stdout)
    ok = pd(env, "audit", "verify-checkpoint", str(note), "--public-key", str(pub),
            "--inclusion", str(proof)).stdout
    assert "signature ok" in ok and "inclusion of event 3: ok" in ok
    tampered = tmp_path / "bad.txt"
    tampered.write_text(note.read_text().replace(f"size: {size}", f"size: {size + 1}"))
    r = pd(env, "audit", "verify-checkpoint", str(tampered), "--public-key", str(pub),
           check=False)
    assert r.returncode == 1 and "bad signature" in r.stderr

    token_out = pd(env, "tokens", "create", "--user", "ana", "--role", "pilot-team",
                   "--pilot", "churn-prediction").stdout
    assert token_out.strip().splitlines()[-1].startswith("pd_")
    r = pd(env, "tokens", "create", "--user", "x", "--role", "pilot-team", check=False)
    assert r.returncode == 1 and "needs at least one pilot" in r.stderr
    pd(env, "tokens", "revoke", "1")
    log = json.loads(pd(env, "audit", "log", "--entity", "token", "--format", "json").stdout)
    assert [e["action"] for e in log] == ["role.revoked", "role.granted"]  # newest first


def test_verify_exits_nonzero_and_names_the_event_after_tampering(env, demo_pilots) -> None:
    pd(env, "pilots", "import", str(demo_pilots))
    from sqlalchemy import create_engine, text

    engine = create_engine(env["PILOTDECK_DB_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET body = REPLACE(body, :a, :b) WHERE seq = 6")
                     if engine.dialect.name == "sqlite" else
                     text("UPDATE audit_events SET body = convert_to(replace(convert_from(body, "
                          "'UTF8'), :a, :b), 'UTF8') WHERE seq = 6"),
                     {"a": "apiVersion", "b": "apiVersioN"} if engine.dialect.name != "sqlite"
                     else {"a": b"apiVersion", "b": b"apiVersioN"})
    engine.dispose()
    r = pd(env, "audit", "verify", check=False)
    assert r.returncode == 1 and "first bad event: 6" in r.stderr


def test_two_processes_importing_at_once_corrupt_nothing(env, demo_pilots, tmp_path) -> None:
    files = sorted(demo_pilots.glob("*.yaml"))
    halves = [tmp_path / "a", tmp_path / "b"]
    for half, chunk in zip(halves, (files[:8], files[8:]), strict=True):
        half.mkdir()
        for f in chunk:
            shutil.copy(f, half / f.name)
    # Both start on a fresh database: they race the migration as well as the import.
    procs = [subprocess.Popen([str(console_script()), "pilots", "import", str(h)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for h in halves]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    procs = [subprocess.Popen([str(console_script()), "pilots", "import",
                               str(demo_pilots)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert all("unchanged 16" in o for o, _ in outs)
    listed = json.loads(pd(env, "pilots", "list", "--format", "json").stdout)
    assert len(listed) == 16
    verify = json.loads(pd(env, "audit", "verify", "--format", "json").stdout)
    assert verify["ok"] and verify["size"] == 16


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Result, Path]:
    """One demo run shared by the tests that read what it left (it takes a while)."""
    home = tmp_path_factory.mktemp("demo") / "home"
    env = env_for(home, f"sqlite:///{home / 'pilotdeck.db'}")
    env.pop("PILOTDECK_DB_URL")
    return env, pd(env, "demo", "--no-serve"), home


def test_demo_runs_end_to_end_without_serving(demo) -> None:
    env, r, home = demo
    assert "admin token" in r.stdout and "Portfolio plan" in r.stdout
    assert "/ui and sign in with an API token" in r.stdout  # the dashboard's address
    reports = home / "reports"
    assert (reports / "prioritization-matrix.png").stat().st_size > 10_000
    assert (reports / "maturity-organisation.png").exists()
    versions = json.loads(pd(env, "models", "list", "churn-prediction", "--format",
                             "json").stdout)
    assert [v["aliases"] for v in versions] == [["champion"], ["challenger"], []]
    assert versions[0]["metrics"]["roc_auc"] > 0.6 and versions[0]["datasets"]
    assert (home / "lakehouse" / "tables" / "churn_prediction_training"
            / "v1.parquet").exists()
    tiers = {p: json.loads(pd(env, "risk", "show", p, "--format", "json").stdout)["tier"]
             for p in ("credit-risk-scoring", "customer-support-assistant")}
    assert tiers == {"credit-risk-scoring": "high", "customer-support-assistant": "limited"}
    approvals = json.loads(pd(env, "approvals", "list", "--format", "json").stdout)
    approved = {(a["pilot"], a["required"]) for a in approvals if a["status"] == "approved"}
    assert approved == {("credit-risk-scoring", 2), ("customer-support-assistant", 1),
                        ("fraud-detection-realtime", 1)}  # its v2, before 100 %
    assert all(len({v["by"] for v in a["votes"]}) == a["required"] for a in approvals)
    status = json.loads(pd(env, "approvals", "status", "credit-risk-scoring", "--version", "1",
                           "--format", "json").stdout)
    sources = {c["id"]: c["source"] for c in status["controls"]}
    assert status["liveAllowed"] and sources["explainability"] == "platform"  # not attested
    assert sources["fairness-report"] == "platform"  # scored on its table by region
    card = pd(env, "models", "card", "credit-risk-scoring", "--version", "1").stdout
    assert "EU AI Act tier **high**" in card and "Approval" in card
    # The data layer: catalogued training data (credit's is pii), a baseline, a chain.
    data = {d["name"]: d for d in json.loads(pd(env, "data", "list", "--format", "json").stdout)}
    assert "pii" in data["credit_risk_scoring_train"]["tags"] and "churn_scores" in data
    down = json.loads(pd(env, "lineage", "downstream", "dataset:churn_prediction_train@0",
                         "--format", "json").stdout)
    ids = {n["id"] for n in down["nodes"]}
    assert {"model:churn-prediction/1", "dataset:churn_scores@0"} <= ids, ids
    up = json.loads(pd(env, "lineage", "upstream", "dataset:churn_scores@0", "--format",
                       "json").stdout)
    assert "dataset:churn_prediction_train@0" in {n["id"] for n in up["nodes"]}
    assert pd(env, "data", "check", "credit_risk_scoring_train").returncode == 0
    # Readiness from the demo's own evidence: data, model, serving, batch pass for
    # churn's champion; the high-risk credit pilot's live gates (risk, sign-off) pass.
    r = pd(env, "readiness", "churn-prediction", "--format", "json", check=False)
    assert r.returncode == 3, r.stderr  # training records are not there yet
    got = {i["id"]: i["status"] for i in json.loads(r.stdout)["items"]}
    assert all(got[i] == "pass" for i in ("data-catalogued", "data-quality",
                                          "model-registered", "serving-realtime",
                                          "serving-batch", "risk-assessed", "sla",
                                          "runbook")), got
    # The SLA and the published runbook behind those two items.
    sla = json.loads(pd(env, "sla", "show", "churn-prediction", "--format", "json").stdout)
    assert sla["sla"]["accuracy"] == {"metric": "accuracy", "min": 0.7}
    c = pd(env, "sla", "churn-prediction", "--format", "json", check=False)
    assert json.loads(c.stdout)["status"] == "not enough data"  # nothing served yet
    book = pd(env, "runbook", "churn-prediction", "--published").stdout
    assert "pilotdeck models rollback churn-prediction challenger" in book
    assert "CRM data science on-call" in book and "ana.silva@northwind.example" in book
    credit = json.loads(pd(env, "readiness", "credit-risk-scoring", "--format", "json",
                           check=False).stdout)
    assert credit["liveBlockedBy"] == [] and not credit["ready"]
    # One staged rollout in progress: credit scoring's signed-off challenger at 5 %.
    rollout = json.loads(pd(env, "rollout", "status", "credit-risk-scoring", "--format",
                            "json").stdout)
    assert (rollout["phase"], rollout["step"], rollout["weight"]) == ("running", 1, 5)
    dep = json.loads(pd(env, "models", "deployment", "credit-risk-scoring", "--format",
                        "json").stdout)
    assert {v["name"]: v["weight"] for v in dep["spec"]["variants"]} == {
        "champion": 95, "challenger": 5}
    held = pd(env, "rollout", "tick").stdout  # no traffic yet: it holds, never fails
    assert "credit-risk-scoring: wait" in held or "credit-risk-scoring: hold" in held
    # The centre of excellence: teams own the deployed pilots; the playbook is published.
    teams = {t["name"]: t for t in json.loads(pd(env, "teams", "list", "--format",
                                                  "json").stdout)}
    assert {"platform", "enablement", "board", "crm", "risk-analytics"} <= set(teams)
    assert {m["user"] for m in teams["board"]["members"]} == {"board:amara.okafor",
                                                                "board:jonas.berg"}
    assert teams["crm"]["pilots"] == ["churn-prediction"]
    assert got["team-trained"] == "pass"  # the CRM team is trained
    assert "0 of 4 member(s) of team risk-analytics trained" in next(
        i["evidence"] for i in credit["items"] if i["id"] == "team-trained")
    token = pd(env, "tokens", "create", "--user", "lena.vogel", "--team", "crm").stdout
    assert "pilot-team" in token and "churn-prediction" in token
    book = pd(env, "playbook").stdout
    assert "Version **1** of the standard" in book and "| crm | pilot |" in book
    assert json.loads(pd(env, "playbook", "versions", "--format", "json").stdout)[0][
        "version"] == 1
    again = pd(env, "demo", "--no-serve")
    assert "16 unchanged" in again.stdout and "already exists" in again.stdout
    assert "rollout: credit-risk-scoring v2 running at 5%" in again.stdout
    assert "already there" in again.stdout
    assert "SLA set for 0 pilot(s), runbooks published for 0" in again.stdout
    assert "0 team(s) created" in again.stdout and "playbook version 1 stands" in again.stdout
    assert "fraud-detection-realtime already at 100 %" in again.stdout
    assert "demand-forecasting already has traffic" in again.stdout


def test_demo_programme_report_shows_measured_value_and_a_scaled_pilot(demo) -> None:
    env, r, _ = demo
    assert "fraud-detection-realtime v2 rolled out 50 % → 100 % by its gates" in r.stdout
    report = json.loads(pd(env, "programme", "report", "--format", "json").stdout)
    # Measured, not estimated: demand's revenue is its uplift over the baseline
    # control group (an interval above zero), fraud's savings are recorded outcomes.
    assert report["revenue"]["total"] > 0 and report["revenue"]["ciLow"] > 0
    assert report["costSavings"]["total"] > 0
    assert report["value"]["measured"] > 0 and report["cost"]["total"] > 0
    pilots = {p["pilot"]: p for p in report["byPilot"]}
    assert pilots["demand-forecasting"]["uplift"]["against"] == "baseline"
    assert pilots["fraud-detection-realtime"]["costSavings"]["total"] > 0
    # Scaled through a staged rollout: time to scale and cost per scaled pilot show.
    scale = report["timeToScaleDays"]
    assert scale["scaled"] >= 1 and scale["medianDays"] is not None
    assert any(p["pilot"] == "fraud-detection-realtime" and p["days"] is not None
               for p in scale["pilots"])
    assert any(c["costPerScaledPilot"] for c in report["costPerScaledPilot"])
    history = json.loads(pd(env, "rollout", "history", "fraud-detection-realtime",
                            "--format", "json").stdout)
    assert history[0]["phase"] == "promoted"
    dep = json.loads(pd(env, "models", "deployment", "fraud-detection-realtime", "--format",
                        "json").stdout)
    live = {v["name"]: (v["version"], v["weight"]) for v in dep["spec"]["variants"]
            if v["weight"] > 0}
    assert live == {"champion": (2, 100)}
    # The playbook reads the same milestones: one pilot went from live traffic to 100 %.
    assert re.search(r"\| live traffic to 100 % of traffic \| [0-9.]+ (h|days) \| 1 \|",
                     pd(env, "playbook").stdout)


def test_bad_database_url_is_one_line(tmp_path) -> None:
    env = env_for(tmp_path, "mysql://nobody@nowhere/db")
    r = run_script("pilots", "list", env=env)  # the installed script
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "unsupported database URL scheme" in r.stderr
    assert run_cli("pilots", "list", env=env).stderr == r.stderr  # in-process: the same


def test_every_dashboard_page_works_for_every_role_on_the_demo_data(demo) -> None:
    """Issue 12's "every page works for every role with the demo data": the
    demo's own home behind the API app, each role signed in, each page and
    chart asked for; an answer is the page, or a 403 the role's permissions
    explain, never an error page."""
    from fastapi.testclient import TestClient

    from pilotdeck.api.app import create_app
    from pilotdeck.auth.roles import GRANTS, Role, local_admin
    from pilotdeck.config import Settings
    from pilotdeck.domain.query import PilotFilter
    from pilotdeck.platform import Platform
    from tests.integration.test_dashboard_security import UI_PAGES, sign_in

    _, _, home = demo
    platform = Platform(Settings(home=home, alert_interval_s=0, rollout_interval_s=0))
    try:
        pilots = [p.name for p in platform.portfolio.list(PilotFilter())[0]]
        assert len(pilots) >= 5
        app = create_app(platform)
        for role in Role:
            # Roles that must name their pilots get the first one.
            scope = [pilots[0]] if role in (Role.PILOT_TEAM, Role.CLIENT) else []
            token = platform.access.create(f"walk-{role.value}", role.value, scope,
                                           local_admin("tester")).token
            with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
                if role is Role.CLIENT:  # a machine's token: no dashboard session
                    page = client.get("/ui/sign-in").text
                    nonce = re.search(r'name="csrf" value="([^"]+)"', page)
                    assert nonce is not None
                    assert client.post("/ui/sign-in", data={
                        "csrf": nonce.group(1), "token": token}).status_code == 401
                    continue
                sign_in(client, token)
                paths = [sample for route, (sample, _) in UI_PAGES.items()
                         if "{pilot}" not in route and route != "/ui/sign-in"]
                paths += [f"/ui/pilots/{p}" for p in pilots]
                paths += [f"/ui/charts/maturity/{p}.png" for p in pilots[:2]]
                for path in paths:
                    r = client.get(path)
                    need = next((perm for route, (sample, perm) in UI_PAGES.items()
                                 if sample == path), None)
                    if r.status_code == 403:
                        other_pilot = any(p in path for p in pilots if p not in scope)
                        assert ((need is not None and need not in GRANTS[role])
                                or (scope and other_pilot)), (role, path)
                        continue
                    assert r.status_code in (200, 303), (role, path, r.status_code)
                    if r.headers.get("content-type", "").startswith("text/html"):
                        assert "Internal error" not in r.text, (role, path)
    finally:
        platform.close()
