"""The rollout controller against a real store and prediction log (memory registry):
each check reads what the gateway logged, decides, and moves weights through the
audited deployment path; the regression cases from peers' trackers included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pilotdeck.auth.roles import Principal, Role, local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.errors import Conflict, Forbidden, ValidationFailed
from pilotdeck.domain.readiness import parse_blocks
from pilotdeck.domain.rollout import Plan
from pilotdeck.domain.serving import profile_name
from pilotdeck.platform import Platform
from tests.governance import minimal_risk
from tests.lake_logs import write_logs
from tests.service.test_registry_service import MLMODEL

DEMO = Path(__file__).resolve().parents[2] / "src" / "pilotdeck" / "demo" / "pilots"
PILOT = "churn-prediction"
ADMIN = local_admin("tester")
BOARD = (Principal("board:amara", Role.GOVERNANCE_BOARD),)
# 600 requests without an error show an error rate under the SLA's 1 % (at α/2);
# fewer cannot, whatever the test.
FAST = {"steps": [{"weight": 20, "pauseSeconds": 0, "minSamples": 40},
                  {"weight": 50, "pauseSeconds": 0, "minSamples": 40}],
        "gates": [{"name": "errorRate"}, {"name": "quality", "minSamples": 40, "margin": 0.05}],
        "designSamples": 200}


def _platform(tmp_path: Path) -> Platform:
    return Platform(Settings(home=tmp_path / "home", db_url=f"sqlite:///{tmp_path / 'db'}",
                             mlflow_uri="memory://"))


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = with_a_challenger(tmp_path)
    yield p
    p.close()


def with_a_challenger(tmp_path: Path) -> Platform:
    """The pilot with v1 deployed and v2 registered, risk-assessed and signed off."""
    p = _platform(tmp_path)
    p.portfolio.import_path(DEMO / f"{PILOT}.yaml", ADMIN)
    model = tmp_path / "model"
    model.mkdir()
    (model / "MLmodel").write_text(MLMODEL)
    for _ in range(2):
        p.models.register(PILOT, ADMIN, path=model, metrics={"auc": 0.8})
    minimal_risk(p, PILOT)
    req = p.approvals.request(PILOT, 2, ADMIN)
    p.approvals.decide(req.id, "approve", BOARD[0], "reviewed")  # minimal tier: one vote
    p.models.deploy(PILOT, _spec(1), ADMIN)
    return p


# This test sets up only what live traffic needs (risk, sign-off); the rest of the
# checklist has its own tests. Configured not to block, the promotion goes ahead.
UNBLOCKED = dict.fromkeys(("data-catalogued", "data-quality", "serving-batch", "observability",
                           "fairness", "explainability", "runbook", "team-trained", "sla"),
                          "none")


def unblock_full(p: Platform) -> None:
    p.readiness.blocks.update(parse_blocks(UNBLOCKED))


def _spec(version: int) -> Any:
    from pilotdeck.domain.serving import DeploymentSpec

    return DeploymentSpec.parse({"variants": [{"name": "champion", "version": version,
                                               "weight": 100}]})


def _log(p: Platform, variant: str, version: int, n: int, *, correct: float = 1.0,
         error_every: int = 0, start: int = 0, region: Any = None, pred: Any = None) -> None:
    """``n`` logged requests with a label each: ``correct`` of them right (or the
    prediction ``pred(i)``, with a ``region(i)`` input column)."""
    preds, fb = [], []
    now = datetime.now(UTC)
    for i in range(start, start + n):
        rid = f"{variant}-{i}"
        failed = error_every and i % error_every == 0
        right = (i % 100) < correct * 100
        cols, row = (["x"], [float(i)]) if region is None else (["x", "region"],
                                                                 [float(i), region(i)])
        preds.append({"request_id": rid, "ts": now, "pilot": PILOT, "variant": variant,
                      "model_version": version,
                      "inputs": json.dumps({"columns": cols, "data": [row]}),
                      "outputs": json.dumps([1 if pred is None else pred(i)]),
                      "latency_ms": 5.0, "cache_hit": False,
                      "status": 500 if failed else 200, "rows": 1})
        fb.append({"request_id": rid, "ts": now, "pilot": PILOT,
                   "label": json.dumps(1 if right else 0), "revenue": None,
                   "cost_saved": None, "satisfaction": None})

    write_logs(p, preds, fb)


def _check(p: Platform) -> tuple[str, str]:
    r = p.rollouts.check(PILOT)
    return r.action, r.reason


def _weights(p: Platform) -> dict[str, tuple[int, float]]:
    return {v.name: (v.version, v.weight) for v in p.models.deployment(PILOT).spec.variants}


def _actions(p: Platform) -> list[str]:
    return [e.action for e in p.audit.log(entity_type="rollout", entity_id=PILOT)]


def test_a_good_challenger_is_promoted_step_by_step(platform: Platform) -> None:
    p = platform
    r = p.rollouts.start(PILOT, 2, ADMIN, Plan.parse(FAST))
    assert (r.phase, r.step, r.weight) == ("running", 1, 20)
    assert _weights(p) == {"champion": (1, 80), "challenger": (2, 20)}
    assert p.rollouts.check(PILOT).action == "hold"  # no data: hold, never fail
    _log(p, "champion", 1, 600, correct=0.8)
    _log(p, "challenger", 2, 600, correct=0.95)
    assert p.rollouts.check(PILOT).action == "proceed"
    assert _weights(p) == {"champion": (1, 50), "challenger": (2, 50)}
    _log(p, "challenger", 2, 60, correct=0.95, start=600)
    action, reason = _check(p)  # every gate passes, but 100 % needs readiness
    assert action == "hold" and "readiness: " in reason and "runbook" in reason
    unblock_full(p)
    assert p.rollouts.check(PILOT).action == "promote"
    assert _weights(p) == {"champion": (2, 100)}
    done = p.rollouts.status(PILOT)
    assert done.phase == "promoted" and done.last_check is not None
    assert {g["gate"]: g["verdict"] for g in done.last_check["gates"]} == {
        "errorRate": "pass", "quality": "pass"}
    assert _actions(p) == ["rollout.started", "rollout.held", "rollout.step",
                           "rollout.held", "rollout.promoted"]
    promoted = p.audit.log(action="rollout.promoted")[0]
    assert promoted.data["evidence"]["gates"]  # the decision carries its evidence


def test_a_bad_challenger_is_rolled_back_at_once(platform: Platform) -> None:
    p = platform
    p.rollouts.start(PILOT, 2, ADMIN, Plan.parse(FAST))
    _log(p, "champion", 1, 200)
    _log(p, "challenger", 2, 60, error_every=3)  # a third of its requests fail
    action, reason = _check(p)
    assert action == "rollback" and "errorRate" in reason
    assert _weights(p)["challenger"][1] == 0 and _weights(p)["champion"] == (1, 100)
    assert p.rollouts.status(PILOT).phase == "rolled-back"
    assert p.audit.log(action="deployment.rolled-back")[-1].actor == "system:rollout-controller"


def test_rollback_while_waiting_for_a_confirmation(platform: Platform) -> None:
    p = platform
    p.rollouts.start(PILOT, 2, ADMIN, Plan.parse(FAST), mode="confirm")
    _log(p, "champion", 1, 600, correct=0.8)
    _log(p, "challenger", 2, 600, correct=0.95)
    assert p.rollouts.check(PILOT).action == "confirm"
    assert p.rollouts.status(PILOT).phase == "waiting-confirmation"
    _log(p, "challenger", 2, 300, error_every=2, start=600)
    assert p.rollouts.check(PILOT).action == "rollback"
    assert p.rollouts.status(PILOT).phase == "rolled-back"


def test_confirm_then_abort_during_a_pause(platform: Platform) -> None:
    p = platform
    p.rollouts.start(PILOT, 2, ADMIN, Plan.parse(FAST), mode="confirm")
    _log(p, "champion", 1, 600, correct=0.8)
    _log(p, "challenger", 2, 600, correct=0.95)
    p.rollouts.check(PILOT)
    assert p.rollouts.promote(PILOT, ADMIN).weight == 50  # confirmed: the next step
    assert p.rollouts.pause(PILOT, ADMIN, "freeze").phase == "paused"
    assert p.rollouts.check(PILOT).action == "wait"
    done = p.rollouts.abort(PILOT, ADMIN, "change freeze")
    assert done.phase == "aborted" and _weights(p)["challenger"][1] == 0
    with pytest.raises(Exception, match="active rollout"):
        p.rollouts.resume(PILOT, ADMIN)


def test_a_breaker_opening_during_the_rollout_rolls_it_back(platform: Platform) -> None:
    p = platform
    p.rollouts.start(PILOT, 2, ADMIN, Plan.parse(FAST))
    gateway = Principal("system:gateway", Role.ADMIN)
    p.models.rollback(PILOT, "challenger", gateway, "circuit breaker opened on challenger")
    action, reason = _check(p)
    assert action == "rollback" and "circuit breaker" in reason
    assert p.rollouts.status(PILOT).phase == "rolled-back"


def test_one_active_rollout_and_who_may_start(platform: Platform) -> None:
    p = platform
    with pytest.raises(Forbidden):
        p.rollouts.start(PILOT, 2, Principal("v", Role.VIEWER), Plan.parse(FAST))
    p.rollouts.start(PILOT, 2, ADMIN, Plan.parse(FAST))
    with pytest.raises(Conflict, match="already has an active rollout"):
        p.rollouts.start(PILOT, 2, ADMIN, Plan.parse(FAST))


def test_readiness_blocks_live_traffic(platform: Platform, tmp_path: Path) -> None:
    p = platform
    model = tmp_path / "model"
    p.models.register(PILOT, ADMIN, path=model, metrics={"auc": 0.9})  # v3: not signed off
    with pytest.raises(Conflict, match="board-signoff"):
        p.rollouts.start(PILOT, 3, ADMIN, Plan.parse(FAST))
    assert _weights(p) == {"champion": (1, 100)}  # nothing was touched


def test_state_survives_a_restart_and_one_replica_leads(platform: Platform,
                                                        tmp_path: Path) -> None:
    p = platform
    p.rollouts.start(PILOT, 2, ADMIN, Plan.parse(FAST))
    assert p.rollouts.lead("replica-a", 30) and not p.rollouts.lead("replica-b", 30)
    assert p.rollouts.lead("replica-a", 30)  # renewal
    again = _platform(tmp_path)
    try:
        _log(again, "champion", 1, 600, correct=0.8)
        _log(again, "challenger", 2, 600, correct=0.95)
        assert [(r.pilot, r.action, r.reason) for r in again.rollouts.tick()] == [
            (PILOT, "proceed", "every gate passed")]
        assert not again.rollouts.lead("replica-b", 30)
        assert again.rollouts.lead("replica-b", -1) is False  # still a's
    finally:
        again.close()
    assert p.rollouts.status(PILOT).step == 2


def test_drift_of_the_challengers_inputs_is_a_gate(platform: Platform, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = platform
    ref = tmp_path / "ref.parquet"
    plan = Plan.parse({"steps": [{"weight": 50, "pauseSeconds": 0, "minSamples": 40}],
                       "gates": [{"name": "drift"}]})
    p.rollouts.start(PILOT, 2, ADMIN, plan)
    assert "drift" in p.rollouts.check(PILOT).reason  # no profile, no rows: it holds
    pq.write_table(pa.table({"x": np.arange(600, dtype=float)}), ref)
    p.monitoring.build_profile(str(ref), profile_name(PILOT, 2))
    _log(p, "challenger", 2, 600)
    unblock_full(p)
    assert p.rollouts.check(PILOT).action == "promote"  # the same distribution
    p.models.deploy(PILOT, _spec(1), ADMIN)
    pq.write_table(pa.table({"x": np.arange(600, dtype=float) + 10_000}), ref)
    p.monitoring.build_profile(str(ref), profile_name(PILOT, 2))
    p.rollouts.start(PILOT, 2, ADMIN, plan)  # evidence counts from the rollout's start
    assert p.rollouts.check(PILOT).action == "hold"
    _log(p, "challenger", 2, 600, start=600)
    action, reason = _check(p)
    assert action == "rollback" and "drift" in reason and "1 of 1 inputs drifted" in reason


def test_a_fairness_gap_on_the_challengers_traffic_is_a_gate(platform: Platform) -> None:
    p = platform
    plan = Plan.parse({"steps": [{"weight": 50, "pauseSeconds": 0, "minSamples": 40}],
                       "gates": [{"name": "fairness", "sensitive": ["region"],
                                  "maxGap": 0.2, "minSamples": 100}]})
    p.rollouts.start(PILOT, 2, ADMIN, plan)
    assert p.rollouts.check(PILOT).action == "hold"  # nothing labelled yet
    # The challenger says yes to region "a" and no to region "b": a parity gap of 1.
    _log(p, "challenger", 2, 300, region=lambda i: "ab"[i % 2], pred=lambda i: 1 - i % 2)
    action, reason = _check(p)
    assert action == "rollback" and "parity gap" in reason


def test_the_challenger_is_held_to_the_pilots_own_sla(platform: Platform) -> None:
    """2 % of the challenger's requests fail: inside a 5 % SLA, outside the default 1 %."""
    from pilotdeck.domain.sla import SLA

    p = platform
    plan = Plan.parse({"steps": [{"weight": 50, "pauseSeconds": 0, "minSamples": 40}],
                       "gates": [{"name": "errorRate"}]})
    p.sla.set(PILOT, SLA.parse({"maxErrorRate": 0.05}), ADMIN)
    p.rollouts.start(PILOT, 2, ADMIN, plan)
    _log(p, "challenger", 2, 1500, error_every=50)
    unblock_full(p)
    assert p.rollouts.check(PILOT).action == "promote"
    check = p.rollouts.status(PILOT).last_check
    assert check is not None and check["slaMaxErrorRate"] == 0.05
    p.models.deploy(PILOT, _spec(1), ADMIN)
    p.sla.set(PILOT, SLA.parse({"maxErrorRate": 0.005}), ADMIN,
              expected_revision=p.sla.record(PILOT).revision)  # type: ignore[union-attr]
    p.rollouts.start(PILOT, 2, ADMIN, plan)
    _log(p, "challenger", 2, 1500, error_every=50, start=1500)
    action, reason = _check(p)
    assert action == "rollback" and "above 0.50%" in reason


def test_every_decision_reaches_the_plans_webhook(platform: Platform) -> None:
    from tests.lineage_receiver import Receiver

    p = platform
    hooks = p.rollouts.s.webhooks
    hook = Receiver()
    try:
        plan = Plan.parse({**FAST, "notify": [hook.url + "/rollouts"]})
        p.rollouts.start(PILOT, 2, ADMIN, plan)
        p.rollouts.check(PILOT)
        hooks.wait()
        assert hook.bodies == []  # 127.0.0.1 is internal: refused unless allowed
        hooks.allow_internal = True  # PILOTDECK_ROLLOUT_WEBHOOKS_INTERNAL
        p.rollouts.check(PILOT)  # still holding: the hold was told when it began
        _log(p, "champion", 1, 200)
        _log(p, "challenger", 2, 60, error_every=3)
        p.rollouts.check(PILOT)
        p.models.deploy(PILOT, _spec(1), ADMIN)
        p.rollouts.start(PILOT, 2, ADMIN, plan)
        p.rollouts.check(PILOT)  # a new hold begins: told
        hooks.wait()
        assert [b["action"] for b in hook.bodies] == ["rollback", "hold"]
        assert hook.bodies[0]["pilot"] == PILOT and hook.bodies[0]["evidence"]["gates"]
        hook.status = 500  # a failing webhook never changes a decision
        p.rollouts.abort(PILOT, ADMIN)
        p.rollouts.start(PILOT, 2, ADMIN, plan)
        assert p.rollouts.check(PILOT).action == "hold"
        hooks.wait()
    finally:
        hook.close()
    with pytest.raises(ValidationFailed, match="notify"):
        Plan.parse({"notify": ["file:///etc/passwd"]})
