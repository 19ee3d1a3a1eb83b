"""Roles, permissions and the rule that decides; pure, no I/O.

A pilot-team member's write permissions apply only to the pilots named in
their grant, and a client token may likewise be limited to the pilots it may
call; every other grant is organisation-wide. The grant is stored by pilot id:
the names a :class:`Principal` carries are those ids' *current* names, resolved
when the token is authenticated, so a pilot deleted and re-created under the
same name is a different pilot and not in the old grant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    PILOT_TEAM = "pilot-team"
    PLATFORM_ENGINEER = "platform-engineer"
    GOVERNANCE_BOARD = "governance-board"
    ADMIN = "admin"
    CLIENT = "client"


class Permission(StrEnum):
    PUBLIC = "public"  # declared explicitly by routes anyone may call
    PILOTS_READ = "pilots:read"
    PILOTS_WRITE = "pilots:write"
    PILOTS_DELETE = "pilots:delete"
    ASSESSMENTS_READ = "assessments:read"
    ASSESSMENTS_WRITE = "assessments:write"
    PRIORITIZATION_READ = "prioritization:read"
    AUDIT_READ = "audit:read"
    AUDIT_CHECKPOINT = "audit:checkpoint"
    TOKENS_MANAGE = "tokens:manage"
    MODELS_READ = "models:read"
    MODELS_WRITE = "models:write"
    DEPLOYMENTS_WRITE = "deployments:write"
    GATEWAY_PREDICT = "gateway:predict"
    GATEWAY_FEEDBACK = "gateway:feedback"
    MONITORING_READ = "monitoring:read"
    ALERTS_WRITE = "alerts:write"
    RISK_WRITE = "risk:write"
    APPROVALS_DECIDE = "approvals:decide"
    DATASETS_READ = "datasets:read"
    DATASETS_WRITE = "datasets:write"
    DATASETS_GRANT = "datasets:grant"
    FEATURES_READ = "features:read"
    FEATURES_WRITE = "features:write"  # apply definitions, materialise, build training sets


_READ = {
    Permission.MODELS_READ,
    Permission.PILOTS_READ,
    Permission.ASSESSMENTS_READ,
    Permission.PRIORITIZATION_READ,
    Permission.AUDIT_READ,
    Permission.MONITORING_READ,
    Permission.DATASETS_READ,
    Permission.FEATURES_READ,
}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(_READ),
    Role.PILOT_TEAM: frozenset(
        _READ | {Permission.PILOTS_WRITE, Permission.ASSESSMENTS_WRITE, Permission.MODELS_WRITE,
                 Permission.RISK_WRITE, Permission.DATASETS_WRITE}
    ),
    Role.PLATFORM_ENGINEER: frozenset(
        _READ
        | {
            Permission.PILOTS_WRITE,
            Permission.PILOTS_DELETE,
            Permission.ASSESSMENTS_WRITE,
            Permission.AUDIT_CHECKPOINT,
            Permission.GATEWAY_PREDICT,
            Permission.GATEWAY_FEEDBACK,
            Permission.MODELS_WRITE,
            Permission.DEPLOYMENTS_WRITE,
            Permission.ALERTS_WRITE,
            Permission.DATASETS_WRITE,
            Permission.FEATURES_WRITE,
        }
    ),
    Role.GOVERNANCE_BOARD: frozenset(
        _READ | {Permission.ASSESSMENTS_WRITE, Permission.AUDIT_CHECKPOINT, Permission.RISK_WRITE,
                 Permission.APPROVALS_DECIDE, Permission.DATASETS_GRANT}
    ),
    # Separation of duties: deciding approvals and attesting controls is the
    # governance board's alone, not something an administrator can do.
    Role.ADMIN: frozenset(set(Permission) - {Permission.PUBLIC, Permission.APPROVALS_DECIDE}),
    Role.CLIENT: frozenset({Permission.GATEWAY_PREDICT, Permission.GATEWAY_FEEDBACK}),
}

# Permissions that a pilot-team grant limits to the pilots it names.
PILOT_SCOPED = frozenset(
    {Permission.PILOTS_WRITE, Permission.ASSESSMENTS_WRITE, Permission.MODELS_WRITE,
     Permission.RISK_WRITE}
)

# Per role, the permissions a grant's pilot list limits. A pilot-team token is
# always limited (it needs at least one pilot); a client token only when it
# was created with ``--pilot``.
SCOPED: dict[Role, frozenset[Permission]] = {
    Role.PILOT_TEAM: PILOT_SCOPED,
    Role.CLIENT: frozenset({Permission.GATEWAY_PREDICT, Permission.GATEWAY_FEEDBACK}),
}
MUST_BE_SCOPED = frozenset({Role.PILOT_TEAM})


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, their role and, when the grant is limited to some
    pilots, those pilots' current names (``None``: not limited)."""

    user: str
    role: Role
    pilots: frozenset[str] | None = field(default=None)
    token_id: int | None = None
    team: str | None = None  # the holder's team: owns datasets, receives dataset grants

    def __post_init__(self) -> None:
        # A role that must be limited never becomes unlimited by omission.
        if self.pilots is None and self.role in MUST_BE_SCOPED:
            object.__setattr__(self, "pilots", frozenset())

    def can(self, permission: Permission, pilot: str | None = None) -> bool:
        """Whether the grant allows ``permission`` (on ``pilot`` when given).

        Without a pilot, a scoped permission answers for "some pilot": the
        route-level check; the use case then checks the pilot it touches."""
        if permission is Permission.PUBLIC:
            return True
        if permission not in GRANTS[self.role]:
            return False
        if self.pilots is not None and permission in SCOPED.get(self.role, frozenset()):
            return pilot is None or pilot in self.pilots
        return True

    def scoped_pilot_writes(self) -> frozenset[str] | None:
        """Pilots this principal may change, or None when not limited."""
        return self.pilots if self.role is Role.PILOT_TEAM else None


def local_admin(user: str) -> Principal:
    """The operator at the machine (the CLI), like ``psql`` as the database owner."""
    return Principal(user=f"local:{user}", role=Role.ADMIN)
