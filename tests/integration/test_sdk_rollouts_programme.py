"""The SDK's rollouts, teams, training, playbook and programme resources against a real
API server (uvicorn on a free port): typed views back, typed errors back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pilotdeck import Client
from pilotdeck.domain.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from pilotdeck.domain.rollout import Plan
from pilotdeck.platform import Platform
from pilotdeck.views.programme import ProgrammeReport
from pilotdeck.views.rollouts import RolloutView
from tests.integration.conftest import start_api, stop
from tests.service.test_rollouts import ADMIN, FAST, PILOT, unblock_full, with_a_challenger


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Platform, str]]:
    """churn-prediction with v1 deployed and v2 signed off, behind a real API server."""
    platform = with_a_challenger(tmp_path)
    server, base = start_api(platform)
    try:
        yield platform, base
    finally:
        stop(server)
        platform.close()


def _client(platform: Platform, base: str, role: str = "admin") -> Client:
    return Client(base, token=platform.access.create(f"sdk-{role}", role, [], ADMIN).token)


def _traffic(platform: Platform, tmp_path: Path) -> str:
    """A catalogued traffic table the simulation replays (a better challenger)."""
    rng = np.random.default_rng(5)
    n = 4000
    variant = np.where(np.arange(n) % 2 == 0, "champion", "challenger")
    path = tmp_path / "traffic.parquet"
    pq.write_table(pa.table({"variant": variant, "latency_ms": np.full(n, 5.0),
                             "error": np.zeros(n, dtype=bool),
                             "revenue": rng.normal(np.where(variant == "champion", 10, 14),
                                                   3)}), path)
    platform.datasets.register("traffic", path, ADMIN, owner="platform")
    return "dataset:traffic"


def test_rollouts_start_pause_resume_abort_and_promote(served: Any, tmp_path: Path) -> None:
    platform, base = served
    with _client(platform, base) as pd:
        r = pd.rollouts.start(PILOT, 2, Plan.parse(FAST))
        assert isinstance(r, RolloutView) and (r.phase, r.step, r.weight) == ("running", 1, 20)
        assert pd.rollouts.status(PILOT) == r
        assert pd.rollouts.check(PILOT).action in ("wait", "hold")  # no traffic yet
        assert pd.rollouts.pause(PILOT, "looking at the logs").phase == "paused"
        assert pd.rollouts.resume(PILOT).phase == "running"
        with pytest.raises(Conflict):  # not paused
            pd.rollouts.resume(PILOT)
        aborted = pd.rollouts.abort(PILOT, "changed our mind")
        assert aborted.phase == "aborted" and "changed our mind" in aborted.reason
        assert {v.name: v.weight for v in pd.models.deployment(PILOT).spec.variants
                }["challenger"] == 0
        # Again, as a dict plan: one confirmed step, then the challenger at 100 %.
        pd.rollouts.start(PILOT, 2, FAST)
        assert pd.rollouts.promote(PILOT).weight == 50
        with pytest.raises(Conflict):  # readiness blocks 100 % until the checklist passes
            pd.rollouts.promote(PILOT, full=True)
        unblock_full(platform)
        assert pd.rollouts.promote(PILOT, full=True).phase == "promoted"
        assert [h.phase for h in pd.rollouts.history(PILOT)] == ["promoted", "aborted"]
        with pytest.raises(NotFound):
            pd.rollouts.status("no-such-pilot")
        sim = pd.rollouts.simulate(_traffic(platform, tmp_path), {
            "steps": [{"weight": 50, "pauseSeconds": 0, "minSamples": 50}],
            "gates": [{"name": "uplift", "minSamples": 30}]}, batch=20, max_requests=4000)
        assert sim.decision == "promoted"
        with pytest.raises(ValidationFailed):
            pd.rollouts.simulate("dataset:traffic", {"steps": [{"weight": 500}]})
    with _client(platform, base, "viewer") as viewer, pytest.raises(Forbidden):
        viewer.rollouts.abort(PILOT)


def test_teams_and_training(served: Any) -> None:
    platform, base = served
    with _client(platform, base) as pd:
        team = pd.teams.create("crm", "pilot", description="CRM", pilots=[PILOT])
        assert (team.name, team.kind, team.pilots) == ("crm", "pilot", [PILOT])
        team = pd.teams.add_member("crm", "lea.vogel")
        assert [(m.user, m.role) for m in team.members] == [("lea.vogel", "pilot-team")]
        assert [t.name for t in pd.teams.list(kind="pilot").items] == ["crm"]
        changed = pd.teams.update("crm", description="CRM data science",
                                  revision=team.revision)
        assert changed.revision == team.revision + 1 and changed.pilots == [PILOT]
        with pytest.raises(PreconditionFailed):  # someone else's change in between
            pd.teams.update("crm", description="stale", revision=team.revision)
        assert pd.teams.get("crm").description == "CRM data science"
        record = pd.training.record("lea.vogel", "ML in production", team="crm",
                                    expires="365d")
        assert record.current and record.team == "crm" and record.expires_at
        assert [r.id for r in pd.training.list(team="crm", current=True)] == [record.id]
        assert pd.teams.remove_member("crm", "lea.vogel").members == []
        pd.teams.delete("crm")
        with pytest.raises(NotFound):
            pd.teams.get("crm")
        with pytest.raises(ValidationFailed):
            pd.teams.create("crm", "no-such-kind")
    with _client(platform, base, "viewer") as viewer, pytest.raises(Forbidden):
        viewer.training.record("x", "course", team="crm")


def test_playbook_and_programme_report(served: Any) -> None:
    platform, base = served
    with _client(platform, base) as pd:
        book = pd.playbook.get()
        assert book.organisation and book.numbers.pilots == 1 and book.version is None
        assert "## Median time per phase" in pd.playbook.text()
        first = pd.playbook.publish()
        assert first.new and first.version.version == 1
        assert not pd.playbook.publish().new  # the standard did not change
        assert [v.version for v in pd.playbook.versions()] == [1]
        assert pd.playbook.text("html", version=1).startswith("<!doctype html>")
        with pytest.raises(NotFound):
            pd.playbook.text(version=9)
        report = pd.programme.report()
        assert isinstance(report, ProgrammeReport) and report.period == "month"
        assert [p.pilot for p in report.by_pilot] == [PILOT]
        assert pd.programme.report(period="quarter").period == "quarter"
        assert pd.programme.export("csv").splitlines()[0].startswith("scope")
        assert "AI-driven revenue (measured)" in pd.programme.export("html")
        with pytest.raises(ValidationFailed):
            pd.programme.report(since="in a while")
    with _client(platform, base, "viewer") as viewer, pytest.raises(Forbidden):
        viewer.playbook.publish()
