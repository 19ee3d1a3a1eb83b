"""Risk assessment repository: every assessment is kept; the newest one counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import RiskAssessmentRow


class RiskRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, pilot_id: int, questionnaire: str, questionnaire_version: int,
            answers: dict[str, str], tier: str, score: float, result: dict[str, Any],
            assessed_at: datetime, assessed_by: str, expires_at: datetime
            ) -> RiskAssessmentRow:
        row = RiskAssessmentRow(
            pilot_id=pilot_id, questionnaire=questionnaire,
            questionnaire_version=questionnaire_version, answers=answers, tier=tier,
            score=score, result=result, assessed_at=assessed_at, assessed_by=assessed_by,
            expires_at=expires_at)
        self.session.add(row)
        self.session.flush()
        return row

    def history(self, pilot_id: int, limit: int = 100) -> list[RiskAssessmentRow]:
        """Newest first: in the order they were recorded (the last one counts)."""
        q = (select(RiskAssessmentRow).where(RiskAssessmentRow.pilot_id == pilot_id)
             .order_by(RiskAssessmentRow.id.desc())
             .limit(limit))
        return list(self.session.execute(q).scalars())

    def latest(self, pilot_id: int) -> RiskAssessmentRow | None:
        rows = self.history(pilot_id, limit=1)
        return rows[0] if rows else None
