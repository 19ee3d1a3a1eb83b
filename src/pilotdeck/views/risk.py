"""Risk: the questionnaire as a form, and one assessment with its tier and controls."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["RequiredControl", "RiskAssessment", "RiskOption", "RiskQuestion",
           "RiskQuestionnaire", "RiskTierPolicy"]

TierName = Literal["minimal", "limited", "high", "prohibited"]


class RiskOption(View):
    id: str
    text: str
    weight: int = Field(description="Risk points this answer adds to the score.")
    tier: TierName | None = Field(description="The tier this answer sets at least.")


class RiskQuestion(View):
    id: str
    text: str
    dimension: str
    help: str
    options: list[RiskOption] = Field(description="The first is always the lowest-risk answer.")


class RequiredControl(View):
    id: str
    text: str
    approvers: int | None = Field(None, description="For an approval: distinct approvers.")


class RiskTierPolicy(View):
    tier: TierName
    review_days: int
    deployable: bool
    controls: list[RequiredControl]


class RiskQuestionnaire(View):
    name: str
    version: int
    questions: list[RiskQuestion]
    tiers: list[RiskTierPolicy]


class RiskAssessment(View):
    """One assessment; ``expired`` ones count as missing wherever a current one is needed."""

    id: int
    pilot: str
    tier: TierName
    score: float = Field(description="0-100 across the non-tier questions; ranks within a tier.")
    dimensions: dict[str, float] = Field(description="The score per risk dimension, 0-100.")
    rationale: list[str] = Field(description="The answers (and rules) that set the tier.")
    required_controls: list[RequiredControl]
    deployable: bool
    answers: dict[str, str]
    questionnaire: str
    questionnaire_version: int
    assessed_at: str
    assessed_by: str
    expires_at: str
    expired: bool
