"""HTTP plumbing shared by the API and the gateway: problem+json errors, the
``require(permission)`` dependency, the body-size guard, offline docs and the
documented error answers. Each app factory says how a token becomes a principal
(``set_authenticator``) and calls :func:`install_http` once; routes only say what
they need."""

from fastapi import FastAPI

from pilotdeck.http.auth import (
    PERMISSION_ATTR,
    Authenticate,
    declared_permissions,
    public,
    require,
    set_authenticator,
)
from pilotdeck.http.docs import install_docs
from pilotdeck.http.guard import RequestGuard
from pilotdeck.http.openapi import install_openapi
from pilotdeck.http.problems import MEDIA_TYPE, install_problems, problem


def install_http(app: FastAPI, max_body_bytes: int) -> None:
    """Everything both apps share: build the app with ``docs_url=None, redoc_url=None``."""
    install_problems(app)
    install_docs(app)
    install_openapi(app)
    app.add_middleware(RequestGuard, limit=max_body_bytes)


__all__ = ["MEDIA_TYPE", "PERMISSION_ATTR", "Authenticate", "RequestGuard",
           "declared_permissions", "install_http", "install_problems", "problem", "public",
           "require", "set_authenticator"]
