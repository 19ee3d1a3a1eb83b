"""Assessment repository: every assessment is kept, so history is a query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import AssessmentRow


class AssessmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, scope: str, pilot_id: int | None, model_name: str, assessed_at: datetime,
            assessor: str, overall_level: int, result: dict[str, Any]) -> AssessmentRow:
        row = AssessmentRow(
            scope=scope, pilot_id=pilot_id, model_name=model_name, assessed_at=assessed_at,
            assessor=assessor, overall_level=overall_level, result=result,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def history(self, scope: str, limit: int = 100) -> list[AssessmentRow]:
        q = (
            select(AssessmentRow)
            .where(AssessmentRow.scope == scope)
            .order_by(AssessmentRow.assessed_at.desc(), AssessmentRow.id.desc())
            .limit(limit)
        )
        return list(self.session.execute(q).scalars())

    def latest(self, scope: str) -> AssessmentRow | None:
        rows = self.history(scope, limit=1)
        return rows[0] if rows else None

    def latest_by_scope(self) -> dict[str, AssessmentRow]:
        out: dict[str, AssessmentRow] = {}
        for row in self.session.execute(
            select(AssessmentRow).order_by(AssessmentRow.assessed_at, AssessmentRow.id)
        ).scalars():
            out[row.scope] = row
        return out
