"""Pilot repository. Updates are compare-and-set on ``revision``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import PilotRow
from pilotdeck.domain.errors import NotFound
from pilotdeck.domain.query import PilotFilter
from pilotdeck.domain.revisions import stale


class PilotRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, name: str) -> PilotRow | None:
        return self.session.execute(
            select(PilotRow).where(PilotRow.name == name)
        ).scalar_one_or_none()

    def get(self, name: str) -> PilotRow:
        row = self.find(name)
        if row is None:
            raise NotFound("pilot", name)
        return row

    def by_names(self, names: list[str]) -> dict[str, PilotRow]:
        if not names:
            return {}
        rows = self.session.execute(select(PilotRow).where(PilotRow.name.in_(names))).scalars()
        return {r.name: r for r in rows}

    def names_by_id(self, ids: list[int] | None = None) -> dict[int, str]:
        """Current names of pilot ids (of every pilot when ``ids`` is None); ids of
        deleted pilots are simply absent."""
        q = select(PilotRow.id, PilotRow.name)
        if ids is not None:
            if not ids:
                return {}
            q = q.where(PilotRow.id.in_(ids))
        return {i: n for i, n in self.session.execute(q).all()}

    def _filtered(self, f: PilotFilter) -> Any:
        q = select(PilotRow)
        if f.business_unit:
            q = q.where(func.lower(PilotRow.business_unit) == f.business_unit.lower())
        if f.status:
            q = q.where(PilotRow.status == f.status)
        if f.owner:
            q = q.where(PilotRow.owner == f.owner)
        if f.names is not None:
            q = q.where(PilotRow.name.in_(sorted(f.names)))
        return q

    def list(self, f: PilotFilter, limit: int | None = None, offset: int = 0) -> list[PilotRow]:
        q = self._filtered(f).order_by(PilotRow.name).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return list(self.session.execute(q).scalars())

    def count(self, f: PilotFilter) -> int:
        sub = self._filtered(f).subquery()
        return int(self.session.execute(select(func.count()).select_from(sub)).scalar_one())

    def add(self, *, name: str, business_unit: str, owner: str, status: str,
            manifest: dict[str, Any], digest: str, now: datetime,
            revision: int = 1) -> PilotRow:
        """Insert a pilot; ``revision`` > 1 when the name had an earlier life, so an
        ETag read from the deleted pilot can never match the new one."""
        row = PilotRow(
            name=name, business_unit=business_unit, owner=owner, status=status,
            manifest=manifest, digest=digest, revision=revision, created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def update(self, row: PilotRow, expected: int, **values: Any) -> int:
        """``UPDATE pilots SET …, revision = revision + 1 WHERE id = ? AND revision = ?``.

        The compare-and-set is the database's, not a read-then-write here: a row
        changed by anyone since revision ``expected`` is left alone and the caller
        gets :class:`~pilotdeck.domain.errors.PreconditionFailed`. Returns the new
        revision."""
        result = self.session.execute(
            update(PilotRow)
            .where(PilotRow.id == row.id, PilotRow.revision == expected)
            .values(revision=PilotRow.revision + 1, **values)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise stale("pilot", row.name, expected)
        self.session.expire(row)  # the next read sees the stored values
        return expected + 1

    def delete(self, row: PilotRow, expected: int | None = None) -> None:
        """``DELETE … WHERE id = ? AND revision = ?`` (default: the revision read)."""
        want = row.revision if expected is None else expected
        result = self.session.execute(
            delete(PilotRow).where(PilotRow.id == row.id, PilotRow.revision == want)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise stale("pilot", row.name, want)
        self.session.expunge(row)
