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

    def create(self, user: str, role: str, pilots: list[str], who: Principal,
               team: str | None = None) -> IssuedToken:
        """Grant ``role`` to ``user``; ``pilots`` limits a pilot-team token (required)
        or a client token (optional) to those pilots, recorded by id; ``team`` is the
        holder's team (dataset ownership and grants)."""
        if not who.can(Permission.TOKENS_MANAGE):
            raise Forbidden(f"{who.user} may not manage tokens")
        r = parse_role(role)
        user = user.strip()
        pilots = sorted(set(pilots))
        errors = []
        if not user:
            errors.append(FieldError("user", "must not be empty"))
        if r in MUST_BE_SCOPED and not pilots:
            errors.append(FieldError("pilots", f"a {r} token needs at least one pilot"))
        if r not in SCOPED and pilots:
            scopable = " and ".join(sorted(x.value for x in SCOPED))
            errors.append(FieldError("pilots", f"only {scopable} tokens are limited to "
                                               f"pilots, not {r}"))
        if team is not None and not TEAM_RE.match(team):
            errors.append(FieldError("team", "lowercase letters, digits, '.', '_' or '-', "
                                             "at most 63 characters"))
        if errors:
            raise ValidationFailed("invalid token request", errors)
        secret = new_token()
        with self.store.write() as uow:
            found = uow.pilots.by_names(pilots)
            missing = sorted(set(pilots) - set(found))
            if missing:
                raise ValidationFailed("invalid token request", [
                    FieldError("pilots", f"unknown pilot(s): {', '.join(missing)}")])
            ids = sorted(found[n].id for n in pilots) if pilots else None
            row = uow.tokens.add(user=user, role=r.value, pilots=pilots, pilot_ids=ids,
                                 token_hash=token_hash(secret), prefix=display_prefix(secret),
                                 now=utcnow(), created_by=who.user, team=team)
            uow.audit.record(who.user, "role.granted", "token", str(row.id),
                             {"user": user, "role": r.value, "pilots": pilots,
                              "pilotIds": ids or [], "prefix": row.prefix,
                              **({"team": team} if team else {})})
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
            names = uow.pilots.names_by_id() if any(t.pilot_ids for t in rows) else {}
            return [Token(id=t.id, user=t.user, role=t.role,
                          pilots=sorted(current_pilots(t.pilot_ids, names) or ()),
                          team=t.team,
                          prefix=t.prefix, created_at=iso(t.created_at),
                          created_by=t.created_by,
                          revoked_at=iso(t.revoked_at) if t.revoked_at else None)
                    for t in rows]

    def authenticate(self, token: str) -> Principal:
        with self.store.read() as uow:
            row = uow.tokens.by_hash(token_hash(token))
            if row is None or row.revoked_at is not None:
                raise Unauthenticated("invalid or revoked token")
            names = uow.pilots.names_by_id(row.pilot_ids) if row.pilot_ids else {}
            return principal_of(row, names)


def current_pilots(pilot_ids: list[int] | None, names: dict[int, str]) -> frozenset[str] | None:
    """The names the granted pilot ids have now; a deleted pilot drops out (and a
    new pilot under its old name is another id, so it never drops in)."""
    if pilot_ids is None:
        return None
    return frozenset(names[i] for i in pilot_ids if i in names)


def principal_of(row: Any, names: dict[int, str]) -> Principal:
    """The principal of a stored token, given the current names of pilot ids."""
    return Principal(row.user, Role(row.role), current_pilots(row.pilot_ids, names), row.id,
                     team=row.team)
