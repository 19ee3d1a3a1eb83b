"""The programme's pure rules: calendar periods, status timelines, uplift."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from pilotdeck.domain import programme as rules
from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.periods import check_period, periods


def _t(y: int, m: int, d: int = 1) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


def test_periods_are_calendar_months_and_quarters() -> None:
    assert [p.key for p in periods("month", _t(2025, 11, 20), _t(2026, 2, 3))] == [
        "2025-11", "2025-12", "2026-01", "2026-02"]
    assert [p.key for p in periods("quarter", _t(2025, 11, 20), _t(2026, 4, 1))] == [
        "2025-Q4", "2026-Q1"]
    assert [p.key for p in periods("quarter", _t(2026, 4, 1), _t(2026, 4, 1))] == ["2026-Q2"]
    with pytest.raises(ValidationFailed):
        check_period("year")
    with pytest.raises(ValidationFailed):
        periods("month", _t(1990, 1), _t(2026, 1))


def test_a_pilot_runs_while_scaling_or_in_production() -> None:
    p = rules.PilotRecord("a", "U", "sunset", created_at=_t(2026, 1), statuses=(
        (_t(2026, 1), "pilot"), (_t(2026, 2), "production"), (_t(2026, 3), "sunset")))
    assert p.running_seconds(_t(2026, 1), _t(2026, 4)) == 28 * 86_400
    assert p.sunset_at == _t(2026, 3)
    assert p.active(_t(2026, 2), _t(2026, 3)) and not p.active(_t(2026, 3), _t(2026, 4))


def test_uplift_against_the_champion_without_a_control_group() -> None:
    o = rules.Outcomes
    u = rules.uplift({"champion": o(np.array([1.0, 3.0]), np.array([0.0, 0.0])),
                      "challenger": o(np.array([4.0, 6.0]), np.array([1.0, 2.0]))})
    assert u is not None and u["against"] == "champion" and u["variant"] == "challenger"
    assert u["revenue"]["difference"] == 3  # type: ignore[index]
    assert rules.uplift({"champion": o(np.array([1.0]), np.array([1.0]))}) is None
