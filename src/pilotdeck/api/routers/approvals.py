"""Approval, attestation and governance-status routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath, pilot_query, positive_path
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.inputs import NO_NUL
from pilotdeck.platform import Platform
from pilotdeck.views.approvals import ApprovalRequest, Attestation, GovernanceStatus

Version = Annotated[int, positive_path("Model version")]
ApprovalId = Annotated[int, positive_path("Approval request id")]

router = APIRouter(prefix="/v1", tags=["approvals"])
CONTROL_ID = r"^[a-zA-Z][a-zA-Z0-9-]{0,62}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RequestBody(_Body):
    reason: str = Field("", max_length=2000, pattern=NO_NUL)


class DecisionBody(_Body):
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    conditions: str = Field("", max_length=2000, pattern=NO_NUL)
    valid_days: int | None = Field(None, ge=1, le=3650, alias="validDays")


class RevokeBody(_Body):
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


class AttestBody(_Body):
    control: str = Field(pattern=CONTROL_ID)
    evidence: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    version: int | None = Field(None, ge=1)
    valid_days: int = Field(365, ge=1, le=3650, alias="validDays")


@router.post("/pilots/{pilot}/models/{version}/approvals", status_code=status.HTTP_201_CREATED,
             summary="Request governance-board approval of a model version")
def request_approval(pilot: PilotPath, version: Version, body: RequestBody,
                     who: Principal = require(Permission.MODELS_WRITE),
                     platform: Platform = Depends(get_platform)) -> ApprovalRequest:
    return platform.approvals.request(pilot, version, who, body.reason)


@router.get("/approvals", summary="Approval requests, newest first")
def list_approvals(pilot: str | None = pilot_query("Only this pilot's requests."),
                   pending: bool = False,
                   limit: int = Query(100, ge=1, le=1000),
                   who: Principal = require(Permission.MODELS_READ),
                   platform: Platform = Depends(get_platform)) -> list[ApprovalRequest]:
    return platform.approvals.requests(pilot, pending=pending, limit=limit)


@router.get("/approvals/{approval_id}", summary="One approval request with its votes")
def get_approval(approval_id: ApprovalId, who: Principal = require(Permission.MODELS_READ),
                 platform: Platform = Depends(get_platform)) -> ApprovalRequest:
    return platform.approvals.get(approval_id)


@router.post("/approvals/{approval_id}/approve", summary="Approve (a governance-board member)")
def approve(approval_id: ApprovalId, body: DecisionBody,
            who: Principal = require(Permission.APPROVALS_DECIDE),
            platform: Platform = Depends(get_platform)) -> ApprovalRequest:
    return platform.approvals.decide(approval_id, "approve", who, body.reason, body.conditions,
                                     body.valid_days)


@router.post("/approvals/{approval_id}/reject", summary="Reject (a governance-board member)")
def reject(approval_id: ApprovalId, body: RevokeBody,
           who: Principal = require(Permission.APPROVALS_DECIDE),
           platform: Platform = Depends(get_platform)) -> ApprovalRequest:
    return platform.approvals.decide(approval_id, "reject", who, body.reason)


@router.post("/approvals/{approval_id}/revoke",
             summary="Withdraw an approval; the version leaves live traffic")
def revoke(approval_id: ApprovalId, body: RevokeBody,
           who: Principal = require(Permission.APPROVALS_DECIDE),
           platform: Platform = Depends(get_platform)) -> ApprovalRequest:
    return platform.approvals.revoke(approval_id, who, body.reason)


@router.post("/pilots/{pilot}/attestations", status_code=status.HTTP_201_CREATED,
             summary="Attest that a control is in place (a governance-board member)")
def attest(pilot: PilotPath, body: AttestBody,
           who: Principal = require(Permission.APPROVALS_DECIDE),
           platform: Platform = Depends(get_platform)) -> Attestation:
    return platform.approvals.attest(pilot, body.control, body.evidence, who,
                                     version=body.version, valid_days=body.valid_days)


@router.get("/pilots/{pilot}/attestations", summary="Attestations of the pilot's controls")
def attestations(pilot: PilotPath, who: Principal = require(Permission.PILOTS_READ),
                 platform: Platform = Depends(get_platform)) -> list[Attestation]:
    return platform.approvals.attestations(pilot)


@router.get("/pilots/{pilot}/models/{version}/governance",
            summary="The controls the version's risk tier demands, and which are in place")
def governance(pilot: PilotPath, version: Version, who: Principal = require(Permission.MODELS_READ),
               platform: Platform = Depends(get_platform)) -> GovernanceStatus:
    return platform.governance.status(pilot, version)
