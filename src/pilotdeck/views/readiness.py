"""A pilot version's readiness for production: the checklist, item by item."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["ReadinessAttestation", "ReadinessItem", "ReadinessReport", "TrainingRecord"]


class ReadinessAttestation(View):
    """The governance board's word on an item: attested (in place, the platform
    cannot see it) or waived (knowingly not needed), until it expires."""

    pilot: str
    item: str
    version: int | None = Field(description="The version it covers; null: every version.")
    kind: Literal["attested", "waived"]
    reason: str
    by: str
    at: str = Field(description="ISO 8601, UTC.")
    expires_at: str = Field(description="ISO 8601, UTC; past it the item fails again.")
    expired: bool
    revoked_at: str | None = None
    revoked_by: str | None = None
    revision: int = Field(description="Compare-and-set: send it back as expectedRevision.")


class ReadinessItem(View):
    id: str
    text: str
    status: Literal["pass", "fail", "waived", "attested"]
    evidence: str = Field(description="What the platform found.")
    next_step: str | None = Field(description="For a failure: what to do next.")
    blocks: Literal["live", "full", "none"] = Field(
        description="live: any live traffic waits for it; full: 100 % of traffic does; "
                    "none: it blocks nothing (PILOTDECK_READINESS_BLOCKS).")
    attestation: ReadinessAttestation | None = Field(
        None, description="The board's attestation or waiver of the item, when there is "
                          "one (also an expired one: then the item counts as failed).")


class ReadinessReport(View):
    pilot: str
    version: int
    ready: bool = Field(description="Nothing blocks 100 % of traffic.")
    live_blocked_by: list[str] = Field(description="Failed items that block any live traffic.")
    full_blocked_by: list[str] = Field(description="Failed items that block 100 % of traffic.")
    items: list[ReadinessItem]


class TrainingRecord(View):
    id: int
    user: str
    course: str
    pilot: str | None
    team: str | None
    completed_at: str
    expires_at: str | None
    current: bool = Field(description="Not expired.")
    recorded_by: str
    recorded_at: str
