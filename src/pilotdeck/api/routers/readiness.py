"""A pilot version's readiness for production (the checklist, from evidence)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.inputs import INT64_MAX
from pilotdeck.platform import Platform
from pilotdeck.views.readiness import ReadinessReport

router = APIRouter(prefix="/v1/pilots/{pilot}", tags=["readiness"])


@router.get("/readiness", summary="The pilot-to-production checklist for a version")
def get_readiness(pilot: PilotPath,
                  version: int | None = Query(None, ge=1, le=INT64_MAX,
                                              description="Default: the champion."),
                  who: Principal = require(Permission.MODELS_READ),
                  platform: Platform = Depends(get_platform)) -> ReadinessReport:
    return platform.readiness.check(pilot, version)
