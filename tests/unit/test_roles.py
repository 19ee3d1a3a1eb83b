"""Role grants and pilot scoping."""

from __future__ import annotations

from pilotdeck.auth.roles import GRANTS, Permission, Principal, Role
from pilotdeck.auth.tokens import new_token, token_hash


def test_every_role_has_grants_and_only_admin_manages_tokens() -> None:
    assert set(GRANTS) == set(Role)
    managers = {r for r, perms in GRANTS.items() if Permission.TOKENS_MANAGE in perms}
    assert managers == {Role.ADMIN}


def test_client_can_only_call_the_gateway() -> None:
    c = Principal("app", Role.CLIENT)
    assert c.can(Permission.GATEWAY_PREDICT) and c.can(Permission.GATEWAY_FEEDBACK)
    assert not any(c.can(p) for p in Permission if not p.value.startswith("gateway")
                   and p is not Permission.PUBLIC)


def test_pilot_team_writes_only_its_pilots_but_reads_all() -> None:
    t = Principal("ana", Role.PILOT_TEAM, frozenset({"churn"}))
    assert t.can(Permission.PILOTS_WRITE, "churn")
    assert not t.can(Permission.PILOTS_WRITE, "fraud")
    assert t.can(Permission.PILOTS_READ, "fraud")
    assert not t.can(Permission.PILOTS_DELETE, "churn")


def test_viewer_is_read_only() -> None:
    v = Principal("v", Role.VIEWER)
    assert all(not v.can(p) for p in Permission
               if not p.value.endswith(":read") and p is not Permission.PUBLIC)


def test_tokens_are_random_and_hashed() -> None:
    a, b = new_token(), new_token()
    assert a != b and a.startswith("pd_") and len(a) > 40
    assert token_hash(a) != token_hash(b) and len(token_hash(a)) == 64
