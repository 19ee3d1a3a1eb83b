"""A model card: what the platform knows about one version, in one document.

Sections follow Google's Model Cards (Mitchell et al., 2019) and Hugging
Face's model card template where they fit: model details, intended use,
training data, metrics, quantitative analyses (fairness), explanations,
ethical considerations (risk, approvals), caveats (limitations) and how it is
monitored.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pilotdeck.views.approvals import ApprovalRequest, GovernanceStatus
from pilotdeck.views.base import View
from pilotdeck.views.explain import GlobalExplanation
from pilotdeck.views.risk import RiskAssessment

__all__ = ["DataSourceCard", "ModelCard", "Owner"]


class Owner(View):
    name: str
    role: str | None


class DataSourceCard(View):
    name: str
    kind: str
    owner: str | None
    lineage: str | None
    quality: float | None
    contains_pii: bool


class ModelCard(View):
    pilot: str
    version: int
    generated_at: str
    # model details
    business_unit: str
    owner: str
    team: list[Owner]
    frameworks: list[str]
    source: str = Field(description="Where the registry keeps the artifacts.")
    run_id: str | None
    registered_at: str
    registered_by: str
    aliases: list[str]
    deployment: str
    # intended use
    intended_use: str = Field(description="The business problem the pilot solves.")
    description: str | None
    # data and evaluation
    training_data: list[str] = Field(description="Datasets the version was trained on.")
    data_sources: list[DataSourceCard]
    lineage_upstream: list[str] = Field(default_factory=list, description=(
        "What produced the version (lineage nodes upstream: dataset versions, tables)."))
    lineage_downstream: list[str] = Field(default_factory=list, description=(
        "What the version produced or was used for (lineage nodes downstream)."))
    metrics: dict[str, float]
    inputs: list[dict[str, Any]] = Field(description="The signature's input columns.")
    outputs: list[dict[str, Any]]
    # quantitative analyses and explanations
    fairness: str = Field(description="Where the fairness evidence stands.")
    explanation: GlobalExplanation | None
    # ethical considerations
    risk: RiskAssessment | None
    approvals: list[ApprovalRequest]
    governance: GovernanceStatus
    # caveats and recommendations
    limitations: list[str]
    # monitoring
    monitoring: list[str]
