"""A pilot's SLA (stored with a revision: ETag / If-Match) and its measured compliance,
and its runbook (generated from live configuration; published as checklist evidence)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response, status

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath, text
from pilotdeck.api.preconditions import PRECONDITION_RESPONSES, if_match, set_etag
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.sla import SLA
from pilotdeck.platform import Platform
from pilotdeck.views.runbook import PublishedRunbook, Runbook
from pilotdeck.views.sla import SLACompliance, SLARecord

router = APIRouter(prefix="/v1/pilots/{pilot}", tags=["sla"])

# Reading an SLA or its compliance is monitoring (every read role has it). Writing
# is pilots:write, limited to the token's pilots: the pilot team owns its SLA as it
# owns its manifest, and the SLA is a promise about the team's pilot; the governance
# board reads it in the checklist.


@router.get("/sla", summary="The pilot's SLA (ETag: its revision)")
def get_sla(pilot: PilotPath, response: Response,
            who: Principal = require(Permission.MONITORING_READ),
            platform: Platform = Depends(get_platform)) -> SLARecord:
    rec = platform.sla.record(pilot)
    assert rec is not None
    set_etag(response, rec.revision)
    return rec


@router.put("/sla", summary="Create or replace the pilot's SLA (If-Match: only if "
            "unchanged)", responses=PRECONDITION_RESPONSES,
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": SLA.model_json_schema(by_alias=True)}}}})
def put_sla(pilot: PilotPath, response: Response,
            body: dict[str, Any] = Body(..., examples=[{
                "availabilityPct": 99.5, "p99LatencyMs": 250, "maxErrorRate": 0.01,
                "accuracy": {"metric": "accuracy", "min": 0.8}, "windowHours": 168,
                "escalation": "on-call: #churn-oncall"}]),
            who: Principal = require(Permission.PILOTS_WRITE),
            expected: int | None = if_match(),
            platform: Platform = Depends(get_platform)) -> SLARecord:
    rec = platform.sla.set(pilot, SLA.parse(body), who, expected_revision=expected)
    set_etag(response, rec.revision)
    return rec


@router.delete("/sla", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete the pilot's SLA", responses=PRECONDITION_RESPONSES)
def delete_sla(pilot: PilotPath, who: Principal = require(Permission.PILOTS_WRITE),
               expected: int | None = if_match(),
               platform: Platform = Depends(get_platform)) -> Response:
    platform.sla.delete(pilot, who, expected_revision=expected)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sla/compliance", summary="Each SLA target measured over a window of the "
            "prediction log (shadow traffic excluded)")
def compliance(pilot: PilotPath,
               window: str | None = text(description="e.g. 24h, 7d; default the SLA's "
                                                     "window."),
               who: Principal = require(Permission.MONITORING_READ),
               platform: Platform = Depends(get_platform)) -> SLACompliance:
    from pilotdeck.domain.when import parse_window

    span = parse_window(window, "window") if window is not None else None
    return platform.sla.compliance(pilot, span)


RUNBOOK_FORMATS: dict[int | str, dict[str, Any]] = {200: {
    "description": "The runbook",
    "content": {"text/markdown": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}}}}}


@router.get("/runbook", response_model=Runbook, responses=RUNBOOK_FORMATS,
            summary="The pilot's runbook from live configuration (JSON, Markdown or HTML)")
def get_runbook(pilot: PilotPath, format: Literal["json", "md", "html"] = "json",
                published: bool = Query(False, description="The last published runbook "
                                        "(md or html) instead of a new one."),
                who: Principal = require(Permission.MODELS_READ),
                platform: Platform = Depends(get_platform)) -> Any:
    from pilotdeck.render.runbook import markdown, page

    svc = platform.runbooks
    if published:
        text = svc.published_text(pilot, "html" if format == "html" else "md")
    else:
        r = svc.generate(pilot)
        if format == "json":
            return r
        text = page(r) if format == "html" else markdown(r)
    kind = "text/html" if format == "html" else "text/markdown"
    return Response(text, media_type=f"{kind}; charset=utf-8")


@router.post("/runbook/publish", summary="Generate, store and record the runbook (the "
             "readiness checklist's evidence; audited with its hash)")
def publish_runbook(pilot: PilotPath, who: Principal = require(Permission.PILOTS_WRITE),
                    platform: Platform = Depends(get_platform)) -> PublishedRunbook:
    from pilotdeck.render.runbook import markdown, page

    r = platform.runbooks.generate(pilot)
    return platform.runbooks.publish(r, markdown(r), page(r), who)
