"""Explanations: per prediction (the gateway) and per version (global importance)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["Explanation", "ExplanationResponse", "GlobalExplanation"]

OutputSpace = Literal["probability", "margin", "raw"]


class Explanation(View):
    prediction: Any
    base_value: float = Field(description="The model's expected output over the background.")
    contributions: dict[str, float] = Field(
        description="SHAP value per feature: base value + their sum = the output.")


class ExplanationResponse(View):
    variant: str
    model_version: int
    explainer: Literal["tree", "linear", "permutation"]
    output_space: OutputSpace = Field(
        description="What base value + contributions add up to: the positive class's "
                    "probability, the margin (log-odds / decision function) or the raw "
                    "prediction.")
    explanations: list[Explanation]


class GlobalExplanation(View):
    pilot: str
    version: int
    explainer: Literal["tree", "linear", "permutation"]
    output_space: OutputSpace
    rows: int = Field(description="Background rows the mean was taken over.")
    importance: dict[str, float] = Field(description="Mean |SHAP| per feature, largest first.")
    computed_at: str
    computed_by: str
