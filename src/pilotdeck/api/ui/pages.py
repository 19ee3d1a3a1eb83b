"""The dashboard's pages and charts (GET): each declares its permission like an
API route and reads through the same services with the signed-in principal."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pilotdeck.api.deps import get_platform, public
from pilotdeck.api.params import PilotPath, text
from pilotdeck.api.ui import data
from pilotdeck.api.ui.session import (
    Signed,
    SignInNeeded,
    open_session,
    page,
    safe_next,
    set_signin_nonce,
    signed_in,
    signin_nonce,
)
from pilotdeck.api.ui.templating import HEADERS, render
from pilotdeck.auth.roles import Permission
from pilotdeck.domain.errors import NotFound
from pilotdeck.domain.query import PilotFilter
from pilotdeck.platform import Platform
from pilotdeck.render.matrix_layout import MatrixPoint
from pilotdeck.render.matrix_svg import matrix_svg

router = APIRouter(prefix="/ui", include_in_schema=False)

NOTICES = {
    "approved": "Your approval is recorded.",
    "rejected": "Your rejection is recorded.",
    "started": "The rollout has started on its first step.",
    "paused": "The rollout is paused at its current weight.",
    "resumed": "The rollout carries on.",
    "signed-out": "You are signed out.",
}


def notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("done", ""))


@router.get("", response_class=HTMLResponse)
def home(_: None = public()) -> Response:
    return RedirectResponse("/ui/portfolio", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, _: None = public()) -> Response:
    target = safe_next(request.query_params.get("next"))
    try:  # already signed in (with a token that still works): straight on
        signed_in(request)
        return RedirectResponse(target, status_code=303)
    except SignInNeeded:
        pass
    nonce = signin_nonce(request)
    response = render("sign_in.html", title="Sign in", next=target, csrf=nonce, error=None,
                      notice=notice(request))
    set_signin_nonce(request, response, nonce)
    return response


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio(request: Request, business_unit: str | None = text(alias="businessUnit"),
              signed: Signed = page(Permission.PRIORITIZATION_READ),
              platform: Platform = Depends(get_platform)) -> Response:
    """The matrix (inline SVG: each bubble a link, no script), the plan and its
    sensitivity, for one business unit or all."""
    unit = business_unit or None
    result = platform.prioritization.run(PilotFilter(business_unit=unit))
    matrix = matrix_svg([MatrixPoint.of(p) for p in result.pilots], platform.rubric)
    return render("portfolio.html", signed=signed, active="Portfolio", result=result,
                  matrix=matrix, units=data.business_units(platform), unit=unit,
                  notice=notice(request))


@router.get("/pilots/{pilot}", response_class=HTMLResponse)
def pilot(request: Request, pilot: PilotPath, signed: Signed = page(Permission.PILOTS_READ),
          platform: Platform = Depends(get_platform)) -> Response:
    try:
        view = data.pilot_page(platform, pilot, signed.who)
    except NotFound as exc:
        return render("error.html", status=404, signed=signed, title="Not found",
                      heading="No such pilot", message=str(exc), back="/ui/portfolio")
    return render("pilot.html", signed=signed, active="Portfolio", title=pilot, p=view,
                  notice=notice(request))


@router.get("/governance", response_class=HTMLResponse)
def governance(request: Request, signed: Signed = page(Permission.MODELS_READ),
               platform: Platform = Depends(get_platform)) -> Response:
    return render("governance.html", signed=signed, active="Governance",
                  g=data.governance_page(platform, signed.who), notice=notice(request))


@router.get("/platform", response_class=HTMLResponse)
def platform_page(request: Request, signed: Signed = page(Permission.MODELS_READ),
                  platform: Platform = Depends(get_platform)) -> Response:
    gw = data.gateway_page(platform, open_session(request).token)
    return render("platform.html", signed=signed, active="Platform", gw=gw,
                  database=platform.store.backend)


PERIODS = ("month", "quarter")


@router.get("/programme", response_class=HTMLResponse)
def programme(period: str | None = text(), signed: Signed = page(Permission.PRIORITIZATION_READ),
              platform: Platform = Depends(get_platform)) -> Response:
    """ROI, time to scale, cost per scaled pilot and adoption (the programme report)."""
    chosen = period if period in PERIODS else "quarter"
    report = platform.programme.report(chosen)
    return render("programme.html", signed=signed, active="Programme", r=report,
                  period=chosen, periods=PERIODS)


@router.get("/charts/programme/{name}.png")
def programme_png(name: str, period: str | None = text(),
                  signed: Signed = page(Permission.PRIORITIZATION_READ),
                  platform: Platform = Depends(get_platform)) -> Response:
    from pilotdeck.render.programme_charts import CHARTS, chart_bytes

    if name not in CHARTS:
        raise NotFound("programme chart", name)
    report = platform.programme.report(period if period in PERIODS else "quarter")
    return Response(chart_bytes(report, name, "png"), media_type="image/png",
                    headers={**HEADERS, "Cache-Control": "private, max-age=60"})


CHART_CACHE = 32  # charts kept per process (per business unit and log size)


def _cached_chart(request: Request, key: Any, draw: Any) -> Response:
    """A PNG drawn once per ``key`` (drawing takes a while; the key changes with
    whatever the chart shows), kept per process."""
    cache: dict[Any, bytes] | None = getattr(request.app.state, "ui_charts", None)
    if cache is None:
        cache = request.app.state.ui_charts = {}
    data = cache.get(key)
    if data is None:
        data = draw()
        if len(cache) >= CHART_CACHE:
            cache.clear()
        cache[key] = data
    return Response(data, media_type="image/png",
                    headers={**HEADERS, "Cache-Control": "private, max-age=60"})


@router.get("/charts/maturity/{pilot}.png")
def maturity_png(request: Request, pilot: PilotPath,
                 signed: Signed = page(Permission.ASSESSMENTS_READ),
                 platform: Platform = Depends(get_platform)) -> Response:
    """The pilot's latest maturity assessment as a radar, current against target
    (an assessment is never changed once saved, so its id is the cache key)."""
    from pilotdeck.render.charts import maturity_bytes

    latest = platform.assessments.latest(pilot)  # NotFound: 404
    return _cached_chart(request, ("maturity", pilot, latest.id),
                         lambda: maturity_bytes(latest.dump(), "png"))


@router.get("/charts/matrix.png")
def matrix_png(request: Request, business_unit: str | None = text(alias="businessUnit"),
               signed: Signed = page(Permission.PRIORITIZATION_READ),
               platform: Platform = Depends(get_platform)) -> Response:
    """The matrix as PNG, to download for slides (the page shows it as SVG). Drawing it
    takes a while, so it is kept until the audit log
    grows: every change that could move a pilot (a manifest, an assessment) is an
    audit event, so the log's size is a cheap, exact version of the portfolio."""
    from pilotdeck.render.charts import matrix_bytes

    unit = business_unit or None
    key = (unit, platform.audit.head().size, id(platform.rubric))
    return _cached_chart(request, key, lambda: matrix_bytes(
        platform.prioritization.scores(PilotFilter(business_unit=unit)), platform.rubric,
        "png"))
