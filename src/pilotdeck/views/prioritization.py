"""Prioritisation of the portfolio: scores and quadrants, the plan, its sensitivity."""

from __future__ import annotations

from pydantic import Field

from pilotdeck.domain.prioritization import (
    QUADRANT_LABELS,
    PilotPriority,
    PortfolioPlan,
    Quadrant,
    QuadrantFlip,
    Recommendation,
    Rubric,
)
from pilotdeck.views.base import View

__all__ = ["Plan", "PlanRecommendation", "PrioritizedPilot", "Prioritization",
           "QuadrantChange", "RubricSummary", "Sensitivity", "StandardisationPattern"]

class RubricSummary(View):
    name: str
    impact_threshold: float = Field(description="Impact at or above this is high.")
    complexity_threshold: float = Field(description="Complexity at or above this is high.")


class PrioritizedPilot(View):
    """One pilot's weighted scores, its quadrant and the recommended action."""

    name: str
    business_unit: str
    status: str
    impact: float
    complexity: float
    quadrant: Quadrant
    action: str = Field(description="The quadrant in words.")
    expected_value_per_year: float
    production_cost_per_year: float
    net_value_per_year: float
    reason: str

    @classmethod
    def of(cls, p: PilotPriority) -> PrioritizedPilot:
        return cls(name=p.name, business_unit=p.business_unit, status=p.status,
                   impact=round(p.impact, 3), complexity=round(p.complexity, 3),
                   quadrant=p.quadrant, action=QUADRANT_LABELS[p.quadrant],
                   expected_value_per_year=p.expected_value,
                   production_cost_per_year=p.production_cost,
                   net_value_per_year=p.net_value, reason=p.reason)


class PlanRecommendation(View):
    pilot: str
    action: str = Field(description="scale | consolidate | sunset")
    explanation: str

    @classmethod
    def of(cls, r: Recommendation) -> PlanRecommendation:
        return cls(pilot=r.pilot, action=r.action, explanation=r.explanation)


class StandardisationPattern(View):
    """A stack item several pilots share: a candidate for a common platform."""

    kind: str = Field(description="framework | infrastructure | model | data | feature view")
    pattern: str
    pilots: list[str]
    explanation: str


class Plan(View):
    summary: str
    scale: list[PlanRecommendation]
    standardise: list[StandardisationPattern]
    consolidate: list[PlanRecommendation]
    sunset: list[PlanRecommendation]

    @classmethod
    def of(cls, plan: PortfolioPlan) -> Plan:
        return cls(
            summary=plan.summary,
            scale=[PlanRecommendation.of(r) for r in plan.scale],
            standardise=[StandardisationPattern(kind=p.kind, pattern=p.name,
                                                pilots=list(p.pilots), explanation=p.explanation)
                         for p in plan.standardise],
            consolidate=[PlanRecommendation.of(r) for r in plan.consolidate],
            sunset=[PlanRecommendation.of(r) for r in plan.sunset])


class QuadrantChange(View):
    """A pilot that changes quadrant when one criterion's weight moves."""

    pilot: str
    axis: str
    criterion: str
    weight_change: str = Field(description="e.g. '+10%'")
    from_: Quadrant = Field(alias="from")
    to: Quadrant

    @classmethod
    def of(cls, f: QuadrantFlip) -> QuadrantChange:
        return cls.model_validate({"pilot": f.pilot, "axis": f.axis, "criterion": f.criterion,
                                   "weightChange": f"{f.change:+.0%}",
                                   "from": f.from_quadrant, "to": f.to_quadrant})


class Sensitivity(View):
    weight_change: str = Field(description="How far each weight was moved, e.g. '±10%'.")
    unstable_pilots: list[str]
    flips: list[QuadrantChange]


class Prioritization(View):
    """Every live pilot scored and placed, the portfolio plan and a sensitivity check."""

    rubric: RubricSummary
    pilots: list[PrioritizedPilot]
    plan: Plan
    sensitivity: Sensitivity

    @classmethod
    def of(cls, rubric: Rubric, pilots: list[PilotPriority], plan: PortfolioPlan,
           flips: list[QuadrantFlip]) -> Prioritization:
        return cls(
            rubric=RubricSummary(name=rubric.name,
                                 impact_threshold=rubric.impact.threshold,
                                 complexity_threshold=rubric.complexity.threshold),
            pilots=[PrioritizedPilot.of(p) for p in pilots],
            plan=Plan.of(plan),
            sensitivity=Sensitivity(weight_change="±10%",
                                    unstable_pilots=sorted({f.pilot for f in flips}),
                                    flips=[QuadrantChange.of(f) for f in flips]))
