"""Global explanations of model versions (per-prediction ones are the gateway's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath, positive_path
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import NotFound
from pilotdeck.platform import Platform
from pilotdeck.views.explain import GlobalExplanation

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
