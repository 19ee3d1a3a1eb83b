"""The caller and the permission a route needs, for the API and the gateway alike.

Each route declares ``who: Principal = require(Permission.X)`` (or ``public()``);
a test walks every route of both apps and fails if one declares neither. How a
bearer token becomes a :class:`Principal` is the app's choice (the API asks the
store, the gateway its in-memory table), set once with :func:`set_authenticator`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Forbidden, Unauthenticated

PERMISSION_ATTR = "__pilotdeck_permission__"
Authenticate = Callable[[str], Principal]
_bearer = HTTPBearer(auto_error=False, description="pilotdeck API token (pd_…)")


def set_authenticator(app: FastAPI, authenticate: Authenticate) -> None:
    """How this app turns a token into a principal (raises Unauthenticated if it can't)."""
    app.state.authenticate = authenticate


def require(permission: Permission) -> Any:
    """Dependency that authenticates the caller and checks ``permission``."""

    def dependency(
        request: Request,
        creds: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Principal:
        if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
            raise Unauthenticated()
        authenticate: Authenticate = request.app.state.authenticate
        who = authenticate(creds.credentials)
        if not who.can(permission):
            raise Forbidden(f"role {who.role.value} lacks permission {permission.value}")
        # A route about one pilot (``{pilot}`` in its path) is checked against the
        # token's pilots here, before the handler runs, so a pilot-limited token
        # learns nothing about other pilots (not even whether they exist).
        pilot = request.path_params.get("pilot")
        if pilot is not None and not who.can(permission, pilot):
            raise Forbidden(f"{who.user} may not use {permission.value} on this pilot")
        return who

    setattr(dependency, PERMISSION_ATTR, permission)
    return Depends(dependency)


def public() -> Any:
    """Marks a route as deliberately open to anyone."""

    def dependency() -> None:
        return None

    setattr(dependency, PERMISSION_ATTR, Permission.PUBLIC)
    return Depends(dependency)


def declared_permissions(call: Callable[..., Any]) -> Permission | None:
    return getattr(call, PERMISSION_ATTR, None)
