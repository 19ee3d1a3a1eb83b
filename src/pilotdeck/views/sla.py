"""A pilot's SLA as stored, and its compliance measured over a window."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.domain.sla import SLA
from pilotdeck.views.base import View

__all__ = ["SLARecord", "SLACompliance", "SLATarget"]


class SLARecord(View):
    pilot: str
    sla: SLA
    revision: int = Field(description="Send it back as If-Match to change the SLA safely.")
    updated_at: str
    updated_by: str


class SLATarget(View):
    """One target: what was measured against what was promised."""

    target: Literal["availability", "p99_latency_ms", "error_rate", "accuracy", "business"]
    metric: str = Field(description="What is measured, e.g. availability_pct, accuracy, "
                                    "revenue.")
    comparison: Literal[">=", "<="]
    threshold: float
    measured: float | None = Field(description="null: not enough data in the window.")
    rows: int = Field(description="Requests (or labelled / fed-back requests) it rests on.")
    status: Literal["met", "breached", "not enough data"]
    met: bool | None = Field(description="null: not enough data to judge.")


class SLACompliance(View):
    pilot: str
    since: str
    until: str
    window_hours: float
    requests: int = Field(description="Live requests in the window (shadow traffic excluded).")
    status: Literal["compliant", "breached", "not enough data"]
    compliant: bool = Field(description="Every target measured and met.")
    breached: list[str] = Field(description="The targets not met.")
    sla_revision: int
    targets: list[SLATarget]
