"""Maturity assessment routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import pilot_query
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.inputs import NO_NUL
from pilotdeck.domain.maturity import AssessmentInput, MaturityModel
from pilotdeck.domain.pilot import NAME_RE
from pilotdeck.platform import Platform
from pilotdeck.views.assessments import Assessment, AssessmentHistory

router = APIRouter(prefix="/v1", tags=["assessments"])


Key = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
Level = Annotated[int, Field(ge=1, le=5)]


class AssessmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pilot: str | None = Field(None, pattern=NAME_RE.pattern, max_length=63,
                              description="Pilot to assess; omit for the organisation.")
    answers: dict[Key, bool] = Field(default_factory=dict,
                                     description="Questionnaire: practice id -> yes/no.")
    scores: dict[Key, Level] = Field(default_factory=dict,
                                     description="Direct level per dimension (1..5).")
    targets: dict[Key, Level] = Field(default_factory=dict,
                                      description="Target level per dimension.")
    target: int | None = Field(None, ge=1, le=5, description="Target level for all dimensions.")
    save: bool = True


@router.get("/maturity-model", summary="The maturity model: dimensions, levels, practices")
def maturity_model(who: Principal = require(Permission.ASSESSMENTS_READ),
                   platform: Platform = Depends(get_platform)) -> MaturityModel:
    return platform.maturity_model


@router.post("/assessments", status_code=status.HTTP_201_CREATED,
             summary="Assess a pilot or the organisation (answers + platform evidence)")
def create_assessment(body: AssessmentRequest,
                      who: Principal = require(Permission.ASSESSMENTS_WRITE),
                      platform: Platform = Depends(get_platform)) -> Assessment:
    inp = AssessmentInput(body.answers, body.scores, body.targets, body.target)
    return platform.assessments.assess(body.pilot, inp, who, save=body.save)


@router.get("/assessments/latest", summary="Latest assessment of a pilot or the organisation")
def latest(pilot: str | None = pilot_query("Omit for the organisation."),
           who: Principal = require(Permission.ASSESSMENTS_READ),
           platform: Platform = Depends(get_platform)) -> Assessment:
    return platform.assessments.latest(pilot)


@router.get("/assessments/history", summary="Assessments over time")
def history(pilot: str | None = pilot_query("Omit for the organisation."),
            limit: int = Query(100, ge=1, le=1000),
            who: Principal = require(Permission.ASSESSMENTS_READ),
            platform: Platform = Depends(get_platform)) -> AssessmentHistory:
    return AssessmentHistory(scope=pilot or "organisation",
                             items=platform.assessments.history(pilot, limit))


IMAGE = {"schema": {"type": "string", "format": "binary"}}
CHART: dict[int | str, dict[str, Any]] = {
    200: {"description": "The chart", "content": {"image/png": IMAGE, "image/svg+xml": IMAGE}}}


@router.get("/assessments/chart", summary="Radar chart of the latest assessment",
            response_class=Response, responses=CHART)
def chart(pilot: str | None = pilot_query("Omit for the organisation."),
          format: Literal["png", "svg"] = "png",
          who: Principal = require(Permission.ASSESSMENTS_READ),
          platform: Platform = Depends(get_platform)) -> Response:
    from pilotdeck.render.charts import maturity_bytes

    data = maturity_bytes(platform.assessments.latest(pilot).dump(), format)
    return Response(data, media_type="image/png" if format == "png" else "image/svg+xml")
