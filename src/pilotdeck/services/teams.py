"""Teams of the centre of excellence: create, change and delete them, seat members.

Permissions follow membership: a token issued to a member through the team
(:meth:`pilotdeck.services.access.AccessService.create` with the team) carries
the role the member holds and, for a pilot team, the team's pilots; it is
resolved again at every authentication, so a changed role or pilot list applies
at once. Removing a member (or deleting the team) also revokes their team
tokens in the same transaction, so ``tokens list`` shows what still works and
the audit log says when access ended. Changing teams is ``tokens:manage``: the
administrators who already decide who may do what.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal, Role
from pilotdeck.auth.teams import (
    DEFAULT_ROLE,
    TEAM_RE,
    TeamKind,
    member_problem,
    role_problem,
)
from pilotdeck.domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.revisions import ANY_REVISION, check_revision
from pilotdeck.domain.when import as_utc
from pilotdeck.views.teams import Team, TeamMember

E = TypeVar("E", bound=StrEnum)

__all__ = ["TeamService", "parse_kind"]

DESCRIPTION_MAX = 2000


def _one_of(kind: type[E], value: str, what: str, field: str) -> E:
    """``value`` as a member of ``kind``, or a 422 naming ``field`` and the choices."""
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(k.value for k in kind)
        raise ValidationFailed(f"invalid {what}", [FieldError(
            field, f"must be one of {known}, got {value[:40]!r}")]) from None


def parse_kind(value: str) -> TeamKind:
    return _one_of(TeamKind, value, "team", "kind")


def _role(value: str) -> Role:
    return _one_of(Role, value, "member", "role")


def _may_manage(who: Principal) -> None:
    if not who.can(Permission.TOKENS_MANAGE):
        raise Forbidden(f"{who.user} may not change teams (tokens:manage)")


class TeamService:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reading -----------------------------------------------------------------
    def get(self, name: str) -> Team:
        with self.store.read() as uow:
            return _view(uow, uow.teams.get(name), uow.pilots.names_by_id())

    def owner(self, pilot: str) -> Team | None:
        """The pilot team that owns ``pilot`` (None: no team owns it)."""
        with self.store.read() as uow:
            row = uow.teams.owner_of(uow.pilots.get(pilot).id)
            return None if row is None else _view(uow, row, uow.pilots.names_by_id())

    # -- changing ----------------------------------------------------------------
    def create(self, name: str, kind: str, who: Principal, *, description: str = "",
               pilots: list[str] | None = None) -> Team:
        _may_manage(who)
        k = parse_kind(kind)
        errors = _team_errors(name, description)
        if pilots and k is not TeamKind.PILOT:
            errors.append(FieldError("pilots", f"only pilot teams own pilots, not a {k} team"))
        if errors:
            raise ValidationFailed("invalid team", errors)
        now = utcnow()
        with self.store.write() as uow:
            if uow.teams.find(name) is not None:
                raise ValidationFailed("invalid team", [FieldError(
                    "name", f"a team named {name!r} exists already")])
            ids = _pilot_ids(uow, sorted(set(pilots or [])), None)
            row = uow.teams.add(name=name, kind=k.value, description=description,
                                pilot_ids=ids, created_at=now, created_by=who.user,
                                updated_at=now, updated_by=who.user,
                                revision=uow.audit_events.changes("team", name) + 1)
            team = _view(uow, row, uow.pilots.names_by_id())
            uow.audit.record(who.user, "team.created", "team", name, {
                "kind": k.value, "description": description, "pilots": team.pilots,
                "pilotIds": ids, "revision": row.revision}, now)
            return team

    def update(self, name: str, who: Principal, *, description: str | None = None,
               pilots: list[str] | None = None, expected_revision: int | None = None) -> Team:
        """Change the description and/or the pilots a pilot team owns."""
        _may_manage(who)
        errors = _team_errors(name, description or "", check_name=False)
        if errors:
            raise ValidationFailed("invalid team", errors)
        now = utcnow()
        with self.store.write() as uow:
            row = uow.teams.get(name)
            check_revision("team", name, row.revision, expected_revision)
            names = uow.pilots.names_by_id()
            values: dict[str, Any] = {}
            if description is not None:
                values["description"] = description
            if pilots is not None:
                if pilots and row.kind != TeamKind.PILOT.value:
                    raise ValidationFailed("invalid team", [FieldError(
                        "pilots", f"only pilot teams own pilots, not a {row.kind} team")])
                values["pilot_ids"] = _pilot_ids(uow, sorted(set(pilots)), row.id)
            before = {"description": row.description,
                      "pilots": sorted(names[i] for i in row.pilot_ids if i in names)}
            uow.teams.bump(row, _want(row.revision, expected_revision), now, who.user,
                           **values)
            team = _view(uow, row, names)
            uow.audit.record(who.user, "team.updated", "team", name, {
                "before": before, "after": {"description": team.description,
                                            "pilots": team.pilots},
                "revision": team.revision}, now)
            return team

    def delete(self, name: str, who: Principal, *, expected_revision: int | None = None
               ) -> None:
        """Delete the team; its members' team tokens are revoked with it."""
        _may_manage(who)
        now = utcnow()
        with self.store.write() as uow:
            row = uow.teams.get(name)
            check_revision("team", name, row.revision, expected_revision)
            _revoke(uow, row, None, who, now, f"team {name} deleted")
            members = [m.user for m in uow.teams.members(row.id)]
            revision = row.revision
            uow.teams.delete(row, _want(revision, expected_revision))
            uow.audit.record(who.user, "team.deleted", "team", name, {
                "kind": row.kind, "members": members, "revision": revision}, now)

    def add_member(self, name: str, user: str, who: Principal, *, role: str | None = None,
                   expected_revision: int | None = None) -> Team:
        """Seat ``user`` in the team with ``role`` (default: the kind's usual role),
        or change the role of a member; their team tokens follow at once."""
        _may_manage(who)
        problem = member_problem(user)
        if problem:
            raise ValidationFailed("invalid member", [FieldError("user", problem)])
        r = _role(role) if role is not None else None
        now = utcnow()
        with self.store.write() as uow:
            row = uow.teams.get(name)
            check_revision("team", name, row.revision, expected_revision)
            kind = TeamKind(row.kind)
            r = r or DEFAULT_ROLE[kind]
            problem = role_problem(kind, r)
            if problem:
                raise ValidationFailed("invalid member", [FieldError("role", problem)])
            before = uow.teams.member(row.id, user)
            old = before.role if before is not None else None
            uow.teams.put_member(row.id, user, r.value, now, who.user)
            uow.teams.bump(row, _want(row.revision, expected_revision), now, who.user)
            action = "team.member_added" if old is None else "team.member_changed"
            uow.audit.record(who.user, action, "team", name, {
                "user": user, "role": r.value, "before": old, "revision": row.revision}, now)
            return _view(uow, row, uow.pilots.names_by_id())

    def remove_member(self, name: str, user: str, who: Principal, *,
                      expected_revision: int | None = None) -> Team:
        """Unseat ``user``; their team tokens are revoked in the same transaction."""
        _may_manage(who)
        now = utcnow()
        with self.store.write() as uow:
            row = uow.teams.get(name)
            check_revision("team", name, row.revision, expected_revision)
            member = uow.teams.member(row.id, user)
            if member is None:
                raise NotFound(f"member of team {name}", user)
            role = member.role
            revoked = _revoke(uow, row, user, who, now, f"removed from team {name}")
            uow.teams.remove_member(row.id, user)
            uow.teams.bump(row, _want(row.revision, expected_revision), now, who.user)
            uow.audit.record(who.user, "team.member_removed", "team", name, {
                "user": user, "role": role, "revokedTokens": revoked,
                "revision": row.revision}, now)
            return _view(uow, row, uow.pilots.names_by_id())

    # Last in the class: above it, ``list`` in an annotation is the builtin.
    def list(self, kind: str | None = None) -> list[Team]:
        k = parse_kind(kind).value if kind is not None else None
        with self.store.read() as uow:
            names = uow.pilots.names_by_id()
            return [_view(uow, t, names) for t in uow.teams.of_kind(k)]


def _want(current: int, expected: int | None) -> int:
    """The revision the compare-and-set expects (the one just read, unless told)."""
    return current if expected is None or expected == ANY_REVISION else expected


def _team_errors(name: str, description: str, *, check_name: bool = True) -> list[FieldError]:
    errors = []
    if check_name and not TEAM_RE.match(name):
        errors.append(FieldError("name", "lowercase letters, digits, '.', '_' or '-', "
                                         "at most 63 characters"))
    if len(description) > DESCRIPTION_MAX:
        errors.append(FieldError("description", f"at most {DESCRIPTION_MAX} characters"))
    elif "\x00" in description:
        errors.append(FieldError("description", "must not contain a NUL character"))
    return errors


def _pilot_ids(uow: Any, pilots: list[str], team_id: int | None) -> list[int]:
    """The ids of ``pilots``; each must exist and not be owned by another pilot team."""
    found = uow.pilots.by_names(pilots)
    missing = sorted(set(pilots) - set(found))
    if missing:
        raise ValidationFailed("invalid team", [FieldError(
            "pilots", f"unknown pilot(s): {', '.join(missing)}")])
    taken = []
    for name in pilots:
        owner = uow.teams.owner_of(found[name].id)
        if owner is not None and owner.id != team_id:
            taken.append(f"{name} (team {owner.name})")
    if taken:
        raise ValidationFailed("invalid team", [FieldError(
            "pilots", f"owned by another pilot team already: {', '.join(taken)}")])
    return sorted(found[n].id for n in pilots)


def _revoke(uow: Any, team: Any, user: str | None, who: Principal, now: Any,
            reason: str) -> list[int]:
    """Revoke the team tokens of ``user`` (every member's when None); audited."""
    out = []
    for tok in uow.teams.tokens(team.id, user):
        tok.revoked_at = now
        uow.audit.record(who.user, "role.revoked", "token", str(tok.id), {
            "user": tok.user, "role": tok.role, "prefix": tok.prefix, "team": team.name,
            "reason": reason}, now)
        out.append(tok.id)
    return out


def _view(uow: Any, row: Any, names: dict[int, str]) -> Team:
    members = [TeamMember(user=m.user, role=m.role, added_at=iso(as_utc(m.added_at)),
                          added_by=m.added_by) for m in uow.teams.members(row.id)]
    return Team(name=row.name, kind=row.kind, description=row.description,
                pilots=sorted(names[i] for i in row.pilot_ids or [] if i in names),
                members=members, revision=row.revision,
                created_at=iso(as_utc(row.created_at)), created_by=row.created_by,
                updated_at=iso(as_utc(row.updated_at)), updated_by=row.updated_by)
