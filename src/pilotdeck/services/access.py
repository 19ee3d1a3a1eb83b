"""Users' API tokens and roles: create (shown once), revoke, authenticate."""

from __future__ import annotations

from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import MUST_BE_SCOPED, SCOPED, Permission, Principal, Role
from pilotdeck.auth.tokens import display_prefix, new_token, token_hash
from pilotdeck.domain.datasets import TEAM_RE
from pilotdeck.domain.errors import (
    FieldError,
    Forbidden,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from pilotdeck.domain.ports.store import Store
from pilotdeck.views.tokens import IssuedToken, Token


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ValidationFailed("invalid role",
                               [FieldError("role", f"must be one of {known}, got {value!r}")]
                               ) from None


class AccessService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, user: str, role: str | None, pilots: list[str], who: Principal,
               team: str | None = None) -> IssuedToken:
        """Grant ``role`` to ``user``; ``pilots`` limits a pilot-team token (required)
        or a client token (optional) to those pilots, recorded by id; ``team`` is the
        holder's team (dataset ownership and grants).

        When ``team`` names a registered team the token is a *team token*: only for a
        member, with the role the member holds there and a pilot team's pilots as its
        scope, both read again at every authentication (:func:`principal_of`)."""
        if not who.can(Permission.TOKENS_MANAGE):
            raise Forbidden(f"{who.user} may not manage tokens")
        user = user.strip()
        pilots = sorted(set(pilots))
        errors = []
        if not user:
            errors.append(FieldError("user", "must not be empty"))
        if team is not None and not TEAM_RE.match(team):
            errors.append(FieldError("team", "lowercase letters, digits, '.', '_' or '-', "
                                             "at most 63 characters"))
        if errors:
            raise ValidationFailed("invalid token request", errors)
        secret = new_token()
        with self.store.write() as uow:
            registered = uow.teams.find(team) if team is not None else None
            if registered is not None:
                r, pilots, ids = _team_grant(uow, registered, user, role, pilots)
            else:
                r, ids = _grant(uow, role, pilots)
            row = uow.tokens.add(user=user, role=r.value, pilots=pilots, pilot_ids=ids,
                                 token_hash=token_hash(secret), prefix=display_prefix(secret),
                                 now=utcnow(), created_by=who.user, team=team)
            if registered is not None:
                row.team_id = registered.id
            uow.audit.record(who.user, "role.granted", "token", str(row.id),
                             {"user": user, "role": r.value, "pilots": pilots,
                              "pilotIds": ids or [], "prefix": row.prefix,
                              **({"team": team} if team else {}),
                              **({"teamToken": True} if registered is not None else {})})
        return IssuedToken(id=row.id, user=user, role=r.value, pilots=pilots, team=team,
                           token=secret)

    def ensure_admin(self, who: Principal) -> IssuedToken | None:
        """On first start create an admin token (returned once), else None."""
        with self.store.read() as uow:
            if uow.tokens.any_admin():
                return None
        return self.create("admin", Role.ADMIN.value, [], who)

    def revoke(self, token_id: int, who: Principal) -> None:
        if not who.can(Permission.TOKENS_MANAGE):
            raise Forbidden(f"{who.user} may not manage tokens")
        with self.store.write() as uow:
            row = uow.tokens.get(token_id)
            if row is None:
                raise NotFound("token", token_id)
            if row.revoked_at is not None:
                return
            row.revoked_at = utcnow()
            uow.audit.record(who.user, "role.revoked", "token", str(row.id),
                             {"user": row.user, "role": row.role, "prefix": row.prefix})

    def list(self, include_revoked: bool = False) -> list[Token]:
        with self.store.read() as uow:
            rows = uow.tokens.list(include_revoked)
            names = uow.pilots.names_by_id()
            teams = uow.teams.scopes([t.team_id for t in rows if t.team_id is not None])
            out = []
            for t in rows:
                # A team token shows what it carries now (its membership's role and pilots).
                p = principal_of(t, names, teams)
                out.append(Token(id=t.id, user=t.user, role=p.role.value if p else t.role,
                                 pilots=sorted(p.pilots or ()) if p else [],
                                 team=t.team, prefix=t.prefix, created_at=iso(t.created_at),
                                 created_by=t.created_by,
                                 revoked_at=iso(t.revoked_at) if t.revoked_at else None))
            return out

    def authenticate(self, token: str) -> Principal:
        with self.store.read() as uow:
            row = uow.tokens.by_hash(token_hash(token))
            if row is None or row.revoked_at is not None:
                raise Unauthenticated("invalid or revoked token")
            teams = uow.teams.scopes([row.team_id]) if row.team_id is not None else {}
            ids = [*(row.pilot_ids or []), *(i for s in teams.values() for i in s.pilot_ids)]
            principal = principal_of(row, uow.pilots.names_by_id(ids) if ids else {}, teams)
            if principal is None:  # a team token whose holder left the team
                raise Unauthenticated("invalid or revoked token")
            return principal


def current_pilots(pilot_ids: list[int] | None, names: dict[int, str]) -> frozenset[str] | None:
    """The names the granted pilot ids have now; a deleted pilot drops out (and a
    new pilot under its old name is another id, so it never drops in)."""
    if pilot_ids is None:
        return None
    return frozenset(names[i] for i in pilot_ids if i in names)


def principal_of(row: Any, names: dict[int, str],
                 teams: dict[int, Any] | None = None) -> Principal | None:
    """The principal of a stored token, given the current names of pilot ids and, for
    a team token, its team's scope (``TeamScope`` by team id): the role the holder
    holds in the team now and a pilot team's pilots. None: the holder is no longer
    a member (or the team is gone), so the token grants nothing."""
    if row.team_id is None:
        return Principal(row.user, Role(row.role), current_pilots(row.pilot_ids, names),
                         row.id, team=row.team)
    scope = (teams or {}).get(row.team_id)
    held = scope.members.get(row.user) if scope is not None else None
    if scope is None or held is None:
        return None
    role = Role(held)
    ids = scope.pilot_ids if role in SCOPED and scope.kind == "pilot" else None
    return Principal(row.user, role, current_pilots(ids, names), row.id, team=scope.name)


def _grant(uow: Any, role: str | None, pilots: list[str]) -> tuple[Role, list[int] | None]:
    """A plain token's role and pilot ids, checked."""
    if role is None:
        raise ValidationFailed("invalid token request", [FieldError(
            "role", "required, unless the token is for a member of a registered team")])
    r = parse_role(role)
    errors = []
    if r in MUST_BE_SCOPED and not pilots:
        errors.append(FieldError("pilots", f"a {r} token needs at least one pilot"))
    if r not in SCOPED and pilots:
        scopable = " and ".join(sorted(x.value for x in SCOPED))
        errors.append(FieldError("pilots", f"only {scopable} tokens are limited to "
                                           f"pilots, not {r}"))
    if errors:
        raise ValidationFailed("invalid token request", errors)
    found = uow.pilots.by_names(pilots)
    missing = sorted(set(pilots) - set(found))
    if missing:
        raise ValidationFailed("invalid token request", [
            FieldError("pilots", f"unknown pilot(s): {', '.join(missing)}")])
    return r, (sorted(found[n].id for n in pilots) if pilots else None)


def _team_grant(uow: Any, team: Any, user: str, role: str | None, pilots: list[str]
                ) -> tuple[Role, list[str], list[int] | None]:
    """A team token's role, pilot names and ids: the member's, from the team."""
    member = uow.teams.member(team.id, user)
    if member is None:
        raise ValidationFailed("invalid token request", [FieldError(
            "user", f"{user[:80]!r} is not a member of team {team.name}: add them first "
                    f"(pilotdeck teams add-member {team.name} USER)")])
    held = Role(member.role)
    errors = []
    if role is not None and parse_role(role) is not held:
        errors.append(FieldError("role", f"a team token carries the member's role in "
                                         f"{team.name} ({held.value}); leave it out"))
    if pilots:
        errors.append(FieldError("pilots", f"a team token's pilots are team {team.name}'s "
                                           "own; leave them out"))
    ids = list(team.pilot_ids or []) if held in SCOPED and team.kind == "pilot" else None
    if held in MUST_BE_SCOPED and not ids:
        errors.append(FieldError("team", f"team {team.name} owns no pilots, and a "
                                         f"{held.value} token needs one (pilotdeck teams "
                                         f"update {team.name} --pilot PILOT)"))
    if errors:
        raise ValidationFailed("invalid token request", errors)
    names = uow.pilots.names_by_id(ids) if ids else {}
    return held, sorted(names[i] for i in ids or [] if i in names), ids
