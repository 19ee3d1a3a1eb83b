"""Prioritisation of the live portfolio: matrix, plan, sensitivity, chart."""

from __future__ import annotations

from collections.abc import Callable

from pilotdeck.domain.prioritization import (
    PilotPriority,
    Rubric,
    plan_portfolio,
    score_portfolio,
    sensitivity,
)
from pilotdeck.domain.query import PilotFilter
from pilotdeck.services.portfolio import PortfolioService
from pilotdeck.views.prioritization import Prioritization


class PrioritizationService:
    def __init__(self, portfolio: PortfolioService, rubric: Rubric,
                 feature_reuse: Callable[[], dict[str, list[str]]] | None = None) -> None:
        self.portfolio = portfolio
        self.rubric = rubric
        # Feature view -> pilots using it (the feature store's reuse counts): shared
        # views become "standardise" candidates like shared stack elements.
        self.feature_reuse = feature_reuse

    def run(self, f: PilotFilter | None = None) -> Prioritization:
        manifests = self.portfolio.manifests(f)
        return Prioritization.of(
            self.rubric,
            score_portfolio(manifests, self.rubric),
            plan_portfolio(manifests, self.rubric,
                           self.feature_reuse() if self.feature_reuse else None),
            sensitivity(manifests, self.rubric),
        )

    def scores(self, f: PilotFilter | None = None) -> list[PilotPriority]:
        """Each pilot's scores and quadrant: what the matrix chart draws."""
        return score_portfolio(self.portfolio.manifests(f), self.rubric)
