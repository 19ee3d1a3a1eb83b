"""Feature views read from catalogued datasets: the datasets' grants hold for online
reads, training sets and the gateway, and a training set becomes a dataset with
lineage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pilotdeck.domain.errors import Forbidden
from tests.cli import run_cli
from tests.features.fixtures import churn_doc, offer_doc, write_stats


def dataset_doc() -> dict[str, Any]:
    doc = churn_doc()
    doc["featureViews"][0]["source"] = {"dataset": "customer_stats_ds"}
    return doc


@pytest.mark.feast
def test_views_on_a_pii_dataset_obey_its_grants(tmp_path: Path, feast_required: None) -> None:
    home = tmp_path / "home"
    env = {"PILOTDECK_HOME": str(home)}
    stats = tmp_path / "stats"
    write_stats(stats)
    r = run_cli("data", "register", "customer_stats_ds", "--path", str(stats / "part-0.parquet"),
                "--owner", "crm", "--tag", "pii", env=env)
    assert r.returncode == 0, r.stderr
    defs = tmp_path / "defs"
    defs.mkdir()
    (defs / "churn-prediction.yaml").write_text(yaml.safe_dump(dataset_doc()))
    (defs / "next-best-offer.yaml").write_text(yaml.safe_dump(offer_doc()))
    for args in (("pilots", "import", str(Path(__file__).parents[2] / "src" / "pilotdeck" /
                                          "demo" / "pilots")),
                 ("features", "apply", str(defs)),
                 ("features", "materialize", "--start", "2026-01-01", "--end", "2026-01-20")):
        r = run_cli(*args, env=env)
        assert r.returncode == 0, (args, r.stderr)
    r = run_cli("features", "get", "--entity", "customer_id=1", "--format", "json", env=env)
    assert json.loads(r.stdout)["rows"][0]["customer_stats__spend_30d"] == 99.0  # admin

    tok = run_cli("tokens", "create", "--user", "eng", "--role", "platform-engineer",
                  env=env).stdout.strip().splitlines()[-1]
    as_eng = {**env, "PILOTDECK_TOKEN": tok}
    entities = tmp_path / "entities.csv"
    entities.write_text("customer_id,event_timestamp\n1,2026-01-05T00:00:00Z\n")
    for args in (("features", "get", "--entity", "customer_id=1"),
                 ("features", "dataset", "--entities", str(entities), "--features",
                  "customer_stats:spend_30d", "--out", "train", "--owner", "ml")):
        r = run_cli(*args, env=as_eng)
        assert r.returncode == 1 and "customer_stats_ds" in r.stderr and "pii" in r.stderr
    r = run_cli("audit", "log", "--action", "dataset.read-denied", "--format", "json", env=env)
    assert {e["data"]["via"] for e in json.loads(r.stdout)} == {"features"}

    # The gateway serves churn-prediction from the view only once the pilot may read it.
    from pilotdeck.config import Settings
    from pilotdeck.platform import Platform

    p = Platform(Settings(home=home))
    try:
        assert "churn-prediction" not in p.features.services()
        from pilotdeck.auth.roles import local_admin

        p.datasets.access.grant("customer_stats_ds", "pilot:churn-prediction", "read",
                                local_admin("t"))
        assert "churn-prediction" in p.features.services()
        with pytest.raises(Forbidden):
            p.features.get({"customer_id": 1}, None, p.access.authenticate(tok))
    finally:
        p.close()

    # A training set is a catalogued dataset, traced to the view's source.
    r = run_cli("features", "dataset", "--entities", str(entities), "--features",
                "customer_stats:spend_30d", "--out", "train", "--owner", "ml", "--format",
                "json", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["dataset"]["name"] == "train"
    r = run_cli("lineage", "upstream", "dataset:train@0", "--format", "json", env=env)
    ids = {n["id"] for n in json.loads(r.stdout)["nodes"]}
    assert "dataset:customer_stats_ds" in {i.split("@")[0] for i in ids}, ids


@pytest.mark.feast
def test_the_demo_feature_store(tmp_path: Path, feast_required: None) -> None:
    from pilotdeck.auth.roles import local_admin
    from pilotdeck.config import Settings
    from pilotdeck.demo import features as demo
    from pilotdeck.demo.story import pilots_dir
    from pilotdeck.platform import Platform

    p = Platform(Settings(home=tmp_path / "home"))
    who = local_admin("demo")
    try:
        p.portfolio.import_path(pilots_dir(), who)
        said = demo.set_up(p, who)
        assert said is not None and "churn-prediction" in said
        (view,) = p.features.list_views().views
        assert view.reuse == 2 and view.source == f"dataset:{demo.DATASET}"
        served = p.features.services()["churn-prediction"]
        assert served.keys == ["customer_id"]
        got = p.features.get({"customer_id": 42}, None, who)
        assert all(v is not None for k, v in got.rows[0].items())
        assert len(got.features) == len(demo.COLUMNS)
        assert demo.set_up(p, who) == said  # a second run changes nothing it should not
        assert p.datasets.show(demo.DATASET, who).version == 0
    finally:
        p.close()
