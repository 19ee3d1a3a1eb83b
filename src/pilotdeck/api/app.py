"""The API app factory: build it from a Platform, never from globals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from pilotdeck import __version__
from pilotdeck.api import problems
from pilotdeck.api.routers import (
    assessments,
    audit,
    models,
    monitoring,
    pilots,
    prioritization,
    system,
    tokens,
)
from pilotdeck.platform import Platform

DESCRIPTION = """
pilotdeck's control-plane API: the pilot inventory, maturity assessments,
prioritisation, the tamper-evident audit trail and access tokens.

Authenticate with `Authorization: Bearer <token>`. Errors are
`application/problem+json` (RFC 9457) with an `errors` list of `{field, problem}`.
"""


def create_app(platform: Platform) -> FastAPI:
    app = FastAPI(title="pilotdeck", version=__version__, description=DESCRIPTION)
    app.state.platform = platform
    problems.install(app)
    for module in (system, pilots, models, assessments, prioritization, audit, tokens,
                   monitoring):
        app.include_router(module.router)
    return app


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI >= 0.16x nests them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(list(inner.routes))
