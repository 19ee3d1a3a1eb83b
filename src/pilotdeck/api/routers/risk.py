"""Risk assessment routes: the questionnaire, and assessments per pilot."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.platform import Platform
from pilotdeck.views.risk import RiskAssessment, RiskQuestionnaire

router = APIRouter(prefix="/v1", tags=["risk"])



class RiskAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, str] = Field(
        description="Question id → option id; every question of `GET /v1/risk/questions`.",
        max_length=200)


@router.get("/risk/questions", summary="The risk questionnaire, tiers and their controls")
def questions(who: Principal = require(Permission.PILOTS_READ),
              platform: Platform = Depends(get_platform)) -> RiskQuestionnaire:
    return platform.risk.questions()


@router.post("/pilots/{pilot}/risk", status_code=status.HTTP_201_CREATED,
             summary="Assess a pilot's risk (tier, score, rationale, required controls)")
def assess(pilot: PilotPath, body: RiskAnswers, who: Principal = require(Permission.RISK_WRITE),
           platform: Platform = Depends(get_platform)) -> RiskAssessment:
    return platform.risk.assess(pilot, body.answers, who)


@router.get("/pilots/{pilot}/risk", summary="The pilot's newest risk assessment")
def latest(pilot: PilotPath, who: Principal = require(Permission.PILOTS_READ),
           platform: Platform = Depends(get_platform)) -> RiskAssessment:
    return platform.risk.latest(pilot)


@router.get("/pilots/{pilot}/risk/history", summary="Every risk assessment, newest first")
def history(pilot: PilotPath, limit: int = Query(100, ge=1, le=1000),
            who: Principal = require(Permission.PILOTS_READ),
            platform: Platform = Depends(get_platform)) -> list[RiskAssessment]:
    return platform.risk.history(pilot, limit)
