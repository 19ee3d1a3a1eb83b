"""Prioritisation matrix routes."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from pilotdeck.api.deps import get_platform, require
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.query import PilotFilter
from pilotdeck.platform import Platform

router = APIRouter(prefix="/v1/prioritization", tags=["prioritization"])


@router.get("", summary="Scores, quadrants, the portfolio plan and a sensitivity check")
def prioritization(business_unit: str | None = Query(None, alias="businessUnit"),
                   who: Principal = require(Permission.PRIORITIZATION_READ),
                   platform: Platform = Depends(get_platform)) -> dict[str, Any]:
    return platform.prioritization.run(PilotFilter(business_unit=business_unit)).as_dict()


@router.get("/rubric", summary="The rubric in force")
def rubric(who: Principal = require(Permission.PRIORITIZATION_READ),
           platform: Platform = Depends(get_platform)) -> dict[str, Any]:
    return platform.rubric.model_dump(mode="json", by_alias=True)


@router.get("/chart", summary="Impact x complexity chart",
            responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}})
def chart(format: Literal["png", "svg"] = "png",
          business_unit: str | None = Query(None, alias="businessUnit"),
          who: Principal = require(Permission.PRIORITIZATION_READ),
          platform: Platform = Depends(get_platform)) -> Response:
    from pilotdeck.render.charts import matrix_bytes

    result = platform.prioritization.run(PilotFilter(business_unit=business_unit))
    data = matrix_bytes(result.pilots, platform.rubric, format)
    return Response(data, media_type="image/png" if format == "png" else "image/svg+xml")
