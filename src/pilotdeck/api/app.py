"""The API app factory: build it from a Platform, never from globals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from pilotdeck._version import __version__
from pilotdeck.api.routers import (
    alerts,
    approvals,
    assessments,
    audit,
    datasets,
    explain,
    features,
    lineage,
    models,
    monitoring,
    pilots,
    playbook,
    prioritization,
    programme,
    readiness,
    risk,
    rollouts,
    sla,
    system,
    teams,
    tokens,
    training,
)
from pilotdeck.api.ui import install_ui
from pilotdeck.http import install_http, set_authenticator
from pilotdeck.platform import Platform

log = logging.getLogger("pilotdeck.api")

DESCRIPTION = """
pilotdeck's control-plane API: the pilot inventory, maturity assessments,
prioritisation, models and deployments, monitoring and alerts, the
tamper-evident audit trail and access tokens.

Authenticate with `Authorization: Bearer <token>`. Errors are
`application/problem+json` (RFC 9457) with an `errors` list of `{field, problem}`.
"""


async def alert_loop(platform: Platform) -> None:
    """Evaluate the alert rules every ``alert_interval_s`` while the server runs.

    The rules file is re-read each time, so edits apply without a restart; a bad
    file or a failing evaluation is logged and retried next time."""
    from pilotdeck.services.alerts import load_rules

    interval = platform.settings.alert_interval_s
    path = platform.settings.alert_rules
    while True:
        await asyncio.sleep(interval)
        if path is None or not path.is_file():
            continue
        try:
            rules = load_rules(path)
            await asyncio.to_thread(platform.alerts.evaluate, rules)
        except Exception:  # noqa: BLE001 - the loop must outlive any one bad evaluation
            log.exception("alert evaluation failed")


async def rollout_loop(platform: Platform) -> None:
    """Check every active rollout each ``rollout_interval_s`` on the one replica
    that holds the controller's lease (renewed each round, lost after three
    missed rounds, so another replica takes over from a dead leader)."""
    import os
    import socket
    import uuid

    interval = platform.settings.rollout_interval_s
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    while True:
        await asyncio.sleep(interval)
        try:
            if await asyncio.to_thread(platform.rollouts.lead, me, 3 * interval):
                await asyncio.to_thread(platform.rollouts.tick)
        except Exception:  # noqa: BLE001 - the loop must outlive any one bad round
            log.exception("rollout controller round failed")


def create_app(platform: Platform) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(run(platform)) for run, interval in (
            (alert_loop, platform.settings.alert_interval_s),
            (rollout_loop, platform.settings.rollout_interval_s)) if interval > 0]
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="pilotdeck", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.platform = platform
    install_http(app, platform.settings.api_max_body_bytes)
    set_authenticator(app, platform.access.authenticate)
    for module in (system, pilots, models, assessments, prioritization, audit, tokens,
                   monitoring, alerts, risk, approvals, explain, datasets,
                   lineage, features, readiness, rollouts, sla, training, programme,
                   teams, playbook):
        app.include_router(module.router)
    install_ui(app)
    return app


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI >= 0.16x nests them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(list(inner.routes))
