"""Query values shared by listings (kept free of heavy imports: the CLI builds
them before it needs any model class)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PilotFilter:
    """Which pilots a listing shows (every field optional; all given must match)."""

    business_unit: str | None = None
    status: str | None = None
    owner: str | None = None
    names: frozenset[str] | None = None
