"""``pilotdeck features``: the commands end to end, and their one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.cli import run_cli
from tests.features.fixtures import churn_doc, offer_doc, write_stats


@pytest.fixture
def world(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    write_stats(home / "lakehouse" / "tables" / "customer_stats")
    defs = tmp_path / "defs"
    defs.mkdir()
    (defs / "churn-prediction.yaml").write_text(yaml.safe_dump(churn_doc()))
    (defs / "next-best-offer.yaml").write_text(yaml.safe_dump(offer_doc()))
    return {"PILOTDECK_HOME": str(home), "DEFS": str(defs)}


def env(world: dict[str, str]) -> dict[str, str]:
    return {"PILOTDECK_HOME": world["PILOTDECK_HOME"]}


@pytest.mark.feast
def test_apply_materialize_get_dataset_list(world: dict[str, str], tmp_path: Path,
                                            feast_required: None) -> None:
    import pandas as pd

    r = run_cli("features", "apply", world["DEFS"], env=env(world))
    assert r.returncode == 0, r.stderr
    assert "applied 1 feature view(s) and 1 entity for 2 pilot(s)" in r.stdout
    r = run_cli("features", "list", "--format", "json", env=env(world))
    (view,) = json.loads(r.stdout)["views"]
    assert view["reuse"] == 2 and view["usedBy"] == ["churn-prediction", "next-best-offer"]
    r = run_cli("features", "materialize", "--start", "2026-01-01", "--end", "2026-01-20",
                env=env(world))
    assert r.returncode == 0 and "materialised customer_stats" in r.stdout, r.stderr
    r = run_cli("features", "get", "--entity", "customer_id=1", "--feature",
                "customer_stats:spend_30d", "--format", "json", env=env(world))
    assert json.loads(r.stdout)["rows"] == [{"customer_id": 1,
                                             "customer_stats__spend_30d": 99.0}]
    entities = tmp_path / "entities.csv"
    entities.write_text("customer_id,event_timestamp\n1,2026-01-05T00:00:00Z\n")
    r = run_cli("features", "dataset", "--entities", str(entities), "--features",
                "customer_stats:spend_30d", "--out", "train", "--owner", "ml", "--format",
                "json", env=env(world))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["rows"] == 1 and out["dataset"]["version"] == 0  # a catalogued dataset
    assert pd.read_parquet(out["path"])["customer_stats__spend_30d"].tolist() == [10.0]


@pytest.mark.feast
def test_bad_input_is_one_line(world: dict[str, str], feast_required: None) -> None:
    run_cli("features", "apply", world["DEFS"], env=env(world))
    for args, words in [
        (["get", "--entity", "customer_id=one"], "customer_id: must be of type int64"),
        (["get", "--entity", "nobody"], "must be key=value"),
        (["get", "--entity", "account_id=1"], "entity key 'account_id' not found"),
        (["materialize", "--start", "soon"], "--start: expects an ISO date"),
        (["materialize", "--view", "ghost"], "feature view 'ghost' not found"),
        (["dataset", "--entities", "no_such", "--features", "customer_stats:spend_30d",
          "--out", "x"], "entity table 'no_such' not found"),
    ]:
        r = run_cli("features", *args, env=env(world))
        assert r.returncode in (1, 2), r
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], r.stderr
        assert "Traceback" not in r.stderr


def test_without_feast_the_error_says_how_to_install(world: dict[str, str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs in both venvs: Feast is hidden here (an import of it fails)."""
    monkeypatch.setitem(sys.modules, "feast", None)
    r = run_cli("features", "apply", world["DEFS"], env=env(world))
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "error: the feature store is not installed: install pilotdeck[features] "
        "(pip install 'pilotdeck[features]')"]
    r = run_cli("features", "list", env=env(world))  # reading definitions needs no Feast
    assert r.returncode == 0, r.stderr
    bad = world["DEFS"] + "/churn-prediction.yaml"
    Path(bad).write_text("pilot: [unclosed")
    r = run_cli("features", "apply", bad, env=env(world))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "not valid YAML" in r.stderr
