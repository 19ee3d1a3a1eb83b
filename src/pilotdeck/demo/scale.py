"""The demo's value story: one pilot goes all the way to 100 %, one measures its uplift.

fraud-detection-realtime takes the path the playbook describes: its team is
trained, its challenger (v2) gets a fairness report, a batch backtest, the
board's sign-off and alert rules, so readiness clears it for 100 % of traffic;
then a staged rollout (50 % → 100 %) moves only when its gates have judged the
live traffic, and promotes v2 through the audited
deployment path. demand-forecasting keeps a control group: a ``baseline``
variant serves the planners' old rule (the average), so the programme report
measures the model's revenue as an uplift over it, with a confidence interval.
Traffic and outcomes are replayed by :mod:`pilotdeck.demo.traffic` (seeded). A
second run changes nothing.
"""

from __future__ import annotations

from pilotdeck.auth.roles import Principal
from pilotdeck.demo.governance import BOARD
from pilotdeck.demo.operations import publish_runbook
from pilotdeck.demo.teams import COURSE, PILOT_TEAMS
from pilotdeck.demo.traffic import demand_outcome, fraud_outcome, replay
from pilotdeck.domain.errors import PilotdeckError
from pilotdeck.domain.rollout import Plan
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform

FRAUD = "fraud-detection-realtime"
DEMAND = "demand-forecasting"
# Compressed for the demo (no pause between steps): the latency gate must show
# the challenger's p99 under the SLA's 100 ms (about 550 requests with none slow);
# the error-rate and quality gates watch every check and would roll it back.
PLAN = {"steps": [{"weight": 50, "pauseSeconds": 0, "minSamples": 550, "require": ["latency"]},
                  {"weight": 100, "pauseSeconds": 0, "minSamples": 100,
                   "require": ["latency"]}],
        "gates": [{"name": "errorRate"}, {"name": "latency"},
                  {"name": "quality", "margin": 0.02, "minSamples": 100}]}
ALERTS = f"""# Written by the demo: the fraud pilot's alert rules (readiness: observability).
rules:
  - name: fraud-error-rate
    pilot: {FRAUD}
    metric: health.error_rate
    window: 1h
    comparison: ">"
    threshold: 0.01
    minRows: 50
    severity: critical
    actions: [{{type: rollback, variant: challenger}}]
  - name: fraud-latency
    pilot: {FRAUD}
    metric: health.latency_p95
    window: 30m
    comparison: ">"
    threshold: 100
    minRows: 50
"""


def scale_fraud(platform: Platform, who: Principal) -> str:
    """Clear the fraud challenger for 100 % and roll it out there; a line to print."""
    if any(r.phase == "promoted" for r in platform.rollouts.history(FRAUD)):
        return f"scale: {FRAUD} already at 100 % (pilotdeck rollout history {FRAUD})"
    challenger = platform.models.deployment(FRAUD).spec.variant("challenger")
    if challenger is None:
        return f"scale: {FRAUD} has no challenger to roll out"
    v = challenger.version
    decisions = []
    try:
        _ready_for_production(platform, FRAUD, v, who)
        platform.rollouts.start(FRAUD, v, who, Plan.parse(PLAN))
        for n, seed in ((1200, 11), (100, 12)):  # the 50 % step, then the 100 % step
            replay(platform, FRAUD, n, seed, fraud_outcome)
            decisions.append(platform.rollouts.check(FRAUD))
    except PilotdeckError as exc:  # e.g. a rollout left running by an interrupted run
        return f"scale: {FRAUD} not scaled ({exc}; pilotdeck rollout status {FRAUD})"
    publish_runbook(platform, FRAUD, who)  # the runbook follows the new deployment
    last = platform.rollouts.status(FRAUD)
    steps = " → ".join(d.action for d in decisions)
    if last.phase != "promoted":
        return (f"scale: {FRAUD} v{v} {last.phase} at {last.weight:g}% ({steps}: "
                f"{last.reason}; pilotdeck rollout status {FRAUD})")
    return (f"scale: {FRAUD} v{v} rolled out 50 % → 100 % by its gates ({steps}); "
            "promoted (pilotdeck programme report)")


def _ready_for_production(platform: Platform, pilot: str, version: int,
                          who: Principal) -> None:
    """The evidence readiness asks before 100 %: trained team, fairness report,
    batch backtest, board sign-off, alert rules (SLA and runbook are there)."""
    team = PILOT_TEAMS[pilot]
    for m in platform.teams.get(team).members:
        platform.readiness.training.record(m.user, COURSE, who, team=team)
    table = platform.lake.table_dir(f"{pilot.replace('-', '_')}_training") / "v1.parquet"
    platform.fairness.evaluate(pilot, version, table, "label", ["region"], who)
    platform.batch.score(pilot, f"dataset:{pilot.replace('-', '_')}_train@0",
                         "dataset:fraud_backtest", who, version=version, owner=team)
    req = platform.approvals.request(pilot, version, who, reason="demo: ready for 100 %")
    for member in BOARD[:req.required]:
        platform.approvals.decide(req.id, "approve", member, "demo: evidence reviewed")
    rules = platform.settings.alert_rules
    if rules is not None and not rules.exists():
        rules.write_text(ALERTS, encoding="utf-8")


def control_group(platform: Platform, who: Principal) -> str:
    """Give demand forecasting a ``baseline`` variant (the old rule) and replay its
    traffic; a line to print."""
    spec = platform.models.deployment(DEMAND).spec
    if spec.variant("baseline") is None:
        import numpy as np
        from sklearn.dummy import DummyRegressor

        from pilotdeck.demo.models import PROBLEMS, register_fitted

        problem = next(p for p in PROBLEMS if p.pilot == DEMAND)
        X, y = problem.make(np.random.default_rng(21), 2000)
        base = register_fitted(platform, DEMAND, DummyRegressor(strategy="mean").fit(X, y), X,
                               who, description="baseline: the planners' rule (average "
                                                 "demand), no model")
        doc = spec.document()
        doc["variants"] = [{**v, "weight": 80.0} if v["name"] == "champion" else v
                           for v in doc["variants"]]
        doc["variants"].append({"name": "baseline", "version": base.version, "weight": 10.0})
        platform.models.deploy(DEMAND, DeploymentSpec.parse(doc), who,
                               reason="demo: a 10 % control group served by the old rule")
        publish_runbook(platform, DEMAND, who)
    if platform.lake.requests(DEMAND).num_rows:
        return f"value: {DEMAND} already has traffic and outcomes"
    done = replay(platform, DEMAND, 600, 31, demand_outcome)
    return (f"value: {DEMAND} served {done.requests} requests "
            f"({', '.join(f'{k} {c}' for k, c in sorted(done.by_variant.items()))}) with "
            "their sales outcomes; revenue is measured against the baseline control group")
