"""Alert repository: open alerts are found by fingerprint, so evaluations dedupe."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import AlertRow


class AlertRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open_by_fingerprint(self, fingerprint: str) -> AlertRow | None:
        return self.session.execute(
            select(AlertRow).where(AlertRow.fingerprint == fingerprint,
                                   AlertRow.status == "open")
        ).scalars().first()

    def add(self, **fields: Any) -> AlertRow:
        row = AlertRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, alert_id: int) -> AlertRow | None:
        return self.session.get(AlertRow, alert_id)

    def list(self, pilot: str | None = None, status: str | None = None,
             limit: int = 200) -> list[AlertRow]:
        q = select(AlertRow).order_by(AlertRow.id.desc()).limit(limit)
        if pilot is not None:
            q = q.where(AlertRow.pilot == pilot)
        if status is not None:
            q = q.where(AlertRow.status == status)
        return list(self.session.execute(q).scalars())
