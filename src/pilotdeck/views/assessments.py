"""Maturity assessments: one scored result, and the history of a scope."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer
from pydantic.alias_generators import to_camel

from pilotdeck.views.base import View

__all__ = ["Assessment", "AssessmentHistory", "AssessmentSummary", "DimensionResult",
           "EvidenceNote", "OverallResult", "PracticeStatus", "ScopeLevel"]


def _without(data: Any, view: View, fields: tuple[str, ...]) -> Any:
    """``data`` without the keys of ``fields`` that are None (absent, as they always were)."""
    for name in fields:
        if getattr(view, name) is None:
            data.pop(name, None)
            data.pop(to_camel(name), None)
    return data


class PracticeStatus(View):
    id: str
    level: int
    question: str
    satisfied: bool
    source: Literal["evidence", "answer", "unanswered"]
    note: str
    discrepancy: str | None = Field(
        None, description="Only when the answer was yes but the platform's evidence says no.")

    # No return annotation: pydantic then documents the model's own schema.
    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler):
        return _without(handler(self), self, ("discrepancy",))


class DimensionResult(View):
    id: str
    name: str
    level: int
    score: float
    target: int
    gap: int
    source: Literal["direct", "evidence", "mixed", "answers"]
    descriptor: str
    next_descriptor: str | None
    practices: list[PracticeStatus]
    discrepancies: list[str] = Field(description="Ids of practices with a discrepancy.")


class OverallResult(View):
    level: int = Field(description="The weakest dimension's level (staged maturity).")
    level_name: str
    score: float = Field(description="Mean of the dimension scores, for trend lines.")
    target: int
    gap: int
    weakest: list[str] = Field(description="Dimensions at the overall level.")


class EvidenceNote(View):
    satisfied: bool
    note: str


class Assessment(View):
    """One scope (a pilot or the organisation) scored against the maturity model."""

    model: str = Field(description="Name of the maturity model.")
    overall: OverallResult
    dimensions: list[DimensionResult]
    evidence: dict[str, EvidenceNote]
    scope: str = Field(description="'organisation' or 'pilot:NAME'.")
    id: int | None = Field(None, description="Only once saved to the history.")
    assessed_at: str | None = Field(None, description="ISO 8601, UTC; only once saved.")
    assessor: str | None = Field(None, description="Only once saved.")

    @model_serializer(mode="wrap")
    def _omit_unsaved(self, handler: SerializerFunctionWrapHandler):
        return _without(handler(self), self, ("id", "assessed_at", "assessor"))


class AssessmentSummary(View):
    """One entry of a scope's history."""

    id: int
    assessed_at: str
    assessor: str
    overall_level: int
    score: float
    levels: dict[str, int] = Field(description="Level per dimension id.")


class AssessmentHistory(View):
    scope: str
    items: list[AssessmentSummary]


class ScopeLevel(View):
    """The latest overall level of one scope."""

    overall_level: int
    assessed_at: str
