"""The programme report: AI-driven value, cost, ROI, time to scale and adoption.

Permission: ``prioritization:read``. The report is portfolio-level decision
support, read by the people who decide where to invest next, like the
prioritisation plan (which already shows every pilot's economics); it shows no
request, input or prediction, only sums over them, so it does not need the
per-pilot operational view that ``monitoring:read`` grants. Today every read
role holds both; a deployment that gives executives prioritisation but not
monitoring can still give them this report.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from pilotdeck.api.deps import get_platform, require
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.inputs import NO_NUL
from pilotdeck.domain.when import parse_when
from pilotdeck.platform import Platform
from pilotdeck.views.programme import ProgrammeReport

router = APIRouter(prefix="/v1/programme", tags=["programme"])

FORMATS: dict[int | str, dict[str, Any]] = {200: {
    "description": "The report (JSON, or with format=html a page with charts, or CSV)",
    "content": {"text/html": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}}}}}


@router.get("/report", summary="Programme ROI: value (measured and estimated), cost, net "
            "value, ROI, time to scale, cost per scaled pilot, adoption",
            response_model=ProgrammeReport, responses=FORMATS)
def report(period: Literal["month", "quarter"] = Query("month"),
           since: str | None = Query(None, max_length=64, pattern=NO_NUL, description=(
               "ISO 8601 time or an age like 90d (default: the first pilot's creation); "
               "not in the future, at most 240 months back.")),
           format: Literal["json", "html", "csv"] = Query("json"),
           who: Principal = require(Permission.PRIORITIZATION_READ),
           platform: Platform = Depends(get_platform)) -> Any:
    r = platform.programme.report(period, since=parse_when(since, "since"))
    if format == "json":
        return r
    from pilotdeck.render.programme import to_csv, to_html

    if format == "html":
        return Response(to_html(r), media_type="text/html; charset=utf-8")
    return Response(to_csv(r), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="programme-report.csv"'})
