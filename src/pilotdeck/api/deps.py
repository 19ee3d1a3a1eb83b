"""API request dependencies: the platform (the caller and permission come from
:mod:`pilotdeck.http`, shared with the gateway)."""

from __future__ import annotations

from fastapi import Request

from pilotdeck.http import declared_permissions, public, require
from pilotdeck.platform import Platform

__all__ = ["declared_permissions", "get_platform", "public", "require"]


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform
