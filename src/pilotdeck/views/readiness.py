"""A pilot version's readiness for production: the checklist, item by item."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["ReadinessItem", "ReadinessReport"]


class ReadinessItem(View):
    id: str
    text: str
    status: Literal["pass", "fail", "waived", "attested"]
    evidence: str = Field(description="What the platform found.")
    next_step: str | None = Field(description="For a failure: what to do next.")
    blocks: Literal["live", "full"] = Field(
        description="live: any live traffic waits for it; full: 100 % of traffic does.")


class ReadinessReport(View):
    pilot: str
    version: int
    ready: bool = Field(description="Nothing blocks 100 % of traffic.")
    live_blocked_by: list[str] = Field(description="Failed items that block any live traffic.")
    full_blocked_by: list[str] = Field(description="Failed items that block 100 % of traffic.")
    items: list[ReadinessItem]
