"""The playbook (SQLite and PostgreSQL): generated from the configured standard with
the current numbers; a new version exactly when the standard changes (the rubric,
the teams), never when only the numbers move; audited and stored; the command and
the routes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from pilotdeck.auth.roles import Principal, Role, local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.errors import Forbidden, NotFound
from pilotdeck.platform import Platform
from pilotdeck.render.playbook import markdown, page
from tests.conftest import DEMO_PILOTS
from tests.service.test_registry_service import MLMODEL

ADMIN = local_admin("tester")
PILOT = "churn-prediction"


def make(home: Path, db_url: str, **settings: Any) -> Platform:
    return Platform(Settings(home=home, db_url=db_url, mlflow_uri="memory://", **settings))


@pytest.fixture()
def world(tmp_path: Path, db_url: str) -> Iterator[tuple[Platform, Path]]:
    p = make(tmp_path / "home", db_url)
    p.portfolio.import_path(DEMO_PILOTS / f"{PILOT}.yaml", ADMIN)
    p.portfolio.import_path(DEMO_PILOTS / "next-best-offer.yaml", ADMIN)
    yield p, tmp_path
    p.close()


def publish(p: Platform, who: Principal = ADMIN) -> Any:
    pb = p.playbook.generate()
    return p.playbook.publish(pb, markdown(pb), page(pb), who)


def register(p: Platform, tmp: Path) -> None:
    model = tmp / "model"
    model.mkdir(exist_ok=True)
    (model / "MLmodel").write_text(MLMODEL)
    p.models.register(PILOT, ADMIN, path=model, metrics={"auc": 0.8})


def test_a_version_per_change_of_the_standard_not_of_the_numbers(world: Any,
                                                                  db_url: str) -> None:
    p, tmp = world
    first = publish(p)
    assert first.new and first.version.version == 1 and "rubric" in first.version.changed
    assert not publish(p).new  # nothing changed
    # The numbers move (a model registered, a pilot checked): same standard, no version.
    before = p.playbook.generate()
    register(p, tmp)
    after = p.playbook.generate()
    assert after.numbers.checked == 1 and before.numbers.checked == 0
    assert after.standard_sha256 == before.standard_sha256 and after.version == 1
    again = publish(p)
    assert not again.new and again.version.version == 1
    # The rubric changes: a new version that names what changed.
    text = resources.files("pilotdeck.data").joinpath("rubric.yaml").read_text()
    rubric = tmp / "rubric.yaml"
    rubric.write_text(text.replace("weight: 0.5", "weight: 0.4").replace(
        "strategicFit: {weight: 0.3", "strategicFit: {weight: 0.4"))
    p2 = make(tmp / "home", db_url, rubric_path=rubric)
    try:
        assert p2.playbook.generate().version is None  # changed since version 1
        second = publish(p2)
        assert second.new and second.version.version == 2
        assert second.version.changed == ["rubric"]
        # A team is a part of the standard too.
        p2.teams.create("crm", "pilot", ADMIN, pilots=[PILOT])
        third = publish(p2)
        assert third.version.version == 3 and third.version.changed == ["teams"]
        assert [v.version for v in p2.playbook.versions()] == [1, 2, 3]
        assert "| impact | value | 0.4 |" in p2.playbook.published_text(2, "md")
        assert "| impact | value | 0.5 |" in p2.playbook.published_text(1, "md")
        assert p2.playbook.published_text(3, "html").startswith("<!doctype html>")
        with pytest.raises(NotFound):
            p2.playbook.published_text(9, "md")
        events = p2.audit.log(action="playbook.published", limit=10)
        assert [e.data["version"] for e in events] == [1, 2, 3]
        assert events[1].data["standardSha256"] == second.version.standard_sha256
    finally:
        p2.close()
    for who in (Principal("v", Role.VIEWER), Principal("t", Role.PILOT_TEAM, frozenset())):
        with pytest.raises(Forbidden):
            publish(p, who)


def test_the_numbers_and_the_sections(world: Any) -> None:
    from pilotdeck.render.runbook import sections as runbook_sections
    from pilotdeck.services.playbook import RUNBOOK_SECTIONS

    p, tmp = world
    register(p, tmp)
    pb = p.playbook.generate()
    n = pb.numbers
    assert (n.pilots, n.checked) == (2, 1)
    gates = {g.gate: (g.passed, g.of) for g in n.gates}
    assert gates["model-registered"] == (1, 1) and gates["board-signoff"] == (0, 1)
    assert [s.passed for s in n.stages] == [0, 0]  # no risk assessment, no sign-off
    assert n.phases[0].phase == "created to model registered" and n.phases[0].pilots == 1
    assert n.phases[0].median_days is not None and n.phases[1].pilots == 0
    assert n.common_failures and all(f.pilots == [PILOT] for f in n.common_failures)
    md = markdown(pb)
    for heading in ("## 1. Prioritise", "## 4. Controls per risk tier",
                    "## 5. The pilot-to-production checklist", "## 6. Staged rollout",
                    "## 9. Teams", "## Median time per phase", "## Most common failures"):
        assert heading in md
    assert "5 % → 25 % → 50 % → 100 %" in md
    assert "<h2>8. Roles</h2>" in page(pb)
    # What the playbook says a runbook holds is what a runbook holds.
    titles = [s.title for s in runbook_sections(p.runbooks.generate(PILOT))]
    assert titles == list(RUNBOOK_SECTIONS)


def test_cli(world: Any) -> None:
    from tests.cli import run_cli

    p, tmp = world
    env = {"PILOTDECK_HOME": str(p.settings.home), "PILOTDECK_DB_URL": p.settings.db_url,
           "PILOTDECK_MLFLOW_URI": "memory://"}
    r = run_cli("playbook", env=env)
    assert r.returncode == 0 and "# How we move AI from pilot to scale" in r.stdout, r.stderr
    out = tmp / "playbook.html"
    r = run_cli("playbook", "--format", "html", "--output", str(out), "--publish", env=env)
    assert r.returncode == 0 and "version 1 published" in r.stdout, r.stderr
    assert out.read_text().startswith("<!doctype html>")
    r = run_cli("playbook", "--publish", env=env)
    assert "has not changed: version 1 stands" in r.stdout
    r = run_cli("playbook", "versions", "--format", "json", env=env)
    assert [v["version"] for v in json.loads(r.stdout)] == [1]
    r = run_cli("playbook", "--format", "json", env=env)
    assert json.loads(r.stdout)["version"] == 1
    assert "# How we move AI" in run_cli("playbook", "show", "1", env=env).stdout
    for args in (("playbook", "--format", "pdf"), ("playbook", "show", "7"),
                 ("playbook", "show", "0"),
                 ("playbook", "--output", str(tmp / "no" / "such" / "dir.md"))):
        r = run_cli(*args, env=env)
        assert r.returncode in (1, 2) and len(r.stderr.strip().splitlines()) == 1, (args, r)


def test_api(world: Any) -> None:
    from fastapi.testclient import TestClient

    from pilotdeck.api.app import create_app

    p, _ = world
    client = TestClient(create_app(p))

    def bearer(role: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + p.access.create(role, role, [], ADMIN).token}

    viewer, engineer = bearer("viewer"), bearer("platform-engineer")
    r = client.get("/v1/playbook", headers=viewer)
    assert r.status_code == 200 and r.json()["version"] is None, r.text
    assert r.json()["numbers"]["pilots"] == 2
    md = client.get("/v1/playbook?format=md", headers=viewer)
    assert md.headers["content-type"].startswith("text/markdown") and "## 5." in md.text
    assert client.get("/v1/playbook?format=html", headers=viewer).text.startswith("<!doc")
    assert client.post("/v1/playbook/publish", headers=viewer).status_code == 403
    r = client.post("/v1/playbook/publish", headers=engineer)
    assert r.status_code == 200 and r.json()["new"] and r.json()["version"]["version"] == 1
    assert client.post("/v1/playbook/publish", headers=engineer).json()["new"] is False
    v = client.get("/v1/playbook/versions", headers=viewer).json()
    assert [x["version"] for x in v] == [1]
    assert client.get("/v1/playbook?format=md&version=1", headers=viewer).status_code == 200
    assert client.get("/v1/playbook?format=md&version=4", headers=viewer).status_code == 404
    r = client.get("/v1/playbook?format=pdf", headers=viewer)
    assert r.status_code == 422 and "format" in r.text
