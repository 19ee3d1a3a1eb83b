"""Pilot import/export/CRUD against real SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pilotdeck.auth.roles import Principal, Role
from pilotdeck.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.query import PilotFilter


def copy_demo(demo_pilots: Path, dest: Path) -> Path:
    shutil.copytree(demo_pilots, dest)
    return dest


def test_import_directory_then_reimport_is_a_noop(platform, admin, demo_pilots) -> None:
    first = platform.portfolio.import_path(demo_pilots, admin)
    assert len(first.created) == 16 and not first.updated
    size = platform.audit.head().size
    again = platform.portfolio.import_path(demo_pilots, admin)
    assert len(again.unchanged) == 16 and not again.created and not again.updated
    assert platform.audit.head().size == size  # no-op writes no audit event


def test_one_bad_manifest_imports_nothing_and_names_file_field_problem(
        platform, admin, demo_pilots, tmp_path) -> None:
    d = copy_demo(demo_pilots, tmp_path / "pilots")
    nested = d / "finance" / "deep"
    nested.mkdir(parents=True)
    bad = yaml.safe_load((d / "churn-prediction.yaml").read_text())
    bad["metadata"]["name"] = "bad-one"
    bad["spec"]["scores"]["impact"]["value"] = 7
    (nested / "bad-one.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(ValidationFailed) as exc:
        platform.portfolio.import_path(d, admin)
    [err] = exc.value.errors
    assert err.source and err.source.endswith("finance/deep/bad-one.yaml")
    assert err.field == "spec.scores.impact.value"
    assert err.problem == "must be 1..5, got 7"
    assert platform.portfolio.list(PilotFilter())[1] == 0
    assert platform.audit.head().size == 0


def test_yaml_syntax_error_and_duplicate_names_are_reported(platform, admin, tmp_path) -> None:
    (tmp_path / "a.yaml").write_text("metadata: [unclosed\n")
    with pytest.raises(ValidationFailed) as exc:
        platform.portfolio.import_path(tmp_path, admin)
    assert "line" in exc.value.errors[0].problem
    with pytest.raises(ValidationFailed) as exc:
        platform.portfolio.import_path(tmp_path / "missing", admin)
    assert exc.value.errors[0].problem == "no such file or directory"


def test_duplicate_names_across_files(platform, admin, demo_pilots, tmp_path) -> None:
    d = copy_demo(demo_pilots, tmp_path / "p")
    shutil.copy(d / "churn-prediction.yaml", d / "copy.yaml")
    with pytest.raises(ValidationFailed) as exc:
        platform.portfolio.import_path(d, admin)
    assert any("duplicate pilot 'churn-prediction'" in e.problem for e in exc.value.errors)


def test_changed_manifest_is_an_audited_update(platform, admin, demo_pilots, tmp_path) -> None:
    d = copy_demo(demo_pilots, tmp_path / "p")
    platform.portfolio.import_path(d, admin)
    f = d / "churn-prediction.yaml"
    doc = yaml.safe_load(f.read_text())
    doc["spec"]["status"] = "production"
    f.write_text(yaml.safe_dump(doc))
    result = platform.portfolio.import_path(d, admin)
    assert result.updated == ["churn-prediction"] and len(result.unchanged) == 15
    shown = platform.portfolio.get("churn-prediction")
    assert shown.spec.status == "production" and shown.record.revision == 2
    assert shown.dump()["spec"]["status"] == "production"
    [ev] = platform.audit.log(action="pilot.updated")
    assert ev.dump()["entity"] == {"type": "pilot", "id": "churn-prediction"}
    assert ev.data["before"]["spec"]["status"] == "scaling"
    assert ev.data["after"]["spec"]["status"] == "production"


def test_export_then_import_round_trips_unchanged(platform, admin, demo_pilots, tmp_path) -> None:
    platform.portfolio.import_path(demo_pilots, admin)
    paths = platform.portfolio.export(tmp_path / "out")
    assert len(paths) == 16
    assert platform.portfolio.import_path(tmp_path / "out", admin).unchanged == sorted(
        p.stem for p in paths)


def test_filters_pagination_and_delete(platform, admin, demo_pilots) -> None:
    platform.portfolio.import_path(demo_pilots, admin)
    finance, total = platform.portfolio.list(PilotFilter(business_unit="finance"))
    assert total == 4 and {p.metadata.business_unit for p in finance} == {"Finance"}
    page, total = platform.portfolio.list(PilotFilter(), limit=5, offset=10)
    assert total == 16 and len(page) == 5
    assert [p.name for p in page] == sorted(
        p.stem for p in demo_pilots.glob("*.yaml"))[10:15]
    sunset, _ = platform.portfolio.list(PilotFilter(status="sunset"))
    assert [p.name for p in sunset] == ["legacy-faq-bot"]
    with pytest.raises(ValidationFailed):
        platform.portfolio.list(PilotFilter(status="nope"))
    platform.portfolio.delete("legacy-faq-bot", admin)
    with pytest.raises(NotFound):
        platform.portfolio.get("legacy-faq-bot")
    assert platform.audit.log(action="pilot.deleted")[0].data["before"]["metadata"][
        "name"] == "legacy-faq-bot"


def test_pilot_team_can_change_only_its_own_pilots(platform, admin, demo_pilots) -> None:
    platform.portfolio.import_path(demo_pilots, admin)
    team = Principal("ana", Role.PILOT_TEAM, frozenset({"churn-prediction"}))
    ms = platform.portfolio.manifests()
    mine = next(m for m in ms if m.name == "churn-prediction")
    other = next(m for m in ms if m.name == "fraud-detection-realtime")
    with pytest.raises(Forbidden):
        platform.portfolio.apply([mine, other], team)  # all or nothing: nothing written
    changed = mine.model_copy(update={"spec": mine.spec.model_copy(update={"problem": "new"})})
    assert platform.portfolio.apply([changed], team).updated == ["churn-prediction"]
    with pytest.raises(Conflict):
        platform.portfolio.apply([changed], admin, must_exist=False)
