"""Teams of the centre of excellence and their members (ETag / If-Match: the revision).

Reading teams is ``pilots:read`` (every reading role: who owns which pilot is the
inventory's business); changing them is ``tokens:manage``, because a seat in a
team is a grant of permissions.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import text
from pilotdeck.api.preconditions import PRECONDITION_RESPONSES, if_match, set_etag
from pilotdeck.auth.roles import Permission, Principal, Role
from pilotdeck.auth.teams import TEAM_RE, TeamKind
from pilotdeck.domain.inputs import Text
from pilotdeck.domain.pilot import NAME_RE
from pilotdeck.platform import Platform
from pilotdeck.views.teams import Team, TeamList

router = APIRouter(prefix="/v1/teams", tags=["teams"])

TeamPath = Annotated[str, Path(min_length=1, max_length=63, pattern=TEAM_RE.pattern,
                               description="Team name.")]
UserPath = Annotated[str, Path(min_length=1, max_length=320, pattern=r"^[^\x00/]+$",
                               description="The member's user name.")]
PilotName = Annotated[str, Field(pattern=NAME_RE.pattern, max_length=63)]


class TeamRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=TEAM_RE.pattern, max_length=63)
    kind: TeamKind
    description: Text = Field(default="", max_length=2000)
    pilots: list[PilotName] = Field(default_factory=list, max_length=1000,
                                    description="Pilots a pilot team owns.")


class TeamChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: Text | None = Field(default=None, max_length=2000)
    pilots: list[PilotName] | None = Field(default=None, max_length=1000,
                                           description="Replaces the pilots the team owns.")


class MemberRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = Field(default=None, description="Default: the kind's usual role "
                              "(platform-engineer, viewer, governance-board, pilot-team).")


@router.get("", summary="Teams, with their members and pilots")
def list_teams(kind: str | None = text(description="platform | enablement | "
                                       "governance-board | pilot"),
               who: Principal = require(Permission.PILOTS_READ),
               platform: Platform = Depends(get_platform)) -> TeamList:
    return TeamList(items=platform.teams.list(kind))


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a team")
def create_team(body: TeamRequest, response: Response,
                who: Principal = require(Permission.TOKENS_MANAGE),
                platform: Platform = Depends(get_platform)) -> Team:
    team = platform.teams.create(body.name, body.kind.value, who,
                                 description=body.description, pilots=body.pilots)
    set_etag(response, team.revision)
    return team


@router.get("/{team}", summary="A team (ETag: its revision)")
def get_team(team: TeamPath, response: Response,
             who: Principal = require(Permission.PILOTS_READ),
             platform: Platform = Depends(get_platform)) -> Team:
    t = platform.teams.get(team)
    set_etag(response, t.revision)
    return t


@router.patch("/{team}", summary="Change a team's description or pilots (If-Match)",
              responses=PRECONDITION_RESPONSES)
def update_team(team: TeamPath, body: TeamChange, response: Response,
                who: Principal = require(Permission.TOKENS_MANAGE),
                expected: int | None = if_match(),
                platform: Platform = Depends(get_platform)) -> Team:
    t = platform.teams.update(team, who, description=body.description, pilots=body.pilots,
                              expected_revision=expected)
    set_etag(response, t.revision)
    return t


@router.delete("/{team}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a team (its members' team tokens are revoked)",
               responses=PRECONDITION_RESPONSES)
def delete_team(team: TeamPath, who: Principal = require(Permission.TOKENS_MANAGE),
                expected: int | None = if_match(),
                platform: Platform = Depends(get_platform)) -> Response:
    platform.teams.delete(team, who, expected_revision=expected)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{team}/members/{user}", summary="Seat a member or change their role "
            "(their team tokens follow at once)", responses=PRECONDITION_RESPONSES)
def put_member(team: TeamPath, user: UserPath, body: MemberRequest, response: Response,
               who: Principal = require(Permission.TOKENS_MANAGE),
               expected: int | None = if_match(),
               platform: Platform = Depends(get_platform)) -> Team:
    t = platform.teams.add_member(team, user, who, role=body.role.value if body.role else None,
                                  expected_revision=expected)
    set_etag(response, t.revision)
    return t


@router.delete("/{team}/members/{user}", summary="Remove a member (their team tokens are "
               "revoked)", responses=PRECONDITION_RESPONSES)
def remove_member(team: TeamPath, user: UserPath, response: Response,
                  who: Principal = require(Permission.TOKENS_MANAGE),
                  expected: int | None = if_match(),
                  platform: Platform = Depends(get_platform)) -> Team:
    t = platform.teams.remove_member(team, user, who, expected_revision=expected)
    set_etag(response, t.revision)
    return t
