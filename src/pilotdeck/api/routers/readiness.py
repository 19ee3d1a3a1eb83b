"""A pilot version's readiness for production (the checklist, from evidence), and
the governance board's attestations and waivers of its items."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath
from pilotdeck.api.preconditions import PRECONDITION_RESPONSES, if_match, set_etag
from pilotdeck.audit.log import utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.inputs import INT64_MAX, NO_NUL
from pilotdeck.domain.when import parse_until
from pilotdeck.platform import Platform
from pilotdeck.views.readiness import ReadinessAttestation, ReadinessReport

router = APIRouter(prefix="/v1/pilots/{pilot}", tags=["readiness"])
ItemPath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z][a-z-]*$",
                               description="A readiness item (see GET …/readiness).")]


class AttestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    kind: Literal["attested", "waived"] = Field(
        description="attested: in place, the platform cannot see it; waived: knowingly "
                    "not needed for this pilot.")
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    expires: str | None = Field(None, max_length=40, pattern=NO_NUL, description=(
        "ISO 8601 date or time, or a duration ahead like 90d; default 90 days, at most "
        "a year."))
    version: int | None = Field(None, ge=1, le=INT64_MAX,
                                description="Only this version (default: every version).")


@router.get("/readiness", summary="The pilot-to-production checklist for a version")
def get_readiness(pilot: PilotPath,
                  version: int | None = Query(None, ge=1, le=INT64_MAX,
                                              description="Default: the champion."),
                  who: Principal = require(Permission.MODELS_READ),
                  platform: Platform = Depends(get_platform)) -> ReadinessReport:
    return platform.readiness.check(pilot, version)


@router.post("/readiness/{item}/attestations", status_code=status.HTTP_201_CREATED,
             summary="Attest or waive a readiness item (a governance-board member)",
             responses=PRECONDITION_RESPONSES)
def attest_item(pilot: PilotPath, item: ItemPath, body: AttestBody, response: Response,
                who: Principal = require(Permission.APPROVALS_DECIDE),
                expected: int | None = if_match(),
                platform: Platform = Depends(get_platform)) -> ReadinessAttestation:
    until = parse_until(body.expires, "expires", utcnow())
    out = platform.readiness.attestations.attest(
        pilot, item, body.kind, body.reason, who, version=body.version, expires_at=until,
        expected_revision=expected)
    set_etag(response, out.revision)
    return out


@router.delete("/readiness/{item}/attestations",
               summary="Revoke the attestation or waiver of a readiness item",
               responses=PRECONDITION_RESPONSES)
def revoke_item(pilot: PilotPath, item: ItemPath, response: Response,
                version: int | None = Query(None, ge=1, le=INT64_MAX, description=(
                    "The version it was given for (default: the pilot-wide one).")),
                who: Principal = require(Permission.APPROVALS_DECIDE),
                expected: int | None = if_match(),
                platform: Platform = Depends(get_platform)) -> ReadinessAttestation:
    out = platform.readiness.attestations.revoke(pilot, item, who, version=version,
                                                 expected_revision=expected)
    set_etag(response, out.revision)
    return out
