"""Monitoring routes: drift of logged traffic, quality, fairness, impact, health."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from pilotdeck.api.deps import get_platform, require
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import FieldError, ValidationFailed
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

SINCE = Query(None, description="ISO 8601 or an age: 30m, 24h, 7d")
UNTIL = Query(None, description="ISO 8601 or an age; default now")


def _monitoring(platform: Platform, pilot: str) -> MonitoringService:
    platform.portfolio.get(pilot)  # 404 for an unknown pilot
    return platform.monitoring


@router.get("/drift", summary="Drift of logged inputs against the version's reference profile",
            response_model=WindowDriftReport)
def drift(pilot: str, since: str | None = SINCE, until: str | None = UNTIL,
          by: str | None = Query(None, description="hour | day | variant"),
          variant: str | None = None, version: int | None = None,
          profile: str | None = None,
          who: Principal = require(Permission.MONITORING_READ),
          platform: Platform = Depends(get_platform)) -> WindowDriftReport:
    return _monitoring(platform, pilot).window_drift(
        pilot, profile=profile, version=version,
        since=parse_when(since, "since"), until=parse_when(until, "until"),
        variant=variant, by=by)


@router.get("/quality", summary="Model quality from feedback labels",
            response_model=QualityReport)
def quality(pilot: str, since: str | None = SINCE, until: str | None = UNTIL,
            by: list[str] = Query(["version", "variant"]),
            every: str | None = Query(None, description="hour | day"),
            who: Principal = require(Permission.MONITORING_READ),
            platform: Platform = Depends(get_platform)) -> QualityReport:
    return _monitoring(platform, pilot).quality(pilot, parse_when(since, "since"),
                                                parse_when(until, "until"),
                                                by=[b for b in by if b], every=every)


@router.get("/fairness", summary="Performance per group (fairlearn MetricFrame) and slices",
            response_model=FairnessReport)
def fairness(pilot: str, sensitive: list[str] = Query(..., min_length=1),
             since: str | None = SINCE, until: str | None = UNTIL,
             slices: str | None = Query(None, description="YAML/JSON {name: {column: "
                                                          "{op: value}}}"),
             version: int | None = None,
             who: Principal = require(Permission.MONITORING_READ),
             platform: Platform = Depends(get_platform)) -> FairnessReport:
    parsed = parse_slices(slices, "slices") if slices else {}
    return _monitoring(platform, pilot).fairness(pilot, sensitive, parse_when(since, "since"),
                                                 parse_when(until, "until"), slices=parsed,
                                                 version=version)


@router.get("/impact", summary="Business outcomes per variant with confidence intervals",
            response_model=ImpactReport)
def impact(pilot: str, since: str | None = SINCE, until: str | None = UNTIL,
           by: str = Query("variant", description="variant | version"),
           baseline: str = "champion",
           who: Principal = require(Permission.MONITORING_READ),
           platform: Platform = Depends(get_platform)) -> ImpactReport:
    return _monitoring(platform, pilot).business_impact(
        pilot, parse_when(since, "since"), parse_when(until, "until"), by=by, baseline=baseline)


@router.get("/health", summary="Latency percentiles, error and cache-hit rates, cost",
            response_model=HealthReport)
def health(pilot: str, since: str | None = SINCE, until: str | None = UNTIL,
           every: str | None = Query(None, description="hour | day"),
           who: Principal = require(Permission.MONITORING_READ),
           platform: Platform = Depends(get_platform)) -> HealthReport:
    return _monitoring(platform, pilot).health(pilot, parse_when(since, "since"),
                                               parse_when(until, "until"), every=every)


@router.get("/report", summary="Every monitoring view over one window (JSON, or HTML)",
            response_model=MonitoringReport,
            responses={200: {"description": "The report as JSON, or with format=html as one "
                                            "self-contained HTML page",
                             "content": {"text/html": {"schema": {"type": "string"}}}}})
def report(pilot: str, since: str | None = SINCE, until: str | None = UNTIL,
           sensitive: list[str] = Query([]),
           every: str = Query("day", description="hour | day"),
           format: str = Query("json", description="json | html"),
           who: Principal = require(Permission.MONITORING_READ),
           platform: Platform = Depends(get_platform)) -> MonitoringReport | HTMLResponse:
    if format not in ("json", "html"):
        raise ValidationFailed("invalid format", [FieldError("format", "must be json or html")])
    data = _monitoring(platform, pilot).report(
        pilot, since=parse_when(since, "since"), until=parse_when(until, "until"),
        sensitive=sensitive, every=every, alerts=platform.alerts.list(pilot))
    if format == "html":
        from pilotdeck.render.report_html import render

        return HTMLResponse(render(data))
    return data
