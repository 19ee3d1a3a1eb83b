"""The web dashboard at ``/ui``: server-rendered pages (Jinja2) with a little HTMX,
every asset inside the package, signed in with an API token (see ``session``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from pilotdeck.api.ui.session import SignInNeeded

STATIC = Path(__file__).parent / "static"


def install_ui(app: FastAPI) -> None:
    from pilotdeck.api.ui import actions, pages

    app.include_router(pages.router)
    app.include_router(actions.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, _exc: SignInNeeded) -> Response:
        from urllib.parse import quote

        from pilotdeck.http import problem

        if request.method == "GET" and not request.url.path.startswith("/ui/charts/"):
            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"/ui/sign-in?next={target}", status_code=303)
        return problem(401, "Unauthenticated", "sign in at /ui/sign-in first")
