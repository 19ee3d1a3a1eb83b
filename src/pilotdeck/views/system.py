"""The API server's own health and version."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["Health", "VersionInfo"]


class Health(View):
    status: Literal["ok"]
    database: str = Field(description="sqlite | postgresql")


class VersionInfo(View):
    version: str
