"""Prioritisation matrix routes."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Response

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import text
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.prioritization import Rubric
from pilotdeck.domain.query import PilotFilter
from pilotdeck.platform import Platform
from pilotdeck.views.prioritization import Prioritization

router = APIRouter(prefix="/v1/prioritization", tags=["prioritization"])


@router.get("", summary="Scores, quadrants, the portfolio plan and a sensitivity check")
def prioritization(business_unit: str | None = text(alias="businessUnit"),
                   who: Principal = require(Permission.PRIORITIZATION_READ),
                   platform: Platform = Depends(get_platform)) -> Prioritization:
    return platform.prioritization.run(PilotFilter(business_unit=business_unit))


@router.get("/rubric", summary="The rubric in force")
def rubric(who: Principal = require(Permission.PRIORITIZATION_READ),
           platform: Platform = Depends(get_platform)) -> Rubric:
    return platform.rubric


IMAGE = {"schema": {"type": "string", "format": "binary"}}
CHART: dict[int | str, dict[str, Any]] = {
    200: {"description": "The chart", "content": {"image/png": IMAGE, "image/svg+xml": IMAGE}}}


@router.get("/chart", summary="Impact x complexity chart", response_class=Response,
            responses=CHART)
def chart(format: Literal["png", "svg"] = "png",
          business_unit: str | None = text(alias="businessUnit"),
          who: Principal = require(Permission.PRIORITIZATION_READ),
          platform: Platform = Depends(get_platform)) -> Response:
    from pilotdeck.render.charts import matrix_bytes

    scores = platform.prioritization.scores(PilotFilter(business_unit=business_unit))
    data = matrix_bytes(scores, platform.rubric, format)
    return Response(data, media_type="image/png" if format == "png" else "image/svg+xml")
