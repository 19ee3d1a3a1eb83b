"""Rollout and lease repositories.

A rollout is written with compare-and-set on ``revision``: the controller (on
whichever replica leads) and a person pausing or aborting may act at the same
moment; one wins and the other re-reads, never a silent overwrite. The lease
is taken with a conditional UPDATE (or the first INSERT), which every database
serialises, so at most one replica believes it leads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import LeaseRow, RolloutRow
from pilotdeck.domain.errors import Conflict


class RolloutRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, **fields: Any) -> RolloutRow:
        row = RolloutRow(revision=1, **fields)
        self.session.add(row)
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError:
            raise Conflict("the pilot already has an active rollout; abort or finish it "
                           "first") from None
        return row

    def active(self, pilot_id: int) -> RolloutRow | None:
        return self.session.execute(select(RolloutRow).where(
            RolloutRow.active_pilot_id == pilot_id)).scalar_one_or_none()

    def all_active(self) -> list[RolloutRow]:
        return list(self.session.execute(select(RolloutRow).where(
            RolloutRow.active_pilot_id.is_not(None)).order_by(RolloutRow.id)).scalars())

    def latest(self, pilot_id: int) -> RolloutRow | None:
        return self.session.execute(select(RolloutRow).where(
            RolloutRow.pilot_id == pilot_id).order_by(RolloutRow.id.desc()).limit(1)
        ).scalar_one_or_none()

    def history(self, pilot_id: int, limit: int = 20) -> list[RolloutRow]:
        return list(self.session.execute(select(RolloutRow).where(
            RolloutRow.pilot_id == pilot_id).order_by(RolloutRow.id.desc()).limit(limit)
        ).scalars())

    def save(self, row: RolloutRow, **values: Any) -> None:
        """Write ``values`` if nobody changed the rollout since ``row`` was read."""
        done = self.session.execute(
            update(RolloutRow)
            .where(RolloutRow.id == row.id, RolloutRow.revision == row.revision)
            .values(revision=row.revision + 1, **values)
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"rollout {row.id} changed meanwhile; read it and retry")
        self.session.expire(row)


class LeaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease; False while another holder's lease runs."""
        done = self.session.execute(
            update(LeaseRow)
            .where(LeaseRow.name == name,
                   (LeaseRow.holder == holder) | (LeaseRow.expires_at < now))
            .values(holder=holder, expires_at=until)
            .execution_options(synchronize_session=False))
        if done.rowcount == 1:  # type: ignore[attr-defined]
            return True
        if self.session.get(LeaseRow, name) is not None:
            return False
        try:
            with self.session.begin_nested():
                self.session.add(LeaseRow(name=name, holder=holder, expires_at=until))
                self.session.flush()
        except IntegrityError:  # another replica inserted it first
            return False
        return True

    def release(self, name: str, holder: str) -> None:
        row = self.session.get(LeaseRow, name)
        if row is not None and row.holder == holder:
            self.session.delete(row)

    def holder(self, name: str) -> tuple[str, datetime] | None:
        row = self.session.get(LeaseRow, name)
        return (row.holder, row.expires_at) if row is not None else None
