"""API token repository. Only SHA-256 digests of tokens are stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import TokenRow


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, user: str, role: str, pilots: list[str], token_hash: str, prefix: str,
            now: datetime, created_by: str, pilot_ids: list[int] | None = None,
            team: str | None = None) -> TokenRow:
        """A new token; ``pilot_ids`` is the grant's pilots (None: not limited; a
        pilot-team token without ids is limited to nothing)."""
        row = TokenRow(user=user, role=role, pilots=pilots, pilot_ids=pilot_ids,
                       token_hash=token_hash, prefix=prefix, created_at=now,
                       created_by=created_by, team=team)
        self.session.add(row)
        self.session.flush()
        return row

    def by_hash(self, token_hash: str) -> TokenRow | None:
        return self.session.execute(
            select(TokenRow).where(TokenRow.token_hash == token_hash)
        ).scalar_one_or_none()

    def get(self, token_id: int) -> TokenRow | None:
        return self.session.get(TokenRow, token_id)

    def list(self, include_revoked: bool = False) -> list[TokenRow]:
        q = select(TokenRow).order_by(TokenRow.id)
        if not include_revoked:
            q = q.where(TokenRow.revoked_at.is_(None))
        return list(self.session.execute(q).scalars())

    def any_admin(self) -> bool:
        return self.session.execute(
            select(TokenRow.id).where(TokenRow.role == "admin").limit(1)
        ).first() is not None
