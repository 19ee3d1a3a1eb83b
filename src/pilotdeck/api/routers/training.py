"""Training (enablement) records: who completed which course, for a pilot or team."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import pilot_query
from pilotdeck.audit.log import utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.datasets import TEAM_RE
from pilotdeck.domain.inputs import NO_NUL
from pilotdeck.domain.pilot import NAME_RE
from pilotdeck.domain.when import parse_until, parse_when
from pilotdeck.platform import Platform
from pilotdeck.views.readiness import TrainingRecord

router = APIRouter(prefix="/v1/training", tags=["training"])


class TrainingBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    user: str = Field(min_length=1, max_length=320, pattern=NO_NUL)
    course: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    pilot: str | None = Field(None, max_length=63, pattern=NAME_RE.pattern)
    team: str | None = Field(None, max_length=63, pattern=TEAM_RE.pattern)
    completed: str | None = Field(None, max_length=40, pattern=NO_NUL, description=(
        "ISO 8601, or an age like 7d; default now."))
    expires: str | None = Field(None, max_length=40, pattern=NO_NUL, description=(
        "ISO 8601, or a duration ahead like 365d; default never."))


@router.post("", status_code=status.HTTP_201_CREATED,
             summary="Record a completed course for a pilot or a team")
def record_training(body: TrainingBody, who: Principal = require(Permission.TOKENS_MANAGE),
                    platform: Platform = Depends(get_platform)) -> TrainingRecord:
    now = utcnow()
    return platform.readiness.training.record(
        body.user, body.course, who, pilot=body.pilot, team=body.team,
        completed_at=parse_when(body.completed, "completed", now),
        expires_at=parse_until(body.expires, "expires", now))


@router.get("", summary="Training records, newest completion first")
def list_training(pilot: str | None = pilot_query("Records naming the pilot or its team."),
                  team: str | None = Query(None, max_length=63, pattern=TEAM_RE.pattern),
                  current: bool = Query(False, description="Only those not expired."),
                  limit: int = Query(500, ge=1, le=1000),
                  who: Principal = require(Permission.PILOTS_READ),
                  platform: Platform = Depends(get_platform)) -> list[TrainingRecord]:
    return platform.readiness.training.list(pilot=pilot, team=team, current=current,
                                            limit=limit)
