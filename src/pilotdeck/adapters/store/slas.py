"""SLA repository: one agreement per pilot, replaced with a compare-and-set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import PilotRow, SLARow
from pilotdeck.domain.revisions import stale


class SLARepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, pilot_id: int) -> SLARow | None:
        return self.session.get(SLARow, pilot_id)

    def save(self, pilot_id: int, spec: dict[str, Any], now: datetime, who: str, *,
             expected: int | None = None, first: int = 1) -> SLARow:
        """Insert at revision ``first``, or replace with ``UPDATE … WHERE revision = ?``
        against ``expected`` (default: the revision this transaction reads)."""
        row = self.session.get(SLARow, pilot_id)
        if row is None:
            row = SLARow(pilot_id=pilot_id, spec=spec, revision=first, updated_at=now,
                         updated_by=who)
            self.session.add(row)
            self.session.flush()
            return row
        want = row.revision if expected is None else expected
        result = self.session.execute(
            update(SLARow).where(SLARow.pilot_id == pilot_id, SLARow.revision == want)
            .values(spec=spec, revision=SLARow.revision + 1, updated_at=now, updated_by=who)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise stale("SLA of pilot", self._name(pilot_id), want)
        self.session.expire(row)
        return row

    def delete(self, pilot_id: int, expected: int) -> None:
        """Delete the row if it is still at ``expected`` (a compare-and-set)."""
        result = self.session.execute(
            delete(SLARow).where(SLARow.pilot_id == pilot_id, SLARow.revision == expected)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise stale("SLA of pilot", self._name(pilot_id), expected)

    def _name(self, pilot_id: int) -> str:
        pilot = self.session.get(PilotRow, pilot_id)
        return pilot.name if pilot else str(pilot_id)
