"""The playbook: "how we move AI from pilot to scale here", and its published versions.

``standard`` is everything the organisation decided (rubric, maturity model,
risk questionnaire and controls, checklist and what blocks what, rollout and
SLA defaults, the runbook's contents, roles and teams): its hash identifies a
version of the playbook. ``numbers`` are how the portfolio is doing against it
today; they change every day and never make a new version.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["FailureCount", "GateCount", "PhaseTime", "Playbook", "PlaybookNumbers",
           "PlaybookVersion", "PublishedPlaybook"]


class GateCount(View):
    """One checklist item or stage: how many of the checked pilots pass it."""

    gate: str
    text: str
    blocks: str = Field(description="live | full | none (items); the stage itself (stages).")
    passed: int
    of: int


class PhaseTime(View):
    """The median time pilots took between two milestones of the audit log."""

    phase: str
    start: str = Field(description="The audit action that opens the phase.")
    end: str = Field(description="The audit action that closes it.")
    median_days: float | None = Field(description="null: no pilot went through it yet.")
    pilots: int = Field(description="Pilots that went through the phase.")


class FailureCount(View):
    item: str
    text: str
    pilots: list[str]


class PlaybookNumbers(View):
    pilots: int = Field(description="Pilots in the inventory.")
    checked: int = Field(description="Pilots with a registered model version, whose "
                                     "checklist was evaluated.")
    gates: list[GateCount]
    stages: list[GateCount]
    phases: list[PhaseTime]
    common_failures: list[FailureCount]


class Playbook(View):
    organisation: str
    generated_at: str
    standard_sha256: str = Field(description="The hash of the standard: a published "
                                             "version with this hash is this playbook.")
    version: int | None = Field(description="The published version with this standard, "
                                            "null when it changed since the last one.")
    latest_version: int | None = Field(description="The newest published version.")
    standard: dict[str, Any] = Field(description="Every input of the standard (hashed).")
    numbers: PlaybookNumbers


class PlaybookVersion(View):
    version: int
    standard_sha256: str
    sha256: str = Field(description="SHA-256 of the published Markdown.")
    published_at: str
    published_by: str
    changed: list[str] = Field(description="Parts of the standard that changed since the "
                                           "previous version.")


class PublishedPlaybook(View):
    version: PlaybookVersion
    new: bool = Field(description="False: the standard had not changed, so the latest "
                                  "version stands and nothing was recorded.")
