"""Prioritisation of the live portfolio: matrix, plan, sensitivity, chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pilotdeck.domain.prioritization import (
    PilotPriority,
    PortfolioPlan,
    QuadrantFlip,
    Rubric,
    plan_portfolio,
    score_portfolio,
    sensitivity,
)
from pilotdeck.domain.query import PilotFilter
from pilotdeck.services.portfolio import PortfolioService


@dataclass
class Prioritization:
    rubric: Rubric
    pilots: list[PilotPriority]
    plan: PortfolioPlan
    flips: list[QuadrantFlip]

    def as_dict(self) -> dict[str, Any]:
        unstable = sorted({f.pilot for f in self.flips})
        return {
            "rubric": {"name": self.rubric.name,
                       "impactThreshold": self.rubric.impact.threshold,
                       "complexityThreshold": self.rubric.complexity.threshold},
            "pilots": [p.as_dict() for p in self.pilots],
            "plan": self.plan.as_dict(),
            "sensitivity": {"weightChange": "±10%", "unstablePilots": unstable,
                            "flips": [f.as_dict() for f in self.flips]},
        }


class PrioritizationService:
    def __init__(self, portfolio: PortfolioService, rubric: Rubric) -> None:
        self.portfolio = portfolio
        self.rubric = rubric

    def run(self, f: PilotFilter | None = None) -> Prioritization:
        manifests = self.portfolio.manifests(f)
        return Prioritization(
            self.rubric,
            score_portfolio(manifests, self.rubric),
            plan_portfolio(manifests, self.rubric),
            sensitivity(manifests, self.rubric),
        )

