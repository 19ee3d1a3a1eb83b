"""What the dashboard's pilot and governance pages gather: every section with data
(tests/dashboard_fixture.py) and without (a pilot with nothing yet), bounded reads,
and the same permissions as the API's routes. The browser walk is
tests/e2e/test_dashboard.py; the route matrix is test_dashboard_security.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from pilotdeck.api.ui import data_governance, data_pilot
from pilotdeck.api.ui.data import governance_page, pilot_page
from pilotdeck.auth.roles import Principal, Role
from pilotdeck.config import Settings
from pilotdeck.platform import Platform
from tests.conftest import DEMO_PILOTS
from tests.dashboard_fixture import ADMIN, FEATURES, REQUESTS, populate

PILOT, EMPTY = "churn-prediction", "next-best-offer"
SECTIONS = ("maturity", "model_card", "drift", "quality", "fairness_live", "fairness_stored",
            "impact", "explanation")


def _platform(home: Path) -> Platform:
    p = Platform(Settings(home=home, alert_interval_s=0, rollout_interval_s=0))
    p.portfolio.import_path(DEMO_PILOTS, ADMIN)
    return p


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    home = tmp_path_factory.mktemp("dash-data")
    p = _platform(home)
    populate(p, PILOT, home)
    yield p
    p.close()


def test_every_pilot_section_shows_its_data(platform: Platform) -> None:
    page = pilot_page(platform, PILOT, ADMIN)
    i = page.insights
    assert {s: getattr(i, s).missing for s in SECTIONS} == dict.fromkeys(SECTIONS)
    assert i.maturity.value.overall.target == 4
    assert all(d.gap == max(4 - d.level, 0) for d in i.maturity.value.dimensions)
    card = i.model_card.value
    assert (card.version, card.serving) == (1, True)
    assert "<h3>Model details</h3>" in card.html and "<h2>" not in card.html
    [window] = i.drift.value.windows
    assert (window.version, window.rows, window.verdict) == (1, REQUESTS, "no drift")
    assert i.quality.value.labelled_rows == REQUESTS
    assert [g.group for g in i.fairness_live.value.groups] == [
        {"segment": "0.0"}, {"segment": "1.0"}]
    assert sum(g.count for g in i.fairness_live.value.groups) == REQUESTS
    assert i.fairness_stored.value.version == 1
    assert i.fairness_stored.value.report.sensitive == ["segment"]
    [group] = i.impact.value.groups
    assert (group.variant, group.revenue.n, group.cost_saved.mean) == ("champion", REQUESTS,
                                                                       1.5)
    importance = i.explanation.value.importance
    assert set(importance) == set(FEATURES) and list(importance.values()) == sorted(
        importance.values(), reverse=True)
    assert not i.capped


def test_a_pilot_with_nothing_yet_says_so_in_each_section(platform: Platform) -> None:
    i = pilot_page(platform, EMPTY, ADMIN).insights
    assert {s: getattr(i, s).value for s in SECTIONS} == dict.fromkeys(SECTIONS)
    assert i.maturity.missing and i.maturity.missing.startswith("Not assessed yet")
    for s in ("model_card", "fairness_stored", "explanation"):
        assert getattr(i, s).missing == data_pilot.NO_VERSION
    for s in ("drift", "quality", "fairness_live"):
        assert getattr(i, s).missing == data_pilot.NO_TRAFFIC
    assert i.impact.missing and i.impact.missing.startswith("Not enough data")


def test_without_a_serving_version_the_card_is_the_newest_versions(platform: Platform) -> None:
    i = data_pilot.pilot_insights(platform, PILOT, ADMIN, serving=None, newest=2)
    assert (i.model_card.value.version, i.model_card.value.serving) == (2, False)
    assert i.explanation.missing and "No global explanation stored for v2" in (
        i.explanation.missing)
    assert i.fairness_stored.missing and "v2" in i.fairness_stored.missing


def test_monitoring_reads_only_the_newest_requests(platform: Platform,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_pilot, "MAX_REQUESTS", 100)
    monkeypatch.setattr(data_pilot, "FAIRNESS_ROWS", 40)
    i = pilot_page(platform, PILOT, ADMIN).insights
    assert i.capped and i.drift.value.windows[0].rows == 100
    assert i.quality.value.labelled_rows == 100
    assert sum(g.count for g in i.fairness_live.value.groups) == 40


def test_sections_obey_the_api_permissions(platform: Platform) -> None:
    """A role without the read permissions (a client's) gets the refusal, not the data."""
    app = Principal("an-app", Role.CLIENT)
    i = data_pilot.pilot_insights(platform, PILOT, app, serving=1, newest=2)
    for s in SECTIONS:
        section = getattr(i, s)
        assert section.value is None and (section.missing or "").startswith(
            "your role may not"), s
    cal = data_governance.calendar(platform, app)
    assert (cal.deadlines, cal.waivers, len(cal.hidden)) == ([], [], 2)


def test_governance_lists_what_lapses_and_the_waivers_in_force(platform: Platform) -> None:
    g = governance_page(platform, ADMIN)
    got = [(d.pilot, d.kind, d.what, d.expired, d.days) for d in g.calendar.deadlines]
    assert got == [(PILOT, "control attestation", "human-oversight", False, 5),
                   (PILOT, "readiness waived", "runbook (every version)", False, 10)]
    [waiver] = g.calendar.waivers
    assert (waiver.pilot, waiver.item, waiver.by) == (PILOT, "runbook", "board:amara")
    # The risk assessment lasts a year: within a longer horizon it is listed too.
    longer = data_governance.calendar(platform, ADMIN, timedelta(days=400))
    assert [d.kind for d in longer.deadlines][-1] == "risk assessment"


def test_lapsed_signatures_are_listed_as_expired(platform: Platform,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    later = data_governance.utcnow() + timedelta(days=7)
    monkeypatch.setattr(data_governance, "utcnow", lambda: later)
    cal = data_governance.calendar(platform, ADMIN)
    assert [(d.kind, d.expired, d.days) for d in cal.deadlines] == [
        ("control attestation", True, 2), ("readiness waived", False, 3)]
    monkeypatch.setattr(data_governance, "utcnow", lambda: later + timedelta(days=7))
    cal = data_governance.calendar(platform, ADMIN)
    assert [d.expired for d in cal.deadlines] == [True, True] and cal.waivers == []


def test_nothing_signed_nothing_listed(tmp_path: Path) -> None:
    p = _platform(tmp_path)
    try:
        cal = governance_page(p, ADMIN).calendar
        assert (cal.deadlines, cal.waivers, cal.hidden) == ([], [], [])
    finally:
        p.close()


def test_the_pages_render_the_sections(platform: Platform) -> None:
    from fastapi.testclient import TestClient

    from pilotdeck.api.app import create_app
    from tests.integration.test_dashboard_security import sign_in

    client = TestClient(create_app(platform), base_url="http://127.0.0.1",
                        follow_redirects=False)
    sign_in(client, platform.access.create("v", "viewer", [], ADMIN).token)
    page = client.get(f"/ui/pilots/{PILOT}").text
    for anchor in ('id="maturity-radar"', 'id="maturity-gaps"', 'id="drift"', 'id="quality"',
                   'id="impact"', 'id="importance"', "<h3>Model details</h3>",
                   "Before serving (validation table)"):
        assert anchor in page, anchor
    empty = client.get(f"/ui/pilots/{EMPTY}").text
    assert data_pilot.NO_TRAFFIC in empty and "maturity-radar" not in empty
    png = client.get(f"/ui/charts/maturity/{PILOT}.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"/ui/charts/maturity/{EMPTY}.png").status_code == 404
    gov = client.get("/ui/governance").text
    assert 'id="expiring"' in gov and 'id="waivers"' in gov
    assert "the runbook is being rewritten" in gov
