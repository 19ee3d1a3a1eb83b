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
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Forbidden, Unauthenticated

PERMISSION_ATTR = "__pilotdeck_permission__"
Authenticate = Callable[[str], Principal]
BLOCKING_ATTR = "authenticate_blocks"
_bearer = HTTPBearer(auto_error=False, description="pilotdeck API token (pd_…)")


def set_authenticator(app: FastAPI, authenticate: Authenticate, blocking: bool = True) -> None:
    """How this app turns a token into a principal (raises Unauthenticated if it can't).

    ``blocking`` says whether it may wait on I/O (the API asks the store): such an
    authenticator runs in the thread pool. The gateway's is a dict lookup and runs
    on the event loop: a thread hop per request would cost more than the lookup,
    and 32 requests in flight would mean 32 threads fighting the model threads
    for the GIL (benchmarks/serving showed it as the p99 tail)."""
    app.state.authenticate = authenticate
    setattr(app.state, BLOCKING_ATTR, blocking)


def require(permission: Permission) -> Any:
    """Dependency that authenticates the caller and checks ``permission``."""

    async def dependency(
        request: Request,
        creds: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Principal:
        if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
            raise Unauthenticated()
        state = request.app.state
        authenticate: Authenticate = state.authenticate
        if getattr(state, BLOCKING_ATTR, True):
            who = await run_in_threadpool(authenticate, creds.credentials)
        else:
            who = authenticate(creds.credentials)
        return permit(who, permission, request.path_params.get("pilot"))

    setattr(dependency, PERMISSION_ATTR, permission)
    return Depends(dependency)


def permit(who: Principal, permission: Permission, pilot: str | None) -> Principal:
    """``who`` if it holds ``permission`` (on ``pilot`` when the route is about one).

    A route about one pilot (``{pilot}`` in its path) is checked against the
    token's pilots before the handler runs, so a pilot-limited token learns
    nothing about other pilots (not even whether they exist)."""
    if not who.can(permission):
        raise Forbidden(f"role {who.role.value} lacks permission {permission.value}")
    if pilot is not None and not who.can(permission, pilot):
        raise Forbidden(f"{who.user} may not use {permission.value} on this pilot")
    return who


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header, read as ``HTTPBearer``
    reads it; ``Unauthenticated`` when there is none (for ASGI paths that answer
    without FastAPI's dependencies)."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not authorization or scheme.lower() != "bearer" or not credentials:
        raise Unauthenticated()
    return credentials


def public() -> Any:
    """Marks a route as deliberately open to anyone."""

    def dependency() -> None:
        return None

    setattr(dependency, PERMISSION_ATTR, Permission.PUBLIC)
    return Depends(dependency)


def declared_permissions(call: Callable[..., Any]) -> Permission | None:
    return getattr(call, PERMISSION_ATTR, None)
