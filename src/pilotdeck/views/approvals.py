"""Approvals, attestations, and a version's governance status (its controls)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["ApprovalRequest", "ApprovalVote", "Attestation", "ControlStatus",
           "GovernanceStatus"]


class ApprovalVote(View):
    by: str
    decision: Literal["approve", "reject"]
    reason: str
    conditions: str
    at: str


class ApprovalRequest(View):
    id: int
    pilot: str
    version: int
    status: Literal["requested", "approved", "rejected", "revoked", "expired"]
    required: int = Field(description="Distinct governance-board approvers needed.")
    approvals: int = Field(description="Distinct approvers so far.")
    reason: str
    votes: list[ApprovalVote]
    requested_by: str
    requested_at: str
    expires_at: str | None = Field(description="When an approval lapses (set on approval).")


class Attestation(View):
    id: int
    pilot: str
    control: str
    version: int | None = Field(description="The version it covers; null: the whole pilot.")
    evidence: str
    attested_by: str
    attested_at: str
    expires_at: str
    valid: bool


class ControlStatus(View):
    id: str
    text: str
    satisfied: bool
    source: Literal["platform", "attestation", "missing"]
    detail: str


class GovernanceStatus(View):
    """Whether a version may take live traffic, and which controls decide it."""

    pilot: str
    version: int
    tier: Literal["minimal", "limited", "high", "prohibited"] | None
    live_allowed: bool
    controls: list[ControlStatus]
    missing: list[str] = Field(description="Ids of the controls not satisfied.")
