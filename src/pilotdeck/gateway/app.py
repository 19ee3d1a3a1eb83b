"""The gateway ASGI app (``pilotdeck serve``), built from a Platform by its factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from pilotdeck._version import __version__
from pilotdeck.gateway.explain import router as explain_router
from pilotdeck.gateway.fastpath import GatewayApp
from pilotdeck.gateway.request_ids import RequestIds
from pilotdeck.gateway.routes import router
from pilotdeck.gateway.serving import Gateway
from pilotdeck.http import install_http, set_authenticator
from pilotdeck.platform import Platform

__all__ = ["create_gateway", "from_environment"]


def from_environment() -> FastAPI:
    """The gateway of the configured home (``PILOTDECK_*``, the config file): the
    factory each worker process of ``pilotdeck gateway --workers N`` calls."""
    from pilotdeck.config import load_settings

    return create_gateway(Platform(load_settings()))


def create_gateway(platform: Platform) -> FastAPI:
    gw = Gateway(platform)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gw.state.apply(await asyncio.to_thread(gw.state.load))
        gw.predictions.start()
        gw.feedback.start()
        refresher = asyncio.get_running_loop().create_task(gw.refresh_loop())
        try:
            yield
        finally:
            refresher.cancel()
            await gw.predictions.close()
            await gw.feedback.close()
            await gw.cache.close()
            gw.state.close()

    app = GatewayApp(title="pilotdeck gateway", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Real-time scoring of registered models with A/B routing, "
                              "shadow traffic, circuit breakers, a prediction cache and "
                              "a prediction log. MLflow scoring formats are accepted.")
    app.state.gateway = gw
    app.state.request_ids = RequestIds(platform.request_id_key())
    app.state.platform = platform
    install_http(app, platform.settings.max_body_bytes)
    set_authenticator(app, gw.authenticate)
    app.include_router(router)
    app.include_router(explain_router)
    return app
