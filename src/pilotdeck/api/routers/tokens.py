"""API tokens and role grants (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import positive_path
from pilotdeck.auth.roles import Permission, Principal, Role
from pilotdeck.domain.datasets import TEAM_RE
from pilotdeck.domain.inputs import Text
from pilotdeck.domain.pilot import NAME_RE
from pilotdeck.platform import Platform
from pilotdeck.views.tokens import IssuedToken, TokenList

router = APIRouter(prefix="/v1/tokens", tags=["access"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: Text = Field(min_length=1, max_length=320)
    role: Role | None = Field(default=None, description="Required, unless `team` names a "
                              "registered team: a team token carries the member's role.")
    pilots: list[Annotated[str, Field(pattern=NAME_RE.pattern, max_length=63)]] = Field(
        default_factory=list, description="Pilots a pilot-team token may change.")
    team: str | None = Field(default=None, pattern=TEAM_RE.pattern, max_length=63,
                             description="The holder's team: owner of datasets, grantee. "
                             "A registered team makes this a team token: only for a member, "
                             "with the member's role and a pilot team's pilots.")


@router.get("", summary="Active tokens (never their secrets)")
def list_tokens(include_revoked: bool = False, who: Principal = require(Permission.TOKENS_MANAGE),
                platform: Platform = Depends(get_platform)) -> TokenList:
    return TokenList(items=platform.access.list(include_revoked))


@router.post("", status_code=status.HTTP_201_CREATED,
             summary="Grant a role: returns the token once")
def create_token(body: TokenRequest, who: Principal = require(Permission.TOKENS_MANAGE),
                 platform: Platform = Depends(get_platform)) -> IssuedToken:
    return platform.access.create(body.user, body.role.value if body.role else None, body.pilots,
                                   who, body.team)


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a token")
def revoke_token(token_id: int = positive_path("Token id"),
                 who: Principal = require(Permission.TOKENS_MANAGE),
                 platform: Platform = Depends(get_platform)) -> Response:
    platform.access.revoke(token_id, who)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
