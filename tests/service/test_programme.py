"""The programme report's numbers against the totals computed by hand in
``tests/programme_fixture.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pilotdeck.config import Settings
from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.platform import Platform
from tests import programme_fixture as fx


@pytest.fixture
def programme(tmp_path: Path, db_url: str) -> Iterator[Platform]:
    p = Platform(Settings(home=tmp_path / "home", db_url=db_url, **fx.SETTINGS))
    fx.build(p)
    yield p
    p.close()


def _report(p: Platform, period: str = "month") -> dict[str, Any]:
    return p.programme.report(period, since=fx.SINCE, now=fx.NOW).dump()


def test_programme_totals_match_the_hand_computed_ones(programme: Platform) -> None:
    r = _report(programme)
    assert r["revenue"]["total"] == pytest.approx(35)
    assert r["costSavings"]["total"] == pytest.approx(6)
    assert r["value"] == pytest.approx({"total": 441, "measured": 41, "estimated": 400})
    assert r["cost"] == pytest.approx({"total": 1453.65, "inference": 3.65, "platform": 900,
                                       "run": 550})
    assert r["netValue"] == pytest.approx(-1012.65)
    assert r["roi"] == pytest.approx(-1012.65 / 1453.65)
    assert r["businessCase"] == pytest.approx(700)
    assert r["realisedShare"] == pytest.approx(41 / 700)
    assert r["requests"] == 9 and r["unallocatedPlatformCost"] == 0
    assert [p["period"] for p in r["periods"]] == ["2026-01", "2026-02", "2026-03"]
    assert [p["value"]["total"] for p in r["periods"]] == pytest.approx([14, 200, 227])
    assert [p["cost"]["total"] for p in r["periods"]] == pytest.approx([453, 400.5, 600.15])


def test_pilots_and_business_units(programme: Platform) -> None:
    r = _report(programme)
    pilots = {p["pilot"]: p for p in r["byPilot"]}
    alpha, beta, gamma = pilots["alpha"], pilots["beta"], pilots["gamma"]
    # alpha: a control group, so an uplift with an interval around it.
    assert alpha["revenue"]["total"] == pytest.approx(14)
    assert alpha["revenue"]["ciLow"] < 14 < alpha["revenue"]["ciHigh"]
    assert 14 - alpha["revenue"]["ciLow"] == pytest.approx(alpha["revenue"]["ciHigh"] - 14)
    assert alpha["basis"] == ["estimated-business-case", "measured-uplift"]
    assert alpha["value"] == pytest.approx({"total": 414, "measured": 14, "estimated": 400})
    assert alpha["cost"] == pytest.approx({"total": 903.5, "inference": 3.5, "platform": 600,
                                           "run": 300})
    assert alpha["netValue"] == pytest.approx(-489.5)
    assert alpha["uplift"]["against"] == "baseline"
    assert alpha["uplift"]["revenue"]["difference"] == pytest.approx(7)
    assert [p["requests"] for p in alpha["periods"]] == [4, 2, 0]
    # beta: outcomes without a control group are summed exactly (no interval).
    assert beta["revenue"] == {"total": pytest.approx(21), "ciLow": None, "ciHigh": None}
    assert beta["costSavings"]["total"] == pytest.approx(6)
    assert beta["basis"] == ["measured-outcome"]
    assert beta["cost"] == pytest.approx({"total": 500.15, "inference": 0.15,
                                          "platform": 300, "run": 200})
    assert beta["realisedShare"] == pytest.approx(0.27)
    assert gamma["cost"]["total"] == pytest.approx(50) and gamma["basis"] == []
    units = {u["businessUnit"]: u for u in r["byBusinessUnit"]}
    assert units["Retail"]["cost"]["total"] == pytest.approx(953.5)
    assert units["Retail"]["value"]["total"] == pytest.approx(414)
    assert units["Finance"]["netValue"] == pytest.approx(-473.15)


def test_time_to_scale_cost_per_scaled_pilot_adoption_and_sunset(programme: Platform) -> None:
    r = _report(programme)
    tts = r["timeToScaleDays"]
    assert tts["targetDays"] == 183 and tts["medianDays"] == 45 and tts["scaled"] == 1
    by = {p["pilot"]: p for p in tts["pilots"]}
    assert by["alpha"]["days"] == 45 and by["alpha"]["withinTarget"] is True
    assert by["beta"]["days"] is None and by["beta"]["ageDays"] == 59
    assert by["beta"]["withinTarget"] is None  # not scaled, still within six months
    assert by["gamma"]["ageDays"] == 31 and by["gamma"]["sunset"]  # sunset on 1 February
    assert [c["costPerScaledPilot"] for c in r["costPerScaledPilot"]] == pytest.approx(
        [None, 400.5, 600.15])
    a = r["adoption"]
    assert (a["pilots"], a["inProduction"], a["rate"], a["requests"]) == (2, 2, 1.0, 9)
    assert a["users"] is None and "no user id" in a["usersNote"]
    assert {u["businessUnit"]: u["pilots"] for u in a["byBusinessUnit"]} == {
        "Finance": 1, "Retail": 1}
    assert r["sunset"]["moneyFreedPerYear"] == 600
    assert r["sunset"]["pilots"][0]["sunsetAt"].startswith("2026-02-01")
    assert set(r["measures"]) >= {"revenue", "cost.inference", "cost.run", "value.estimated"}


def test_a_quarter_sums_its_months(programme: Platform) -> None:
    q = _report(programme, "quarter")
    assert [p["period"] for p in q["periods"]] == ["2026-Q1"]
    assert q["value"]["total"] == pytest.approx(441)
    assert q["cost"]["total"] == pytest.approx(1453.65)
    assert q["periods"][0]["netValue"] == pytest.approx(-1012.65)


@pytest.mark.parametrize("rule,alpha,beta", [("equal", 150 + 150 + 150, 150 + 150),
                                             ("production", 150 + 300 + 150, 150)])
def test_the_platform_cost_rule(tmp_path: Path, db_url: str, rule: str, alpha: float,
                                beta: float) -> None:
    # equal: January alpha and gamma (150 each), February and March alpha and beta.
    # production: January alpha and gamma ran, February only alpha (beta was a pilot),
    # March alpha and beta.
    p = Platform(Settings(home=tmp_path / "home", db_url=db_url,
                          **{**fx.SETTINGS, "platform_cost_rule": rule}))
    fx.build(p)
    try:
        pilots = {x["pilot"]: x for x in _report(p)["byPilot"]}
    finally:
        p.close()
    assert pilots["alpha"]["cost"]["platform"] == pytest.approx(alpha)
    assert pilots["beta"]["cost"]["platform"] == pytest.approx(beta)


def test_bad_periods_and_times_are_refused(programme: Platform) -> None:
    from datetime import timedelta

    with pytest.raises(ValidationFailed) as e:
        programme.programme.report("week")
    assert e.value.errors[0].field == "period"
    with pytest.raises(ValidationFailed) as e:
        programme.programme.report("month", since=fx.NOW + timedelta(days=1), now=fx.NOW)
    assert e.value.errors[0].field == "since"
    with pytest.raises(ValidationFailed) as e:
        programme.programme.report("month", since=fx.NOW.replace(year=1900), now=fx.NOW)
    assert "240" in e.value.errors[0].problem


def test_an_empty_programme(tmp_path: Path, db_url: str) -> None:
    p = Platform(Settings(home=tmp_path / "home", db_url=db_url))
    try:
        r = p.programme.report().dump()
    finally:
        p.close()
    assert r["byPilot"] == [] and r["roi"] is None and r["value"]["total"] == 0
    assert len(r["periods"]) == 1 and r["costPerScaledPilot"][0]["costPerScaledPilot"] is None


def test_scale_is_a_deployment_to_one_version_or_a_promoted_rollout(programme: Platform
                                                                     ) -> None:
    from datetime import UTC, datetime

    def beta_scaled_at() -> str | None:
        r = programme.programme.report("month", since=fx.SINCE, now=fx.NOW).dump()
        return next(p["scaledAt"] for p in r["timeToScaleDays"]["pilots"]
                    if p["pilot"] == "beta")

    one = {"after": {"variants": [{"name": "champion", "version": 1, "weight": 100.0},
                                  {"name": "challenger", "version": 2, "weight": 0.0}]}}
    with programme.store.write() as uow:  # a rollback is not scaling up
        uow.audit.record("t", "deployment.rolled-back", "deployment", "beta", one,
                         datetime(2026, 3, 2, tzinfo=UTC))
    assert beta_scaled_at() is None
    with programme.store.write() as uow:
        uow.audit.record("t", "rollout.promoted", "rollout", "beta", {"rollout": 1},
                         datetime(2026, 3, 3, tzinfo=UTC))
    assert beta_scaled_at() == "2026-03-03T00:00:00+00:00"
