"""Model versions (in MLflow, linked to a pilot) and a pilot's serving configuration."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.views.base import View

__all__ = ["Deployment", "ModelVersion", "ModelVersionList"]


class ModelVersion(View):
    """One registered version with its lineage, aliases and deployment status."""

    pilot: str
    version: int
    run_id: str | None = Field(description="The MLflow run it came from, if any.")
    source: str = Field(description="Where MLflow keeps the model's artifacts.")
    metrics: dict[str, float]
    datasets: list[str] = Field(description="Training data (lineage).")
    signature: dict[str, Any] | None = Field(
        description="MLflow model signature (inputs, outputs), if the model has one.")
    aliases: list[str] = Field(description="champion / challenger, if they point here.")
    deployment: str = Field(description="e.g. 'champion (90%)', 'shadow' or 'not deployed'.")
    registered_at: str = Field(description="ISO 8601, UTC.")
    registered_by: str


class ModelVersionList(View):
    items: list[ModelVersion]


class Deployment(View):
    """A pilot's serving configuration as stored: revision and who changed it last."""

    pilot: str
    revision: int = Field(description="1 on creation, +1 per change.")
    spec: DeploymentSpec
    updated_at: str = Field(description="ISO 8601, UTC.")
    updated_by: str
