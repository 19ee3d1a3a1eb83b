"""Readiness attestations (the board's word on an item) and training records.

An attestation row is rewritten in place: the new state is written with
compare-and-set on ``revision`` (``UPDATE … WHERE id AND revision``), so two
board members changing the same item at once never silently overwrite each
other; the audit log keeps every earlier state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import PilotRow, ReadinessAttestationRow, TrainingRow
from pilotdeck.domain.revisions import stale


class ReadinessAttestationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, pilot_id: int, item: str, version: int) -> ReadinessAttestationRow | None:
        q = select(ReadinessAttestationRow).where(
            ReadinessAttestationRow.pilot_id == pilot_id, ReadinessAttestationRow.item == item,
            ReadinessAttestationRow.version == version)
        return self.session.execute(q).scalar_one_or_none()

    def add(self, **fields: Any) -> ReadinessAttestationRow:
        row = ReadinessAttestationRow(revision=1, **fields)
        self.session.add(row)
        self.session.flush()
        return row

    def save(self, row: ReadinessAttestationRow, name: str, **values: Any
             ) -> ReadinessAttestationRow:
        """Write ``values`` if nobody else did since ``row`` was read."""
        done = self.session.execute(
            update(ReadinessAttestationRow)
            .where(ReadinessAttestationRow.id == row.id,
                   ReadinessAttestationRow.revision == row.revision)
            .values(revision=row.revision + 1, **values)
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise stale("readiness attestation", name, row.revision)
        self.session.refresh(row)
        return row

    def for_pilot(self, pilot_id: int, version: int | None = None
                  ) -> list[ReadinessAttestationRow]:
        """Not revoked; with ``version``, those for it and those for every version."""
        q = select(ReadinessAttestationRow).where(
            ReadinessAttestationRow.pilot_id == pilot_id,
            ReadinessAttestationRow.revoked_at.is_(None))
        if version is not None:
            q = q.where(ReadinessAttestationRow.version.in_((0, version)))
        return list(self.session.execute(q.order_by(ReadinessAttestationRow.item,
                                                    ReadinessAttestationRow.version)).scalars())


class TrainingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, **fields: Any) -> TrainingRow:
        row = TrainingRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def list(self, *, pilot_id: int | None = None, team: str | None = None,
             current_at: datetime | None = None, limit: int = 500
             ) -> list[tuple[TrainingRow, str | None]]:
        """Newest completion first, each with its pilot's name; ``pilot_id`` and
        ``team`` together match either; ``current_at``: not expired then."""
        q = select(TrainingRow, PilotRow.name).outerjoin(PilotRow,
                                                         PilotRow.id == TrainingRow.pilot_id)
        names = [c for c in (TrainingRow.pilot_id == pilot_id if pilot_id is not None else None,
                             TrainingRow.team == team if team is not None else None)
                 if c is not None]
        if names:
            q = q.where(or_(*names))
        if current_at is not None:
            q = q.where(or_(TrainingRow.expires_at.is_(None),
                            TrainingRow.expires_at > current_at))
        q = q.order_by(TrainingRow.completed_at.desc(), TrainingRow.id.desc()).limit(limit)
        return [(r, n) for r, n in self.session.execute(q).all()]
