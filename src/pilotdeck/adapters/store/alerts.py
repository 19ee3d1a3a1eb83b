"""Alert repository: open alerts are found by fingerprint, so evaluations dedupe;
changes are compare-and-set on ``revision``."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import AlertRow, AlertSilenceRow
from pilotdeck.domain.revisions import stale


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

    def update(self, row: AlertRow, expected: int | None = None, **values: Any) -> int:
        """``UPDATE alerts SET …, revision = revision + 1 WHERE id = ? AND revision = ?``
        (default: the revision read); returns the new revision."""
        want = row.revision if expected is None else expected
        result = self.session.execute(
            update(AlertRow).where(AlertRow.id == row.id, AlertRow.revision == want)
            .values(revision=AlertRow.revision + 1, **values)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise stale("alert", str(row.id), want)
        self.session.expire(row)
        return want + 1

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

    # -- silences --------------------------------------------------------------
    def add_silence(self, **fields: Any) -> AlertSilenceRow:
        row = AlertSilenceRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def silence(self, silence_id: int) -> AlertSilenceRow | None:
        return self.session.get(AlertSilenceRow, silence_id)

    def silences(self, active_at: datetime | None = None, limit: int = 200
                 ) -> builtins.list[AlertSilenceRow]:
        """Newest first; with ``active_at``, only those in force at that time."""
        q = select(AlertSilenceRow).order_by(AlertSilenceRow.id.desc()).limit(limit)
        if active_at is not None:
            q = q.where(AlertSilenceRow.ended_at.is_(None), AlertSilenceRow.until > active_at)
        return list(self.session.execute(q).scalars())
