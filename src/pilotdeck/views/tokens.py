"""API tokens as administrators see them (never their secrets), and a new one."""

from __future__ import annotations

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["IssuedToken", "Token", "TokenList"]


class Token(View):
    id: int
    user: str
    role: str
    pilots: list[str] = Field(description="Pilots a pilot-team token may change.")
    team: str | None = Field(default=None, description="The holder's team (datasets).")
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    created_at: str = Field(description="ISO 8601, UTC.")
    created_by: str
    revoked_at: str | None = Field(description="ISO 8601, UTC; None while active.")


class TokenList(View):
    items: list[Token]


class IssuedToken(View):
    """A token just created: the only time its secret is shown (only a hash is stored)."""

    id: int
    user: str
    role: str
    pilots: list[str]
    team: str | None = None
    token: str = Field(description="The secret (pd_…).")
