"""Tests that serve traffic need a pilot the governance gate lets through: a
current risk assessment with every answer at its lowest risk (tier minimal,
no controls required). Governance itself is tested in its own modules."""

from __future__ import annotations

from typing import Any

from pilotdeck.auth.roles import local_admin


def minimal_risk(platform: Any, *pilots: str) -> None:
    lowest = {q.id: q.options[0].id for q in platform.risk_questionnaire.questions}
    for pilot in pilots:
        platform.risk.assess(pilot, lowest, local_admin("tester"))
