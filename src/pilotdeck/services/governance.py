"""Which controls a version's risk tier demands, which are in place, and the
deployment gate that refuses live traffic while any is missing.

Controls the platform can see are checked from its own records: an approval
with enough distinct approvers, a current risk assessment, the prediction log.
Explainability is in place once the version's global explanation (SHAP) is
stored, the fairness report once the version was scored on a labelled table
per sensitive group. Every other control (a human-oversight plan, a
disclosure to users) is satisfied by a governance-board attestation that has
not expired.

Only traffic is gated: shadow copies are always allowed (that is how evidence
is gathered), and so is anything that takes traffic away (rollbacks, breakers).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.domain.approvals import ControlCheck, missing
from pilotdeck.domain.errors import FieldError, PilotdeckError
from pilotdeck.domain.ports.store import Store, UnitOfWork
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.domain.when import as_utc
from pilotdeck.services.approvals import approval_state
from pilotdeck.services.risk import is_expired
from pilotdeck.views.approvals import ControlStatus, GovernanceStatus
from pilotdeck.views.risk import RequiredControl


class ControlsMissing(PilotdeckError):
    """409: a version would take live traffic without the controls its tier demands."""

    def __init__(self, message: str, errors: list[FieldError]) -> None:
        super().__init__(message, 409, "Controls missing", errors)


class GovernanceService:
    def __init__(self, store: Store, enforce: bool = True,
                 explained: Callable[[str, int], str | None] | None = None,
                 fair: Callable[[str, int], str | None] | None = None) -> None:
        self.store = store
        self.enforce = enforce
        # (pilot, version) -> a note when that evidence is stored, else None
        self.evidence = {"explainability": explained, "fairness-report": fair}

    def status(self, pilot: str, version: int, now: datetime | None = None
               ) -> GovernanceStatus:
        """The version's required controls, each satisfied or not and why."""
        with self.store.read() as uow:
            return self._status(uow, pilot, version, now or utcnow())

    def _status(self, uow: UnitOfWork, pilot: str, version: int, now: datetime
                ) -> GovernanceStatus:
        """:meth:`status` inside a caller's transaction (the deployment gate's)."""
        p = uow.pilots.get(pilot)
        risk = uow.risk.latest(p.id)
        if risk is None or is_expired(risk.expires_at, now):
            checks = [ControlCheck("risk-assessment", "A current risk assessment", False,
                                   "missing", "no current risk assessment: run `pilotdeck "
                                   "risk assess` (an expired one counts as missing)")]
            tier = None
        else:
            tier = risk.tier
            approvals = uow.approvals.list(pilot_id=p.id, version=version, limit=20)
            attested = uow.attestations.list(p.id)
            expires = iso(as_utc(risk.expires_at))
            checks = [self._check(RequiredControl(**c), pilot, version, approvals, attested,
                                  expires, now) for c in risk.result["requiredControls"]]
        gaps = missing(checks)
        return GovernanceStatus(
            pilot=pilot, version=version, tier=tier, live_allowed=not gaps,
            controls=[ControlStatus(id=c.id, text=c.text, satisfied=c.satisfied,
                                    source=c.source, detail=c.detail) for c in checks],
            missing=[c.id for c in gaps])

    def _check(self, control: RequiredControl, pilot: str, version: int,
               approvals: list[Any], attested: list[Any], risk_expires: str, now: datetime
               ) -> ControlCheck:
        cid, text = control.id, control.text
        provider = self.evidence.get(cid)
        if provider is not None:
            note = provider(pilot, version)
            if note is not None:
                return ControlCheck(cid, text, True, "platform", note)
        if cid == "approval":
            need = control.approvers or 1
            for row in approvals:
                state = approval_state(row)
                people = set(state.approvers())
                if state.effective(now) == "approved" and len(people) >= need:
                    return ControlCheck(cid, text, True, "platform",
                                        f"approved by {', '.join(sorted(people))} "
                                        f"(request {row.id})")
            pending = next((r for r in approvals if r.status == "requested"), None)
            detail = (f"request {pending.id} has {len(approval_state(pending).approvers())}/{need} "
                      "approvals" if pending else f"no approval by {need} governance-board "
                      "member(s): `pilotdeck approvals request`")
            return ControlCheck(cid, text, False, "missing", detail)
        if cid == "reassessment":
            return ControlCheck(cid, text, True, "platform",
                                f"the risk assessment is current until {risk_expires[:10]}")
        if cid == "no-deployment":
            return ControlCheck(cid, text, False, "missing",
                                "an Article 5 practice: no live traffic, ever")
        if cid == "prediction-log-retained":
            return ControlCheck(cid, text, True, "platform",
                                "the gateway logs every prediction to the lake")
        for row in attested:
            if (row.control == cid and row.revoked_at is None
                    and as_utc(row.expires_at) > now and row.version in (None, version)):
                return ControlCheck(cid, text, True, "attestation",
                                    f"attested by {row.attested_by}: {row.evidence}")
        return ControlCheck(cid, text, False, "missing", "not attested: `pilotdeck approvals "
                            f"attest PILOT {cid} --evidence …` by a governance-board member")

    def check_deployment(self, pilot: str, before: dict[str, Any] | None,
                         after: DeploymentSpec, uow: UnitOfWork) -> None:
        """Refuse (409) a deployment that gives live traffic, or more of it, to a
        version whose controls are missing; everything else passes. Runs in the
        deployment's own transaction, so it judges what that transaction sees."""
        if not self.enforce:
            return
        old = _live_weights(DeploymentSpec.parse(before)) if before else {}
        errors: list[FieldError] = []
        for version, weight in sorted(_live_weights(after).items()):
            if weight <= old.get(version, 0.0):
                continue
            st = self._status(uow, pilot, version, utcnow())
            if not st.live_allowed:
                gaps = "; ".join(f"{c.id} ({c.detail})" for c in st.controls if not c.satisfied)
                errors.append(FieldError(f"version {version}", f"missing controls: {gaps}"))
        if errors:
            raise ControlsMissing(f"{pilot}: a version would take live traffic without the "
                                  "controls its risk tier demands", errors)


    def holds(self, deployments: list[tuple[str, int, dict[str, Any]]],
              now: datetime | None = None) -> dict[str, dict[int, str]]:
        """For each deployment, its live versions that now lack a control (an
        approval expired or was revoked, the risk assessment lapsed), with why.

        The gateway reads this on every refresh and takes those versions out of
        live traffic, falling back as it does for an open breaker."""
        if not self.enforce:
            return {}
        now = now or utcnow()
        out: dict[str, dict[int, str]] = {}
        with self.store.read() as uow:  # one transaction for every deployment
            for pilot, _, doc in deployments:
                for version in _live_weights(DeploymentSpec.parse(doc)):
                    st = self._status(uow, pilot, version, now)
                    if not st.live_allowed:
                        out.setdefault(pilot, {})[version] = "missing " + ", ".join(st.missing)
        return out

    def record_holds(self, before: dict[str, dict[int, str]],
                     after: dict[str, dict[int, str]]) -> None:
        """Audit each version that left or re-entered live traffic for governance.

        Several gateways may notice the same change; an event is written only if
        the version's newest governance event does not already say the same."""
        changes = [(p, v, "deployment.governance-hold", why)
                   for p, vs in after.items() for v, why in vs.items()
                   if before.get(p, {}).get(v) != why]
        changes += [(p, v, "deployment.governance-release", "controls in place again")
                    for p, vs in before.items() for v in vs if v not in after.get(p, {})]
        for pilot, version, action, why in changes:
            with self.store.write() as uow:
                seen = uow.audit_events.events(entity_type="model", entity_id=f"{pilot}/{version}",
                                               action="deployment.governance-", limit=10_000)
                if seen and max(seen, key=lambda e: e.seq).action == action:
                    continue
                uow.audit.record("system:gateway", action, "model", f"{pilot}/{version}",
                                 {"pilot": pilot, "version": version, "reason": why})


def _live_weights(spec: DeploymentSpec) -> dict[int, float]:
    """Versions that may answer live requests, with their share of traffic.

    The champion also answers when another variant's breaker is open (the
    default fallback), so it counts even at weight 0, with a token share."""
    out: dict[int, float] = {}
    for v in spec.variants:
        if v.weight > 0:
            out[v.version] = out.get(v.version, 0.0) + v.weight
    champion = spec.variant("champion")
    if champion is not None and spec.fallback.to == "champion" and out:
        out[champion.version] = out.get(champion.version, 0.0) or FALLBACK_SHARE
    return out


FALLBACK_SHARE = 1e-9  # a weight-0 champion's "share": it serves only as the fallback
