"""Approval requests for model versions, and attestations of controls.

The pilot team requests; governance-board members decide (the rules are in
:mod:`pilotdeck.domain.approvals`); every step is audited. How many distinct
approvers a request needs is read from the pilot's current risk tier when it
is requested, and checked again against the tier when a deployment asks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.approvals import ApprovalState, Decision, Vote, decide, revoke
from pilotdeck.domain.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.when import as_utc
from pilotdeck.services.risk import RiskService
from pilotdeck.views.approvals import ApprovalRequest, ApprovalVote, Attestation


def approval_state(row: Any) -> ApprovalState:
    votes = tuple(Vote(v["by"], v["decision"], v["reason"], datetime.fromisoformat(
        v["at"].replace("Z", "+00:00")), v.get("conditions", "")) for v in row.votes)
    return ApprovalState(row.status, row.requested_by, row.required, votes,
                         as_utc(row.expires_at) if row.expires_at else None)


class ApprovalService:
    def __init__(self, store: Store, risk: RiskService, valid_days: int = 180) -> None:
        self.store = store
        self.risk = risk
        self.valid_days = valid_days

    # -- approval requests ------------------------------------------------------
    def request(self, pilot: str, version: int, who: Principal, reason: str = ""
                ) -> ApprovalRequest:
        if not who.can(Permission.MODELS_WRITE, pilot):
            raise Forbidden(f"{who.user} may not request approvals for pilot {pilot!r}")
        current = self.risk.current(pilot)
        if current is None:
            raise Conflict(f"pilot {pilot!r} has no current risk assessment; run "
                           "`pilotdeck risk assess` first (the tier says who must approve)")
        required = max([c.approvers or 1 for c in current.required_controls
                        if c.id == "approval"] or [1])
        now = utcnow()
        with self.store.write() as uow:
            p = uow.pilots.get(pilot)
            if uow.models.version(p.id, version) is None:
                raise NotFound("model version", f"{pilot}/{version}")
            if uow.approvals.list(pilot_id=p.id, version=version, statuses=("requested",)):
                raise Conflict(f"{pilot} version {version} already has an open request")
            row = uow.approvals.add(pilot_id=p.id, version=version, status="requested",
                                    required=required, reason=reason, requested_by=who.user,
                                    requested_at=now)
            uow.audit.record(who.user, "approval.requested", "model", f"{pilot}/{version}", {
                "approval": row.id, "required": required, "tier": current.tier,
                "reason": reason}, now)
            return _view(pilot, row, now)

    def decide(self, approval_id: int, decision: Decision, who: Principal, reason: str,
               conditions: str = "", valid_days: int | None = None) -> ApprovalRequest:
        """Record ``who``'s vote; the request is approved once enough distinct
        governance-board members approved, rejected at the first rejection."""
        if not who.can(Permission.APPROVALS_DECIDE):
            raise Forbidden(f"{who.user} is not on the governance board; only its members "
                            "decide approvals")
        if not reason.strip():
            raise ValidationFailed("invalid decision", [FieldError(
                "reason", "say why: the reason is kept in the audit log")])
        days = self.valid_days if valid_days is None else valid_days
        if not 1 <= days <= 3650:
            raise ValidationFailed("invalid decision", [FieldError(
                "validDays", f"must be 1..3650, got {days}")])
        now = utcnow()
        with self.store.write() as uow:
            row = uow.approvals.get(approval_id)
            before = approval_state(row)
            after = decide(before, who.user, decision, reason, now, conditions)
            expires = now + timedelta(days=days) if after.status == "approved" else None
            votes = [*row.votes, {"by": who.user, "decision": decision, "reason": reason,
                                  "conditions": conditions, "at": iso(now)}]
            row = uow.approvals.save(row, status=after.status, votes=votes, expires_at=expires)
            pilot = uow.approvals.pilot_name(row.pilot_id)
            uow.audit.record(who.user, f"approval.{decision}d", "model", f"{pilot}/{row.version}",
                             {"approval": row.id, "status": after.status, "reason": reason,
                              "conditions": conditions,
                              "approvers": after.approvers(), "required": row.required,
                              **({"expiresAt": iso(expires)} if expires else {})}, now)
            return _view(pilot, row, now)

    def revoke(self, approval_id: int, who: Principal, reason: str) -> ApprovalRequest:
        """Withdraw an approval (or an open request); gateways take the version out
        of live traffic at their next refresh."""
        if not who.can(Permission.APPROVALS_DECIDE):
            raise Forbidden(f"{who.user} is not on the governance board")
        now = utcnow()
        with self.store.write() as uow:
            row = uow.approvals.get(approval_id)
            after = revoke(approval_state(row))
            row = uow.approvals.save(row, status=after.status, votes=row.votes,
                                     expires_at=row.expires_at)
            pilot = uow.approvals.pilot_name(row.pilot_id)
            uow.audit.record(who.user, "approval.revoked", "model", f"{pilot}/{row.version}",
                             {"approval": row.id, "reason": reason}, now)
            return _view(pilot, row, now)

    def get(self, approval_id: int) -> ApprovalRequest:
        with self.store.read() as uow:
            row = uow.approvals.get(approval_id)
            return _view(uow.approvals.pilot_name(row.pilot_id), row, utcnow())

    def requests(self, pilot: str | None = None, version: int | None = None,
                 pending: bool = False, limit: int = 100) -> list[ApprovalRequest]:
        """Approval requests, newest first; ``pending``: only those awaiting votes."""
        now = utcnow()
        with self.store.read() as uow:
            pid = uow.pilots.get(pilot).id if pilot else None
            rows = uow.approvals.list(pilot_id=pid, version=version, limit=limit,
                                      statuses=("requested",) if pending else None)
            names = {r.pilot_id: uow.approvals.pilot_name(r.pilot_id) for r in rows}
            return [_view(names[r.pilot_id], r, now) for r in rows]

    # -- attestations -------------------------------------------------------------
    def attest(self, pilot: str, control: str, evidence: str, who: Principal, *,
               version: int | None = None, valid_days: int = 365) -> Attestation:
        """A board member's signed statement that ``control`` is in place (for one
        version, or for the pilot), with the evidence (a link, a document id)."""
        if not who.can(Permission.APPROVALS_DECIDE):
            raise Forbidden(f"{who.user} is not on the governance board; only its members "
                            "attest controls")
        if not evidence.strip():
            raise ValidationFailed("invalid attestation", [FieldError(
                "evidence", "name the evidence (a link or document id)")])
        if not 1 <= valid_days <= 3650:
            raise ValidationFailed("invalid attestation", [FieldError(
                "validDays", f"must be 1..3650, got {valid_days}")])
        now = utcnow()
        with self.store.write() as uow:
            p = uow.pilots.get(pilot)
            if version is not None and uow.models.version(p.id, version) is None:
                raise NotFound("model version", f"{pilot}/{version}")
            row = uow.attestations.add(pilot_id=p.id, control=control, version=version,
                                       evidence=evidence, attested_by=who.user,
                                       attested_at=now,
                                       expires_at=now + timedelta(days=valid_days))
            uow.audit.record(who.user, "control.attested", "pilot", pilot, {
                "attestation": row.id, "control": control, "version": version,
                "evidence": evidence, "expiresAt": iso(row.expires_at)}, now)
            return _attestation(pilot, row, now)

    def attestations(self, pilot: str) -> list[Attestation]:
        now = utcnow()
        with self.store.read() as uow:
            p = uow.pilots.get(pilot)
            return [_attestation(pilot, r, now) for r in uow.attestations.list(p.id)]


def _view(pilot: str, row: Any, now: datetime) -> ApprovalRequest:
    state = approval_state(row)
    return ApprovalRequest(
        id=row.id, pilot=pilot, version=row.version, status=state.effective(now),
        required=row.required, approvals=len(state.approvers()), reason=row.reason,
        votes=[ApprovalVote(by=v.by, decision=v.decision, reason=v.reason,
                            conditions=v.conditions, at=iso(v.at)) for v in state.votes],
        requested_by=row.requested_by, requested_at=iso(as_utc(row.requested_at)),
        expires_at=iso(state.expires_at) if state.expires_at else None)


def _attestation(pilot: str, row: Any, now: datetime) -> Attestation:
    expires = as_utc(row.expires_at)
    return Attestation(
        id=row.id, pilot=pilot, control=row.control, version=row.version,
        evidence=row.evidence, attested_by=row.attested_by,
        attested_at=iso(as_utc(row.attested_at)), expires_at=iso(expires),
        valid=row.revoked_at is None and expires > now)
