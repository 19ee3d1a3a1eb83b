"""One check of an active rollout: read the deployment and the evidence, decide, act.

Kept apart from the human controls in ``rollouts`` so each reads in one sitting.
The check first looks for changes made outside the rollout: a challenger whose
traffic was taken away (its breaker opened, an alert or a person rolled it
back) ends the rollout as rolled back; weights moved by hand pause it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Principal, Role
from pilotdeck.domain.errors import PilotdeckError
from pilotdeck.domain.gates import GateResult, evaluate
from pilotdeck.domain.readiness import Stage
from pilotdeck.domain.rollout import Action, Phase, Plan, decide
from pilotdeck.services.rollout_evidence import drift_gate, fairness_gate, gather

CONTROLLER = Principal("system:rollout-controller", Role.ADMIN)
log = logging.getLogger("pilotdeck.rollouts")
RolloutService = Any  # services.rollouts imports this module: no import back


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def _external(svc: RolloutService, pilot: str) -> str:
    """Why the challenger lost its traffic, from the deployment's latest change."""
    from pilotdeck.services.audit import event_view

    with svc.s.store.read() as uow:
        rows = [event_view(e) for e in uow.audit_events.events(
            entity_type="deployment", entity_id=pilot, limit=1, newest_first=True)]
    data = dict(rows[0].data) if rows else {}
    actor = rows[0].actor if rows else "someone"
    why = data.get("reason") or "no reason given"
    return f"the challenger's traffic was taken away outside the rollout by {actor}: {why}"


def run_check(svc: RolloutService, pilot: str,
              outbox: list[Callable[[], None]]) -> tuple[str, str]:
    """One check, under the rollout's lock (``svc.exclusive``); the webhook calls it
    decides on are put in ``outbox`` for the caller to send once the lock is free."""
    s = svc.s
    now = utcnow()
    with s.store.read() as uow:
        r = svc._active(uow, pilot)
        plan, phase, step = Plan.parse(r.plan), Phase(r.phase), r.step
        started, step_started = _aware(r.started_at), _aware(r.step_started_at)
        versions = {"champion": r.champion_version, "challenger": r.challenger_version}
        planned, previous = r.weight, (r.last_check or {}).get("action")
    deployment = s.models().deployment(pilot)
    spec = deployment.spec
    ch, champ = spec.variant("challenger"), spec.variant("champion")
    if ch is None and champ is not None and champ.version == versions["challenger"]:
        # The deployment already serves the challenger as the champion: a promotion
        # that moved the weights and was stopped (a crash) before it was recorded.
        reason = "the deployment already serves the challenger as the champion"
        s.models().set_alias(pilot, "champion", versions["challenger"], CONTROLLER)
        svc._close(pilot, Phase.PROMOTED, reason, CONTROLLER, action="rollout.promoted")
        return Action.PROMOTE.value, reason
    if (ch is None or ch.version != versions["challenger"] or ch.weight == 0
            or "challenger" in spec.force_open):
        reason = _external(svc, pilot)
        svc._close(pilot, Phase.ROLLED_BACK, reason, CONTROLLER, action="rollout.rolled-back")
        return Action.ROLLBACK.value, reason
    assert champ is not None
    share = 100 * ch.weight / max(ch.weight + champ.weight, 1e-9)
    if phase is Phase.RUNNING and (champ.version != versions["champion"]
                                   or abs(share - planned) > 0.01):
        reason = (f"the deployment changed outside the rollout (challenger at {share:g}% of "
                  f"the two, the plan says {planned:g}%); resume to carry on")
        _save(svc, pilot, Phase.PAUSED, reason, None, audit="rollout.paused")
        return Action.PAUSE.value, reason
    measured: dict[str, GateResult] = {}
    for g in plan.gates:
        if g.name == "drift":
            measured["drift"] = drift_gate(s.lake, pilot, started, versions["challenger"], g)
        elif g.name == "fairness":
            measured["fairness"] = fairness_gate(s.lake, pilot, started,
                                                 versions["challenger"], g)
    limits = svc.sla_of(pilot)
    evidence, samples = gather(s.lake, pilot, started, versions, limits.p99_latency_ms,
                               plan.gates, step_started, measured)
    results = evaluate(plan.gates, evidence, limits, plan.alpha, plan.design_samples)
    age = (now - step_started).total_seconds()
    d = decide(plan, step, phase, age, samples, results, [])
    if d.action in (Action.PROCEED, Action.PROMOTE, Action.CONFIRM):
        last = step == len(plan.steps) - 1
        stage = Stage.FULL if last or plan.steps[step + 1].weight >= 100 else Stage.LIVE
        blocked = svc._blocked(pilot, versions["challenger"], stage)
        if blocked:
            d = decide(plan, step, phase, age, samples, results, blocked)
    snapshot: dict[str, Any] = {
        "at": iso(now), "action": d.action.value, "reason": d.reason, "step": step + 1,
        "weight": planned, "challengerRequestsThisStep": samples,
        "requests": evidence.requests, "errors": evidence.errors, "slow": evidence.slow,
        "slaP99LatencyMs": limits.p99_latency_ms, "slaMaxErrorRate": limits.max_error_rate,
        "alpha": plan.alpha, "gates": [x.document() for x in results]}
    try:
        _act(svc, pilot, plan, step, d.action, d.reason, snapshot, previous, deployment)
    except PilotdeckError as exc:  # e.g. the governance gate refused more traffic
        reason = f"{d.action.value} refused: {exc}"
        snapshot.update(action=Action.HOLD.value, reason=reason)
        _save(svc, pilot, None, reason, snapshot,
              audit="rollout.held" if previous != Action.HOLD.value else None)
        if previous != Action.HOLD.value:
            outbox.append(partial(notify, svc, plan, pilot, Action.HOLD.value, reason, snapshot))
        return Action.HOLD.value, reason
    if d.action is not Action.WAIT and not (d.action is Action.HOLD
                                            and previous == Action.HOLD.value):
        outbox.append(partial(notify, svc, plan, pilot, d.action.value, d.reason, snapshot))
    return d.action.value, d.reason


def notify(svc: RolloutService, plan: Plan, pilot: str, action: str, reason: str,
           evidence: dict[str, Any] | None) -> None:
    """Tell the plan's webhooks about a decision (after it is committed), off this
    thread; a webhook that fails never changes the decision: the audit log has it."""
    if plan.notify:
        svc.s.webhooks.send(plan.notify, {"pilot": pilot, "action": action,
                                          "reason": reason, "evidence": evidence})


def _act(svc: RolloutService, pilot: str, plan: Plan, step: int, action: Action, reason: str,
         snapshot: dict[str, Any], previous: str | None, deployment: Any) -> None:
    if action is Action.ROLLBACK:
        svc._rollback(pilot, CONTROLLER, f"rollout gate failed: {reason}")
        svc._close(pilot, Phase.ROLLED_BACK, reason, CONTROLLER,
                   action="rollout.rolled-back", evidence=snapshot)
    elif action is Action.PROCEED:
        svc._advance(pilot, CONTROLLER, plan, step, reason, snapshot, deployment)
    elif action is Action.PROMOTE:
        svc._promote(pilot, CONTROLLER, reason, snapshot, deployment)
    elif action is Action.CONFIRM:
        _save(svc, pilot, Phase.WAITING, reason, snapshot, audit="rollout.waiting")
    elif action is Action.PAUSE:
        _save(svc, pilot, Phase.PAUSED, reason, snapshot, audit="rollout.paused")
    else:  # hold (audited when the hold begins: the notification) or wait
        entering = action is Action.HOLD and previous != Action.HOLD.value
        _save(svc, pilot, None, reason, snapshot, audit="rollout.held" if entering else None)


def _save(svc: RolloutService, pilot: str, phase: Phase | None, reason: str,
          snapshot: dict[str, Any] | None, *, audit: str | None) -> None:
    with svc.s.store.write() as uow:
        r = svc._active(uow, pilot)
        values: dict[str, Any] = {"reason": reason, "updated_at": utcnow()}
        if phase is not None:
            values["phase"] = phase.value
        if snapshot is not None:
            values["last_check"] = snapshot
        uow.rollouts.save(r, **values)
        if audit:
            uow.audit.record(CONTROLLER.user, audit, "rollout", pilot, {
                "rollout": r.id, "reason": reason,
                **({"evidence": snapshot} if snapshot else {})})
