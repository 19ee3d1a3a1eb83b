"""Health, version and a landing page."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from pilotdeck._version import __version__
from pilotdeck.api.deps import get_platform, public
from pilotdeck.platform import Platform
from pilotdeck.views.system import Health, VersionInfo

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="Liveness and database reachability")
def health(_: None = public(), platform: Platform = Depends(get_platform)) -> Health:
    platform.store.ping()
    return Health(status="ok", database=platform.store.backend)


@router.get("/v1/version", summary="Server version")
def version(_: None = public()) -> VersionInfo:
    return VersionInfo(version=__version__)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(_: None = public()) -> str:
    return (
        "<!doctype html><title>pilotdeck</title><h1>pilotdeck</h1>"
        f"<p>version {__version__}</p><ul>"
        "<li><a href='/ui'>Dashboard</a> (sign in with an API token)</li>"
        "<li><a href='/docs'>API documentation (OpenAPI UI)</a></li>"
        "<li><a href='/openapi.json'>OpenAPI document</a></li>"
        "<li><a href='/healthz'>health</a></li></ul>"
        "<p>Most routes need <code>Authorization: Bearer &lt;token&gt;</code>.</p>"
    )
