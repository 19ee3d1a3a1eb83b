"""Wiring of phase 4's centre of excellence: teams.

Functions of the Platform rather than properties in ``platform/__init__`` so the
composition root stays readable in one sitting; each is called once, by the
cached property of the same name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pilotdeck.platform import Platform
    from pilotdeck.services.teams import TeamService


def teams(p: Platform) -> TeamService:
    from pilotdeck.services.teams import TeamService

    return TeamService(p.store)

