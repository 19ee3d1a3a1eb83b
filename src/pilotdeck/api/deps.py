"""Request dependencies: the platform, the caller, and the permission a route needs.

Each route declares ``who: Principal = require(Permission.X)`` (or ``public()``);
a test walks every route and fails if one declares neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Forbidden, Unauthenticated
from pilotdeck.platform import Platform

PERMISSION_ATTR = "__pilotdeck_permission__"
_bearer = HTTPBearer(auto_error=False, description="pilotdeck API token (pd_…)")


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def require(permission: Permission) -> Any:
    """Dependency that authenticates the caller and checks ``permission``."""

    def dependency(
        request: Request,
        creds: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Principal:
        if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
            raise Unauthenticated()
        who = get_platform(request).access.authenticate(creds.credentials)
        if not who.can(permission):
            raise Forbidden(f"role {who.role.value} lacks permission {permission.value}")
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
