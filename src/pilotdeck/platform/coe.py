"""Wiring of phase 4's centre of excellence: teams, and the playbook.

Functions of the Platform rather than properties in ``platform/__init__`` so the
composition root stays readable in one sitting; each is called once, by the
cached property of the same name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pilotdeck.platform import Platform
    from pilotdeck.services.playbook import PlaybookService
    from pilotdeck.services.teams import TeamService


def teams(p: Platform) -> TeamService:
    from pilotdeck.services.teams import TeamService

    return TeamService(p.store)


def playbook(p: Platform) -> PlaybookService:
    from pilotdeck.domain.readiness import parse_blocks
    from pilotdeck.services.playbook import PlaybookService, PlaybookSources

    s = p.settings
    return PlaybookService(PlaybookSources(
        p.store, p.lake, s.audit_origin, lambda: p.rubric, lambda: p.maturity_model,
        lambda: p.risk_questionnaire, parse_blocks(s.readiness_blocks), s.governance_enforce,
        s.approval_valid_days, lambda: p.teams, lambda: p.readiness))
