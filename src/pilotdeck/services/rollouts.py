"""The staged-rollout controller: start, check, move, and the human controls.

State lives in the metadata store (a rollout row, compare-and-set on its
revision), so a restart resumes where it was and several API replicas can run
the loop: only the holder of the ``rollout-controller`` lease acts, and every
check and human control holds the rollout's own lock (``rollout_lock``). Weights move
only through the registry's audited deployment path, exactly as a person's
``pilotdeck models weights`` would (the governance gate included), and every
decision is an audit event with a snapshot of the evidence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PilotdeckError,
    ValidationFailed,
)
from pilotdeck.domain.gates import Thresholds
from pilotdeck.domain.readiness import Stage
from pilotdeck.domain.rollout import Phase, Plan
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.domain.sla import SLA
from pilotdeck.services.rollout_check import CONTROLLER, run_check
from pilotdeck.services.rollout_evidence import OUTCOMES
from pilotdeck.services.rollout_lock import WAIT_S, rollout_lock
from pilotdeck.services.rollout_webhooks import Webhooks
from pilotdeck.views.rollouts import CheckResult, RolloutView, SimulationView

__all__ = ["CONTROLLER", "RolloutService", "RolloutSources"]

log = logging.getLogger("pilotdeck.rollouts")
LEASE = "rollout-controller"


@dataclass(frozen=True)
class RolloutSources:
    store: Any
    lake: Any
    models: Callable[[], Any]  # RegistryService
    readiness: Callable[[], Any]  # ReadinessService
    sla: Callable[[str], SLA | None]  # the pilot's SLA, if one is defined
    table: Callable[[str, Principal, str], Any]  # a path or dataset: ref (grants apply)
    webhooks: Webhooks = field(default_factory=Webhooks)  # the plans' notify URLs


def _view(pilot: str, r: Any) -> RolloutView:
    plan = Plan.parse(r.plan)
    return RolloutView(id=r.id, pilot=pilot, champion_version=r.champion_version,
                       challenger_version=r.challenger_version, mode=r.mode, phase=r.phase,
                       step=r.step + 1, steps=len(plan.steps), weight=r.weight,
                       reason=r.reason, started_by=r.started_by, started_at=iso(r.started_at),
                       step_started_at=iso(r.step_started_at), updated_at=iso(r.updated_at),
                       revision=r.revision, plan=r.plan, last_check=r.last_check)


def _aware(ts: datetime) -> datetime:
    from datetime import UTC

    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


class RolloutService:
    def __init__(self, sources: RolloutSources) -> None:
        self.s = sources

    # -- reading ------------------------------------------------------------
    def status(self, pilot: str) -> RolloutView:
        with self.s.store.read() as uow:
            row = uow.pilots.get(pilot)
            r = uow.rollouts.latest(row.id)
            if r is None:
                raise NotFound("rollout of pilot", pilot)
            return _view(pilot, r)

    def history(self, pilot: str) -> list[RolloutView]:
        with self.s.store.read() as uow:
            row = uow.pilots.get(pilot)
            return [_view(pilot, r) for r in uow.rollouts.history(row.id)]

    # -- starting -----------------------------------------------------------
    def start(self, pilot: str, challenger: int, who: Principal, plan: Plan,
              mode: str = "auto") -> RolloutView:
        """Put ``challenger`` on the plan's first step beside the current champion.

        The rollout row is written first (the database refuses a second active
        rollout), then the weights move through the deployment path; if that is
        refused (governance, a version that is not registered) the row is closed
        as aborted with the reason, so nothing is left half-started."""
        if not who.can(Permission.DEPLOYMENTS_WRITE, pilot):
            raise Forbidden(f"{who.user} may not change the deployment of pilot {pilot!r}")
        if mode not in ("auto", "confirm"):
            raise ValidationFailed("invalid rollout", [FieldError("mode",
                                                                  "must be auto or confirm")])
        uplift = next((g for g in plan.gates if g.name == "uplift"), None)
        if uplift is not None and uplift.metric not in OUTCOMES:
            raise ValidationFailed("invalid rollout plan", [FieldError(
                "gates.uplift.metric", f"live feedback has {', '.join(OUTCOMES)}; got "
                                       f"{uplift.metric!r}")])
        spec = self.s.models().deployment(pilot).spec
        champion = spec.variant("champion")
        assert champion is not None  # a deployment always has one
        if champion.version == challenger:
            raise ValidationFailed("invalid rollout", [FieldError(
                "challenger", f"version {challenger} is already the champion")])
        self.s.models().version(pilot, challenger)  # NotFound for an unknown version
        blocked = self._blocked(pilot, challenger, Stage.LIVE)
        if blocked:
            raise Conflict(f"readiness blocks live traffic for {pilot} v{challenger}: "
                           f"{', '.join(blocked)} (pilotdeck readiness {pilot} --version "
                           f"{challenger})")
        first = plan.steps[0].weight
        now = utcnow()
        if mode == "confirm":  # every step waits for a person
            plan = Plan.parse({**plan.document(), "steps": [
                {**s.model_dump(by_alias=True, exclude_none=True), "confirm": True}
                for s in plan.steps]})
        with self.s.store.write() as uow:
            row = uow.pilots.get(pilot)
            r = uow.rollouts.add(pilot_id=row.id, active_pilot_id=row.id,
                                 champion_version=champion.version,
                                 challenger_version=challenger, plan=plan.document(),
                                 mode=mode, phase=Phase.RUNNING.value, step=0, weight=first,
                                 reason="started", started_by=who.user, started_at=now,
                                 step_started_at=now, updated_at=now, last_check=None)
            rid = r.id
            uow.audit.record(who.user, "rollout.started", "rollout", pilot, {
                "rollout": rid, "champion": champion.version, "challenger": challenger,
                "mode": mode, "plan": plan.document()})
        try:
            self._weights(pilot, spec, challenger, first, who,
                          f"rollout {rid}: step 1 of {len(plan.steps)}")
        except PilotdeckError as exc:
            self._close(pilot, Phase.ABORTED, f"could not set the first weight: {exc}",
                        who, action="rollout.aborted")
            raise
        return self.status(pilot)

    @staticmethod
    def _spec_with(spec: DeploymentSpec, challenger: int, weight: float) -> DeploymentSpec:
        doc = spec.document()
        variants = [v for v in doc["variants"] if v["name"] not in ("champion", "challenger")]
        champion = next(v for v in doc["variants"] if v["name"] == "champion")
        others = sum(v["weight"] for v in variants)
        share = max(0.0, 100 - others)
        doc["variants"] = [{**champion, "weight": share * (100 - weight) / 100},
                           {"name": "challenger", "version": challenger,
                            "weight": share * weight / 100}, *variants]
        doc["shadow"] = [v for v in doc.get("shadow", []) if v != challenger]
        doc["forceOpen"] = [n for n in doc.get("forceOpen", []) if n != "challenger"]
        return DeploymentSpec.parse(doc)

    def _weights(self, pilot: str, spec: DeploymentSpec | None, challenger: int, weight: float,
                 who: Principal, reason: str, expected_revision: int | None = None) -> None:
        """Move the challenger to ``weight``; with ``expected_revision`` (the deployment
        a check decided on) only if nothing changed it since, e.g. a breaker opening."""
        models = self.s.models()
        if spec is None:
            dep = models.deployment(pilot)
            spec, expected_revision = dep.spec, dep.revision
        models.deploy(pilot, self._spec_with(spec, challenger, weight), who, reason=reason,
                      expected_revision=expected_revision)

    def _blocked(self, pilot: str, version: int, stage: Stage) -> list[str]:
        report = self.s.readiness().check(pilot, version)
        return list(report.live_blocked_by if stage is Stage.LIVE else report.full_blocked_by)

    @contextmanager
    def exclusive(self, pilot: str, wait_s: float = WAIT_S) -> Iterator[None]:
        """Hold the lock of ``pilot``'s active rollout (Conflict after ``wait_s``)."""
        with self.s.store.read() as uow:
            rid = self._active(uow, pilot).id
        with rollout_lock(self.s.store, rid, pilot, wait_s):
            yield

    # -- the human controls -------------------------------------------------
    def _active(self, uow: Any, pilot: str) -> Any:
        row = uow.pilots.get(pilot)
        r = uow.rollouts.active(row.id)
        if r is None:
            raise NotFound("active rollout of pilot", pilot)
        return r

    def _require(self, who: Principal, pilot: str) -> None:
        if not who.can(Permission.DEPLOYMENTS_WRITE, pilot):
            raise Forbidden(f"{who.user} may not change the rollout of pilot {pilot!r}")

    def pause(self, pilot: str, who: Principal, reason: str = "") -> RolloutView:
        self._require(who, pilot)
        with self.exclusive(pilot), self.s.store.write() as uow:
            r = self._active(uow, pilot)
            if r.phase == Phase.PAUSED:
                return _view(pilot, r)
            uow.rollouts.save(r, phase=Phase.PAUSED.value, reason=reason or "paused by "
                              + who.user, updated_at=utcnow())
            uow.audit.record(who.user, "rollout.paused", "rollout", pilot,
                             {"rollout": r.id, "reason": reason})
        return self.status(pilot)

    def resume(self, pilot: str, who: Principal) -> RolloutView:
        """Carry on after a pause. A deployment whose weights were moved outside the
        rollout (by hand, or a step whose row write was lost in a crash) is put back
        to the current step's weight, else the next check would pause it again."""
        self._require(who, pilot)
        with self.exclusive(pilot):
            with self.s.store.read() as uow:
                r = self._active(uow, pilot)
                if r.phase != Phase.PAUSED:
                    raise Conflict(f"the rollout is {r.phase}, not paused")
                rid, planned = r.id, r.weight
                versions = (r.champion_version, r.challenger_version, r.step)
            self._realign(pilot, who, rid, versions, planned)
            with self.s.store.write() as uow:
                r = self._active(uow, pilot)
                uow.rollouts.save(r, phase=Phase.RUNNING.value,
                                  reason="resumed by " + who.user, updated_at=utcnow())
                uow.audit.record(who.user, "rollout.resumed", "rollout", pilot,
                                 {"rollout": r.id})
        return self.status(pilot)

    def _realign(self, pilot: str, who: Principal, rid: int, versions: tuple[int, int, int],
                 planned: float) -> None:
        champion, challenger, step = versions
        dep = self.s.models().deployment(pilot)
        champ, ch = dep.spec.variant("champion"), dep.spec.variant("challenger")
        if champ is None or champ.version != champion:
            raise Conflict(f"the champion is no longer v{champion}, which this rollout started "
                           "against; abort it and start a new one")
        if ch is None or ch.version != challenger or ch.weight == 0:
            return  # the challenger lost its traffic: the next check ends the rollout
        if abs(100 * ch.weight / max(ch.weight + champ.weight, 1e-9) - planned) > 0.01:
            self.s.models().deploy(
                pilot, self._spec_with(dep.spec, challenger, planned), who,
                reason=f"rollout {rid}: resumed at step {step + 1}'s {planned:g}%",
                expected_revision=dep.revision)

    def abort(self, pilot: str, who: Principal, reason: str = "") -> RolloutView:
        """Stop and send the challenger's traffic back to the champion at once."""
        self._require(who, pilot)
        why = reason or f"aborted by {who.user}"
        with self.exclusive(pilot):
            self._rollback(pilot, who, why)
            self._close(pilot, Phase.ABORTED, why, who, action="rollout.aborted")
        return self.status(pilot)

    def promote(self, pilot: str, who: Principal, full: bool = False) -> RolloutView:
        """Confirm the step a rollout waits on (or skip the rest of a step's pause),
        or with ``full`` make the challenger the champion now; readiness still
        blocks 100 % as configured."""
        self._require(who, pilot)
        with self.exclusive(pilot):
            with self.s.store.read() as uow:
                r = self._active(uow, pilot)
                plan, step = Plan.parse(r.plan), r.step
            if full or step == len(plan.steps) - 1:
                self._promote(pilot, who, "promoted by " + who.user, evidence=None)
            else:
                self._advance(pilot, who, plan, step, "confirmed by " + who.user,
                              evidence=None)
        return self.status(pilot)

    # -- moving -------------------------------------------------------------
    def _rollback(self, pilot: str, who: Principal, reason: str) -> None:
        spec = self.s.models().deployment(pilot).spec
        v = spec.variant("challenger")
        if v is not None and v.weight > 0:
            self.s.models().rollback(pilot, "challenger", who, reason)

    def _close(self, pilot: str, phase: Phase, reason: str, who: Principal, *, action: str,
               evidence: dict[str, Any] | None = None) -> None:
        with self.s.store.write() as uow:
            r = self._active(uow, pilot)
            weight = 100.0 if phase is Phase.PROMOTED else 0.0
            uow.rollouts.save(r, phase=phase.value, reason=reason, active_pilot_id=None,
                              weight=weight, updated_at=utcnow(),
                              **({"last_check": evidence} if evidence else {}))
            uow.audit.record(who.user, action, "rollout", pilot, {
                "rollout": r.id, "challenger": r.challenger_version, "reason": reason,
                **({"evidence": evidence} if evidence else {})})

    def _advance(self, pilot: str, who: Principal, plan: Plan, step: int, reason: str,
                 evidence: dict[str, Any] | None, deployment: Any = None) -> None:
        nxt = plan.steps[step + 1]
        stage = Stage.FULL if nxt.weight >= 100 else Stage.LIVE
        with self.s.store.read() as uow:
            r = self._active(uow, pilot)
            challenger, rid = r.challenger_version, r.id
        blocked = self._blocked(pilot, challenger, stage)
        if blocked:
            raise Conflict(f"readiness blocks {stage.value} traffic: {', '.join(blocked)}")
        spec, revision = (deployment.spec, deployment.revision) if deployment else (None, None)
        self._weights(pilot, spec, challenger, nxt.weight, who,
                      f"rollout {rid}: step {step + 2} of {len(plan.steps)}", revision)
        now = utcnow()
        with self.s.store.write() as uow:
            r = self._active(uow, pilot)
            uow.rollouts.save(r, step=step + 1, weight=nxt.weight, phase=Phase.RUNNING.value,
                              step_started_at=now, updated_at=now, reason=reason,
                              **({"last_check": evidence} if evidence else {}))
            uow.audit.record(who.user, "rollout.step", "rollout", pilot, {
                "rollout": r.id, "step": step + 2, "weight": nxt.weight, "reason": reason,
                **({"evidence": evidence} if evidence else {})})

    def _promote(self, pilot: str, who: Principal, reason: str,
                 evidence: dict[str, Any] | None, deployment: Any = None) -> None:
        with self.s.store.read() as uow:
            challenger = self._active(uow, pilot).challenger_version
        blocked = self._blocked(pilot, challenger, Stage.FULL)
        if blocked:
            raise Conflict(f"readiness blocks 100 % of traffic: {', '.join(blocked)}")
        models = self.s.models()
        dep = deployment or models.deployment(pilot)
        doc = dep.spec.document()
        doc["variants"] = [{**v, "version": challenger, "weight": 100.0}
                           if v["name"] == "champion" else {**v, "weight": 0.0}
                           for v in doc["variants"] if v["name"] != "challenger"]
        models.deploy(pilot, DeploymentSpec.parse(doc), who, reason=reason,
                      expected_revision=dep.revision)
        models.set_alias(pilot, "champion", challenger, who)
        self._close(pilot, Phase.PROMOTED, reason, who, action="rollout.promoted",
                    evidence=evidence)

    # -- the controller -----------------------------------------------------
    def lead(self, holder: str, ttl_s: float) -> bool:
        """Take or renew the controller's lease; True when this replica leads."""
        now = utcnow()
        with self.s.store.write() as uow:
            return bool(uow.leases.acquire(LEASE, holder, now, now + timedelta(seconds=ttl_s)))

    def tick(self) -> list[CheckResult]:
        """Check every active rollout once."""
        with self.s.store.read() as uow:
            names = uow.pilots.names_by_id()
            pilots = [names[r.pilot_id] for r in uow.rollouts.all_active()]
        out = []
        for pilot in pilots:
            try:
                out.append(self.check(pilot, wait_s=0))
            except Conflict as exc:  # a person (or another check) is changing it: next round
                out.append(CheckResult(pilot=pilot, action="wait", reason=str(exc)))
            except Exception as exc:  # noqa: BLE001 - one rollout's trouble must not stop the rest
                log.exception("rollout check of %s failed", pilot)
                out.append(CheckResult(pilot=pilot, action="error", reason=str(exc)))
        return out

    def check(self, pilot: str, wait_s: float = WAIT_S) -> CheckResult:
        """Run the gates of ``pilot``'s active rollout and act on the decision; the
        plan's webhooks are told after the rollout's lock is released (a slow
        webhook never holds up a person's abort)."""
        outbox: list[Callable[[], None]] = []
        with self.exclusive(pilot, wait_s):
            action, reason = run_check(self, pilot, outbox)
        for send in outbox:
            send()
        return CheckResult(pilot=pilot, action=action, reason=reason)

    def simulate(self, traffic: str, who: Principal, plan: Plan, *, pilot: str | None = None,
                 **options: Any) -> SimulationView:
        """Replay a traffic table through ``plan`` (see ``rollout_sim``); the SLA
        thresholds are ``pilot``'s when given, else the default SLA's."""
        from pilotdeck.services.rollout_sim import MAX_ROWS, simulate

        data = self.s.table(traffic, who, "traffic")
        if data.count_rows() > MAX_ROWS:
            raise ValidationFailed("invalid traffic table", [FieldError(
                "traffic", f"at most {MAX_ROWS:,} rows")])
        if pilot is not None:
            with self.s.store.read() as uow:
                uow.pilots.get(pilot)
        limits = self.sla_of(pilot) if pilot is not None else self.sla_of("")
        return simulate(data.to_table(), plan, limits, **options)

    def sla_of(self, pilot: str) -> Thresholds:
        sla = (self.s.sla(pilot) if pilot else None) or SLA.parse({})
        return Thresholds(sla.max_error_rate, sla.p99_latency_ms)

