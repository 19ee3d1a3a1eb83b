"""Monitoring routes: drift of logged traffic, quality, fairness, impact, health."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import TEXT_MAX, Every, PilotPath, positive, text
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.inputs import NO_NUL
from pilotdeck.domain.performance import parse_slices
from pilotdeck.domain.when import parse_when
from pilotdeck.platform import Platform
from pilotdeck.views.monitoring import (
    FairnessReport,
    HealthReport,
    ImpactReport,
    MonitoringReport,
    QualityReport,
    WindowDriftReport,
)

if TYPE_CHECKING:
    from pilotdeck.services.monitoring import MonitoringService

router = APIRouter(prefix="/v1/pilots/{pilot}/monitoring", tags=["monitoring"])

SINCE = Query(None, max_length=64, pattern=NO_NUL, description="ISO 8601 or an age: 30m, 24h, 7d")
UNTIL = Query(None, max_length=64, pattern=NO_NUL, description="ISO 8601 or an age; default now")
Column = Annotated[str, Query(min_length=1, max_length=TEXT_MAX, pattern=NO_NUL)]
VARIANT = Query(None, pattern=r"^[a-z][a-z0-9-]{0,39}$", description="Variant name")


def _monitoring(platform: Platform, pilot: str) -> MonitoringService:
    platform.portfolio.get(pilot)  # 404 for an unknown pilot
    return platform.monitoring


@router.get("/drift", summary="Drift of logged inputs against the version's reference profile",
            response_model=WindowDriftReport)
def drift(pilot: PilotPath, since: str | None = SINCE, until: str | None = UNTIL,
          by: Literal["hour", "day", "variant"] | None = None,
          variant: str | None = VARIANT, version: int | None = positive(),
          profile: str | None = text(description="Stored reference profile name"),
          who: Principal = require(Permission.MONITORING_READ),
          platform: Platform = Depends(get_platform)) -> WindowDriftReport:
    return _monitoring(platform, pilot).window_drift(
        pilot, profile=profile, version=version,
        since=parse_when(since, "since"), until=parse_when(until, "until"),
        variant=variant, by=by)


@router.get("/quality", summary="Model quality from feedback labels",
            response_model=QualityReport)
def quality(pilot: PilotPath, since: str | None = SINCE, until: str | None = UNTIL,
            by: list[Literal["version", "variant"]] = Query(["version", "variant"]),
            every: Every | None = None,
            who: Principal = require(Permission.MONITORING_READ),
            platform: Platform = Depends(get_platform)) -> QualityReport:
    return _monitoring(platform, pilot).quality(pilot, parse_when(since, "since"),
                                                parse_when(until, "until"),
                                                by=list(by), every=every)


@router.get("/fairness", summary="Performance per group (fairlearn MetricFrame) and slices",
            response_model=FairnessReport)
def fairness(pilot: PilotPath, sensitive: list[Column] = Query(..., min_length=1),
             since: str | None = SINCE, until: str | None = UNTIL,
             slices: str | None = Query(None, max_length=10_000, pattern=NO_NUL,
                                        description="YAML/JSON {name: {column: {op: value}}}"),
             version: int | None = positive(),
             who: Principal = require(Permission.MONITORING_READ),
             platform: Platform = Depends(get_platform)) -> FairnessReport:
    parsed = parse_slices(slices, "slices") if slices else {}
    return _monitoring(platform, pilot).fairness(pilot, sensitive, parse_when(since, "since"),
                                                 parse_when(until, "until"), slices=parsed,
                                                 version=version)


@router.get("/impact", summary="Business outcomes per variant with confidence intervals",
            response_model=ImpactReport)
def impact(pilot: PilotPath, since: str | None = SINCE, until: str | None = UNTIL,
           by: Literal["variant", "version"] = "variant",
           baseline: str = text("champion", description="Variant or version compared "
                                "against"),
           who: Principal = require(Permission.MONITORING_READ),
           platform: Platform = Depends(get_platform)) -> ImpactReport:
    return _monitoring(platform, pilot).business_impact(
        pilot, parse_when(since, "since"), parse_when(until, "until"), by=by, baseline=baseline)


@router.get("/health", summary="Latency percentiles, error and cache-hit rates, cost",
            response_model=HealthReport)
def health(pilot: PilotPath, since: str | None = SINCE, until: str | None = UNTIL,
           every: Every | None = None,
           who: Principal = require(Permission.MONITORING_READ),
           platform: Platform = Depends(get_platform)) -> HealthReport:
    return _monitoring(platform, pilot).health(pilot, parse_when(since, "since"),
                                               parse_when(until, "until"), every=every)


@router.get("/report", summary="Every monitoring view over one window (JSON, or HTML)",
            response_model=MonitoringReport,
            responses={200: {"description": "The report as JSON, or with format=html as one "
                                            "self-contained HTML page",
                             "content": {"text/html": {"schema": {"type": "string"}}}}})
def report(pilot: PilotPath, since: str | None = SINCE, until: str | None = UNTIL,
           sensitive: list[Column] = Query([]),
           every: Every = "day",
           format: Literal["json", "html"] = "json",
           who: Principal = require(Permission.MONITORING_READ),
           platform: Platform = Depends(get_platform)) -> MonitoringReport | HTMLResponse:
    data = _monitoring(platform, pilot).report(
        pilot, since=parse_when(since, "since"), until=parse_when(until, "until"),
        sensitive=sensitive, every=every, alerts=platform.alerts.list(pilot))
    if format == "html":
        from pilotdeck.render.report_html import render

        return HTMLResponse(render(data))
    return data
