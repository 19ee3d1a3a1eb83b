"""Evidence about a model version: its global explanation (per-prediction ones are
the gateway's) and its fairness report on a labelled table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath, positive_path
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import NotFound
from pilotdeck.domain.inputs import NO_NUL
from pilotdeck.platform import Platform
from pilotdeck.views.explain import GlobalExplanation
from pilotdeck.views.monitoring import VersionFairness

Version = Annotated[int, positive_path("Model version")]

router = APIRouter(prefix="/v1", tags=["explanations"])


@router.post("/pilots/{pilot}/models/{version}/explanation",
             summary="Compute and store the version's global explanation (mean |SHAP|)")
def compute_explanation(pilot: PilotPath, version: Version,
                        who: Principal = require(Permission.MODELS_WRITE),
                        platform: Platform = Depends(get_platform)) -> GlobalExplanation:
    return platform.explanations.compute_global(pilot, version, who)


@router.get("/pilots/{pilot}/models/{version}/explanation",
            summary="The version's stored global explanation")
def explanation(pilot: PilotPath, version: Version,
                who: Principal = require(Permission.MODELS_READ),
                platform: Platform = Depends(get_platform)) -> GlobalExplanation:
    stored = platform.explanations.stored(pilot, version)
    if stored is None:
        raise NotFound("explanation of model version", f"{pilot}/{version}")
    return stored


class FairnessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    data: str = Field(max_length=1000, pattern=NO_NUL,
                      description="Labelled Parquet table on the server (under a configured "
                                  "server path) with the version's inputs.")
    label: str = Field("label", max_length=200, pattern=NO_NUL)
    sensitive: list[Annotated[str, Field(max_length=200, pattern=NO_NUL)]] = Field(
        min_length=1, max_length=10)


@router.post("/pilots/{pilot}/models/{version}/fairness",
             summary="Score a labelled table with the version and store its fairness report")
def evaluate_fairness(pilot: PilotPath, version: Version, body: FairnessRequest,
                      who: Principal = require(Permission.MODELS_WRITE),
                      platform: Platform = Depends(get_platform)) -> VersionFairness:
    data = Path(platform.server_paths.resolve(body.data, "data"))
    return platform.fairness.evaluate(pilot, version, data, body.label, body.sensitive, who)


@router.get("/pilots/{pilot}/models/{version}/fairness",
            summary="The version's stored fairness report")
def fairness(pilot: PilotPath, version: Version,
             who: Principal = require(Permission.MODELS_READ),
             platform: Platform = Depends(get_platform)) -> VersionFairness:
    stored = platform.fairness.stored(pilot, version)
    if stored is None:
        raise NotFound("fairness report of model version", f"{pilot}/{version}")
    return stored
