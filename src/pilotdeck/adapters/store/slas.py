"""SLA repository: one agreement per pilot, replaced with a compare-and-set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import SLARow
from pilotdeck.adapters.store.pilot_specs import pilot_name, save_spec
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
        return save_spec(self.session, SLARow, "SLA of pilot", pilot_id, spec, now, who,
                         expected=expected, first=first)

    def delete(self, pilot_id: int, expected: int) -> None:
        """Delete the row if it is still at ``expected`` (a compare-and-set)."""
        result = self.session.execute(
            delete(SLARow).where(SLARow.pilot_id == pilot_id, SLARow.revision == expected)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise stale("SLA of pilot", pilot_name(self.session, pilot_id), expected)
