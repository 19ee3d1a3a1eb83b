"""Wiring of phase 4's programme report (value, cost, time to scale, adoption)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pilotdeck.platform import Platform
    from pilotdeck.services.programme import ProgrammeService


def programme_service(p: Platform) -> ProgrammeService:
    """Reads the store (pilots, audit log) and the lake (prediction log, feedback)."""
    from pilotdeck.services.programme import ProgrammeService

    s = p.settings
    return ProgrammeService(p.store, p.lake, s.cost_per_cpu_second,
                            s.platform_cost_per_month, s.platform_cost_rule)
