"""Saving a pilot's one spec row (its deployment, its SLA) with a compare-and-set.

Both tables hold one JSON spec per pilot with a revision, updated_at and
updated_by; both are replaced only at the revision the caller read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import PilotRow
from pilotdeck.domain.revisions import stale

Row = TypeVar("Row")


def pilot_name(session: Session, pilot_id: int) -> str:
    pilot = session.get(PilotRow, pilot_id)
    return pilot.name if pilot else str(pilot_id)


def save_spec(session: Session, model: type[Row], what: str, pilot_id: int,
              spec: dict[str, Any], now: datetime, who: str, *, expected: int | None,
              first: int) -> Row:
    """Insert at revision ``first``, or replace with ``UPDATE … WHERE pilot_id = ? AND
    revision = ?`` against ``expected`` (default: the revision this transaction reads);
    a lost race is the PreconditionFailed of ``stale``, naming ``what``."""
    table: Any = model  # a mapped class with pilot_id, spec, revision, updated_*
    row: Any = session.get(model, pilot_id)
    if row is None:
        row = table(pilot_id=pilot_id, spec=spec, revision=first, updated_at=now,
                    updated_by=who)
        session.add(row)
        session.flush()
        return row  # type: ignore[no-any-return]
    want = row.revision if expected is None else expected
    result = session.execute(
        update(table).where(table.pilot_id == pilot_id, table.revision == want)
        .values(spec=spec, revision=table.revision + 1, updated_at=now, updated_by=who)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise stale(what, pilot_name(session, pilot_id), want)
    session.expire(row)
    return row  # type: ignore[no-any-return]
