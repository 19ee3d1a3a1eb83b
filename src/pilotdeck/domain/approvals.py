"""Approvals of model versions and the controls a risk tier demands; pure, no I/O.

An approval request for one version moves ``requested → approved | rejected``
(and an approved one may be ``revoked`` or reach its expiry). Separation of
duties is a rule here, not a convention: the requester cannot decide their own
request, nobody decides twice, and a tier that asks for two approvers needs
two distinct people. One rejection rejects.

The deployment gate asks one question of a version: which of the required
controls are missing? A control is satisfied by the platform's own evidence
where the platform can see it (an approval, a current risk assessment, the
prediction log), else by an attestation a governance-board member signed for
it, with an expiry; both are in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pilotdeck.domain.errors import Conflict, Forbidden

Status = Literal["requested", "approved", "rejected", "revoked", "expired"]
Decision = Literal["approve", "reject"]


@dataclass(frozen=True)
class Vote:
    by: str
    decision: Decision
    reason: str
    at: datetime
    conditions: str = ""


@dataclass(frozen=True)
class ApprovalState:
    """One request as stored; ``status`` is the stored state, before expiry."""

    status: Status
    requested_by: str
    required: int
    votes: tuple[Vote, ...] = ()
    expires_at: datetime | None = None

    def effective(self, now: datetime) -> Status:
        """The status that counts now: an approval past its expiry has ``expired``."""
        if self.status == "approved" and self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return self.status

    def approvers(self) -> list[str]:
        return [v.by for v in self.votes if v.decision == "approve"]


def decide(state: ApprovalState, who: str, decision: Decision, reason: str,
           now: datetime, conditions: str = "") -> ApprovalState:
    """The request after ``who``'s vote; raises when the vote breaks a rule."""
    if state.status != "requested":
        raise Conflict(f"the request is {state.status}; only a requested one can be decided")
    if who == state.requested_by:
        raise Forbidden("separation of duties: the requester cannot decide their own request")
    if any(v.by == who for v in state.votes):
        raise Conflict(f"{who} has already decided this request; another approver is needed")
    votes = (*state.votes, Vote(who, decision, reason, now, conditions))
    if decision == "reject":
        status: Status = "rejected"
    else:
        status = "approved" if len({v.by for v in votes}) >= state.required else "requested"
    return ApprovalState(status, state.requested_by, state.required, votes, state.expires_at)


def revoke(state: ApprovalState) -> ApprovalState:
    if state.status not in ("approved", "requested"):
        raise Conflict(f"the request is {state.status}; nothing to revoke")
    return ApprovalState("revoked", state.requested_by, state.required, state.votes,
                         state.expires_at)


@dataclass(frozen=True)
class ControlCheck:
    """One required control for one version: satisfied or not, and why."""

    id: str
    text: str
    satisfied: bool
    source: Literal["platform", "attestation", "missing"]
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)


def missing(checks: list[ControlCheck]) -> list[ControlCheck]:
    return [c for c in checks if not c.satisfied]
