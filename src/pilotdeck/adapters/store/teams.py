"""Team repository: teams, their members, and the scope a team token carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import TokenRow
from pilotdeck.adapters.store.team_rows import TeamMemberRow, TeamRow
from pilotdeck.domain.errors import NotFound
from pilotdeck.domain.revisions import stale


@dataclass(frozen=True)
class TeamScope:
    """What a team token resolves to: the team, its members' roles, its pilots."""

    id: int
    name: str
    kind: str
    members: dict[str, str]  # user -> role
    pilot_ids: list[int]


class TeamRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, name: str) -> TeamRow | None:
        return self.session.execute(
            select(TeamRow).where(TeamRow.name == name)).scalar_one_or_none()

    def get(self, name: str) -> TeamRow:
        row = self.find(name)
        if row is None:
            raise NotFound("team", name)
        return row

    def names(self) -> list[str]:
        return list(self.session.execute(select(TeamRow.name).order_by(TeamRow.name))
                    .scalars())

    def of_kind(self, kind: str | None = None) -> list[TeamRow]:
        q = select(TeamRow).order_by(TeamRow.name)
        if kind is not None:
            q = q.where(TeamRow.kind == kind)
        return list(self.session.execute(q).scalars())

    def add(self, **fields: Any) -> TeamRow:
        row = TeamRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def bump(self, row: TeamRow, expected: int, now: datetime, who: str,
             **values: Any) -> None:
        """Change the team (and bump its revision) only if it is still at ``expected``."""
        result = self.session.execute(
            update(TeamRow).where(TeamRow.id == row.id, TeamRow.revision == expected)
            .values(revision=TeamRow.revision + 1, updated_at=now, updated_by=who, **values)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise stale("team", row.name, expected)
        self.session.expire(row)

    def delete(self, row: TeamRow, expected: int) -> None:
        result = self.session.execute(
            delete(TeamRow).where(TeamRow.id == row.id, TeamRow.revision == expected)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise stale("team", row.name, expected)

    def members(self, team_id: int) -> list[TeamMemberRow]:
        return list(self.session.execute(
            select(TeamMemberRow).where(TeamMemberRow.team_id == team_id)
            .order_by(TeamMemberRow.user)).scalars())

    def member(self, team_id: int, user: str) -> TeamMemberRow | None:
        return self.session.get(TeamMemberRow, (team_id, user))

    def put_member(self, team_id: int, user: str, role: str, now: datetime,
                   who: str) -> TeamMemberRow:
        row = self.member(team_id, user)
        if row is None:
            row = TeamMemberRow(team_id=team_id, user=user, role=role, added_at=now,
                                added_by=who)
            self.session.add(row)
        else:
            row.role = role
        self.session.flush()
        return row

    def remove_member(self, team_id: int, user: str) -> None:
        self.session.execute(delete(TeamMemberRow).where(
            TeamMemberRow.team_id == team_id, TeamMemberRow.user == user))

    def memberships(self, user: str) -> list[tuple[TeamRow, str]]:
        """The teams ``user`` belongs to, with the role held in each."""
        rows = self.session.execute(
            select(TeamRow, TeamMemberRow.role).join(
                TeamMemberRow, TeamMemberRow.team_id == TeamRow.id)
            .where(TeamMemberRow.user == user).order_by(TeamRow.name)).all()
        return [(t, r) for t, r in rows]

    def owner_of(self, pilot_id: int) -> TeamRow | None:
        """The pilot team that owns the pilot (at most one: the service ensures it)."""
        for row in self.of_kind("pilot"):
            if pilot_id in (row.pilot_ids or []):
                return row
        return None

    def scopes(self, team_ids: list[int] | None = None) -> dict[int, TeamScope]:
        """Each team's members and pilots (all teams when ``team_ids`` is None)."""
        q = select(TeamRow)
        if team_ids is not None:
            if not team_ids:
                return {}
            q = q.where(TeamRow.id.in_(sorted(set(team_ids))))
        teams = list(self.session.execute(q).scalars())
        members: dict[int, dict[str, str]] = {t.id: {} for t in teams}
        if teams:
            for m in self.session.execute(select(TeamMemberRow).where(
                    TeamMemberRow.team_id.in_(list(members)))).scalars():
                members[m.team_id][m.user] = m.role
        return {t.id: TeamScope(t.id, t.name, t.kind, members[t.id], list(t.pilot_ids or []))
                for t in teams}

    def tokens(self, team_id: int, user: str | None = None) -> list[TokenRow]:
        """Active tokens issued through the team (to ``user`` only, when given)."""
        q = select(TokenRow).where(TokenRow.team_id == team_id, TokenRow.revoked_at.is_(None))
        if user is not None:
            q = q.where(TokenRow.user == user)
        return list(self.session.execute(q.order_by(TokenRow.id)).scalars())
