"""Teams of the centre of excellence as the API and the CLI show them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["Team", "TeamList", "TeamMember"]

Kind = Literal["platform", "enablement", "governance-board", "pilot"]


class TeamMember(View):
    user: str
    role: str = Field(description="The platform role held in this team; a team token "
                                  "carries it.")
    added_at: str
    added_by: str


class Team(View):
    name: str
    kind: Kind
    description: str
    pilots: list[str] = Field(description="Pilots a pilot team owns: its members' tokens "
                                          "are limited to them.")
    members: list[TeamMember]
    revision: int = Field(description="Send it back as If-Match to change the team safely.")
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str


class TeamList(View):
    items: list[Team]
