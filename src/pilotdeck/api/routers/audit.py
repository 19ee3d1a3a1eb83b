"""Audit trail routes: events, verification, proofs and signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Response

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import offset, positive, positive_path, text
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.platform import Platform
from pilotdeck.services.audit import checkpoint_view
from pilotdeck.views.audit import (
    AuditEventPage,
    CheckpointList,
    ConsistencyProof,
    InclusionProof,
    SignedCheckpoint,
    TreeHead,
    VerifyResult,
)

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("/events", summary="Audit events, oldest first")
def events(since: datetime | None = None, actor: str | None = text(),
           entity_type: str | None = text(alias="entityType"),
           entity_id: str | None = text(alias="entityId"),
           action: str | None = text(description="Prefix, e.g. 'pilot.'"),
           limit: int = Query(100, ge=1, le=1000), offset: int = offset(),
           who: Principal = require(Permission.AUDIT_READ),
           platform: Platform = Depends(get_platform)) -> AuditEventPage:
    items = platform.audit.log(since=since, actor=actor, entity_type=entity_type,
                               entity_id=entity_id, action=action, limit=limit, offset=offset)
    return AuditEventPage(items=items, limit=limit, offset=offset)


@router.get("/head", summary="Current tree size and root hash")
def head(who: Principal = require(Permission.AUDIT_READ),
         platform: Platform = Depends(get_platform)) -> TreeHead:
    return platform.audit.head()


@router.get("/verify", summary="Recompute the whole log and name the first bad event")
def verify(who: Principal = require(Permission.AUDIT_READ),
           platform: Platform = Depends(get_platform)) -> VerifyResult:
    return platform.audit.verify()


@router.get("/proof/{seq}", summary="Inclusion proof of one event (RFC 6962)")
def proof(seq: int = positive_path("1-based event number"),
          size: int | None = positive(description="Tree size; default the current one"),
          who: Principal = require(Permission.AUDIT_READ),
          platform: Platform = Depends(get_platform)) -> InclusionProof:
    return platform.audit.proof(seq, size)


@router.get("/consistency", summary="Consistency proof between two tree sizes (RFC 6962)")
def consistency(old: int = positive(...), new: int | None = positive(),
                who: Principal = require(Permission.AUDIT_READ),
                platform: Platform = Depends(get_platform)) -> ConsistencyProof:
    return platform.audit.consistency(old, new)


@router.get("/checkpoints", summary="Signed checkpoints")
def checkpoints(who: Principal = require(Permission.AUDIT_READ),
                platform: Platform = Depends(get_platform)) -> CheckpointList:
    return CheckpointList(items=platform.audit.checkpoints())


@router.post("/checkpoints", status_code=201, summary="Sign the current tree head")
def create_checkpoint(who: Principal = require(Permission.AUDIT_CHECKPOINT),
                      platform: Platform = Depends(get_platform)) -> SignedCheckpoint:
    return checkpoint_view(platform.audit.checkpoint(who))


@router.get("/public-key", summary="PEM public key that verifies checkpoints",
            response_class=Response, responses={200: {"content": {"application/x-pem-file": {
                "schema": {"type": "string", "description": "Ed25519 public key (PEM)."}}}}})
def public_key(who: Principal = require(Permission.AUDIT_READ),
               platform: Platform = Depends(get_platform)) -> Response:
    return Response(platform.audit.public_key(), media_type="application/x-pem-file")
