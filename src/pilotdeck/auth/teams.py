"""Teams of the centre of excellence: who belongs where, with which role; pure rules.

A team is one of four kinds (the roadmap's centre of excellence): the
``platform`` team runs the shared stack, the ``enablement`` team teaches it,
the ``governance-board`` approves and audits, and a ``pilot`` team owns some
pilots. A member holds one of the platform's roles *within* the team; a token
issued to a member carries that role and, for a pilot team, the team's pilots
as its scope. Which roles a kind may hand out is fixed here so that the
separation of duties follows membership: deciding approvals comes from a seat
on the board, administering from the platform team, changing a pilot from the
team that owns it.
"""

from __future__ import annotations

from enum import StrEnum

from pilotdeck.auth.roles import Role
from pilotdeck.domain.datasets import TEAM_RE

__all__ = ["DEFAULT_ROLE", "KIND_ROLES", "TEAM_RE", "TeamKind", "member_problem",
           "role_problem"]


class TeamKind(StrEnum):
    PLATFORM = "platform"
    ENABLEMENT = "enablement"
    GOVERNANCE_BOARD = "governance-board"
    PILOT = "pilot"


# The roles a member of each kind of team may hold (the first is the default).
KIND_ROLES: dict[TeamKind, tuple[Role, ...]] = {
    TeamKind.PLATFORM: (Role.PLATFORM_ENGINEER, Role.ADMIN, Role.VIEWER, Role.CLIENT),
    TeamKind.ENABLEMENT: (Role.VIEWER, Role.PLATFORM_ENGINEER),
    TeamKind.GOVERNANCE_BOARD: (Role.GOVERNANCE_BOARD, Role.VIEWER),
    TeamKind.PILOT: (Role.PILOT_TEAM, Role.VIEWER, Role.CLIENT, Role.PLATFORM_ENGINEER),
}
DEFAULT_ROLE = {kind: roles[0] for kind, roles in KIND_ROLES.items()}
USER_MAX = 320


def role_problem(kind: TeamKind, role: Role) -> str | None:
    """Why ``role`` cannot be held in a team of ``kind`` (None: it can)."""
    allowed = KIND_ROLES[kind]
    if role in allowed:
        return None
    return (f"a {kind} team's members are {', '.join(r.value for r in allowed)}, "
            f"not {role.value}")


def member_problem(user: str) -> str | None:
    """What is wrong with a member's user name (None: nothing). A '/' is refused
    because the name travels as one path segment of the API."""
    if not user.strip():
        return "must not be empty"
    if len(user) > USER_MAX:
        return f"at most {USER_MAX} characters"
    if "\x00" in user or "/" in user:
        return "must not contain '/' or a NUL character"
    if user != user.strip():
        return "must not start or end with white space"
    return None
