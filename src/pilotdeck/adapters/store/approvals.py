"""Approval and attestation repositories.

Votes are written with compare-and-set on ``revision`` (``UPDATE … WHERE id
AND revision``): two board members approving at the same moment must both be
counted, or the second told to retry, never silently overwritten.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import ApprovalRow, AttestationRow, PilotRow
from pilotdeck.domain.errors import Conflict, NotFound


class ApprovalRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, **fields: Any) -> ApprovalRow:
        row = ApprovalRow(revision=1, votes=[], **fields)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, approval_id: int) -> ApprovalRow:
        row = self.session.get(ApprovalRow, approval_id)
        if row is None:
            raise NotFound("approval request", approval_id)
        return row

    def pilot_name(self, pilot_id: int) -> str:
        name = self.session.execute(select(PilotRow.name).where(PilotRow.id == pilot_id))
        return str(name.scalar_one())

    def save(self, row: ApprovalRow, *, status: str, votes: list[dict[str, Any]],
             expires_at: datetime | None) -> ApprovalRow:
        """Write the new state if nobody else did since ``row`` was read."""
        done = self.session.execute(
            update(ApprovalRow)
            .where(ApprovalRow.id == row.id, ApprovalRow.revision == row.revision)
            .values(status=status, votes=votes, expires_at=expires_at,
                    revision=row.revision + 1)
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"approval request {row.id} changed meanwhile; read it and retry")
        self.session.refresh(row)
        return row

    def list(self, *, pilot_id: int | None = None, version: int | None = None,
             statuses: tuple[str, ...] | None = None, limit: int = 100) -> list[ApprovalRow]:
        """Newest first."""
        q = select(ApprovalRow)
        if pilot_id is not None:
            q = q.where(ApprovalRow.pilot_id == pilot_id)
        if version is not None:
            q = q.where(ApprovalRow.version == version)
        if statuses:
            q = q.where(ApprovalRow.status.in_(statuses))
        q = q.order_by(ApprovalRow.requested_at.desc(), ApprovalRow.id.desc()).limit(limit)
        return list(self.session.execute(q).scalars())


class AttestationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, **fields: Any) -> AttestationRow:
        row = AttestationRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, attestation_id: int) -> AttestationRow:
        row = self.session.get(AttestationRow, attestation_id)
        if row is None:
            raise NotFound("attestation", attestation_id)
        return row

    def list(self, pilot_id: int, limit: int = 200) -> list[AttestationRow]:
        """Newest first, revoked ones included."""
        q = (select(AttestationRow).where(AttestationRow.pilot_id == pilot_id)
             .order_by(AttestationRow.attested_at.desc(), AttestationRow.id.desc()).limit(limit))
        return list(self.session.execute(q).scalars())
