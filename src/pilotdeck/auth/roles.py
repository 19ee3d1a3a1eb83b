"""Roles, permissions and the rule that decides; pure, no I/O.

A pilot-team member's write permissions apply only to the pilots named in
their grant; every other role is organisation-wide.
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


_READ = {
    Permission.MODELS_READ,
    Permission.PILOTS_READ,
    Permission.ASSESSMENTS_READ,
    Permission.PRIORITIZATION_READ,
    Permission.AUDIT_READ,
    Permission.MONITORING_READ,
}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(_READ),
    Role.PILOT_TEAM: frozenset(
        _READ | {Permission.PILOTS_WRITE, Permission.ASSESSMENTS_WRITE, Permission.MODELS_WRITE,
                 Permission.RISK_WRITE}
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
        }
    ),
    Role.GOVERNANCE_BOARD: frozenset(
        _READ | {Permission.ASSESSMENTS_WRITE, Permission.AUDIT_CHECKPOINT, Permission.RISK_WRITE,
                 Permission.APPROVALS_DECIDE}
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


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, their role and (for pilot teams) their pilots."""

    user: str
    role: Role
    pilots: frozenset[str] = field(default_factory=frozenset)
    token_id: int | None = None

    def can(self, permission: Permission, pilot: str | None = None) -> bool:
        if permission is Permission.PUBLIC:
            return True
        if permission not in GRANTS[self.role]:
            return False
        if self.role is Role.PILOT_TEAM and permission in PILOT_SCOPED:
            return pilot is None or pilot in self.pilots
        return True

    def scoped_pilot_writes(self) -> frozenset[str] | None:
        """Pilots this principal may change, or None when not limited."""
        return self.pilots if self.role is Role.PILOT_TEAM else None


def local_admin(user: str) -> Principal:
    """The operator at the machine (the CLI), like ``psql`` as the database owner."""
    return Principal(user=f"local:{user}", role=Role.ADMIN)
