"""The data layer end to end from the CLI: catalogued training data with a quality
baseline -> a model registered on a dataset version -> batch scoring of a
catalogued input into a catalogued output; lineage both ways; quality and
grants holding jobs back; Spark reading the same rows as DuckDB."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.backends import require_spark
from tests.cli import run_cli

PILOT = "churn-prediction"


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PILOTDECK_")},
            "PILOTDECK_HOME": str(tmp_path / "home"), "COLUMNS": "250"}


def test_dataset_model_batch_chain(tmp_path: Path, demo_pilots: Path, trained: dict[str, Any],
                                   cli_env: dict[str, str]) -> None:
    def pd(*args: str, code: int = 0, env: dict[str, str] | None = None) -> Any:
        r = run_cli(*args, env=env or cli_env)
        assert r.returncode == code, (args, r.stdout, r.stderr)
        return r

    pd("pilots", "import", str(demo_pilots / f"{PILOT}.yaml"))
    X = trained["X"]
    train = tmp_path / "train.parquet"
    X.assign(customer_id=np.arange(len(X))).to_parquet(train)
    pd("data", "register", "churn_train", "--path", str(train), "--owner", "crm",
       "--tag", "pii")
    suite = json.loads(pd("data", "baseline", "churn_train", "--key", "customer_id",
                          "--format", "json").stdout)
    assert suite["baselineVersion"] == 0
    assert [c["unique"] for c in suite["columns"] if c["name"] == "customer_id"] == [True]
    pd("models", "register", PILOT, "--path", str(trained["dir"] / "lr"),
       "--dataset", "dataset:churn_train@0")
    r = pd("models", "register", PILOT, "--path", str(trained["dir"] / "lr"),
           "--dataset", "dataset:churn_train@5", code=1)
    assert "version 5 not found" in r.stderr

    # Score the catalogued table into a new catalogued dataset.
    out = pd("batch", "score", PILOT, "--input", "dataset:churn_train@0", "--output",
             "dataset:churn_scores", "--owner", "crm", "--version", "1").stdout
    assert "dataset:churn_scores@0" in out
    scored = json.loads(pd("data", "query", "churn_scores", "--limit", "10000", "--format",
                           "json").stdout)
    assert len(scored["rows"]) == len(X)
    expect = trained["lr"].predict(X.head(5))
    assert [r["prediction"] for r in scored["rows"][:5]] == list(expect)

    up = json.loads(pd("lineage", "upstream", "dataset:churn_scores@0", "--format",
                       "json").stdout)
    ids = {n["id"] for n in up["nodes"]}
    assert {"dataset:churn_train@0", f"model:{PILOT}/1"} <= ids
    down = json.loads(pd("lineage", "downstream", "dataset:churn_train", "--format",
                         "json").stdout)
    ids = {n["id"] for n in down["nodes"]}
    assert {f"model:{PILOT}/1", "dataset:churn_scores@0"} <= ids
    jobs = {r["job"] for r in down["runs"]}
    assert {"model.register", "batch.score"} <= jobs

    # A new version with duplicate keys fails its quality check; jobs are held back.
    bad = tmp_path / "bad.parquet"
    X.head(50).assign(customer_id=np.zeros(50, dtype=np.int64)).to_parquet(bad)
    w = json.loads(pd("data", "register", "churn_train", "--path", str(bad), "--format",
                      "json").stdout)
    assert (w["version"], w["quality"]) == (1, "failed")
    r = pd("data", "check", "churn_train", code=3)
    assert "FAILED" in r.stdout and "customer_id" in r.stdout
    checks = json.loads(pd("lineage", "downstream", "dataset:churn_train@1", "--format",
                           "json").stdout)
    assert "quality.check" in {r["job"] for r in checks["runs"]}
    r = pd("batch", "score", PILOT, "--input", "dataset:churn_train", "--output",
           str(tmp_path / "o.parquet"), "--version", "1", code=1)
    assert "failed its quality checks" in r.stderr and not (tmp_path / "o.parquet").exists()
    pd("batch", "score", PILOT, "--input", "dataset:churn_train", "--output",
       str(tmp_path / "o.parquet"), "--version", "1", "--allow-failed-quality")
    assert pq.read_table(tmp_path / "o.parquet").num_rows == len(X) + 50  # versions accumulate

    # A token without a grant cannot read the pii input through any job.
    tok = pd("tokens", "create", "--user", "eng", "--role", "platform-engineer"
             ).stdout.strip().splitlines()[-1]
    as_eng = {**cli_env, "PILOTDECK_TOKEN": tok}
    for args in (("data", "query", "churn_train"),
                 ("batch", "score", PILOT, "--input", "dataset:churn_train@0", "--output",
                  str(tmp_path / "e.parquet"), "--version", "1"),
                 ("monitor", "profile", "--input", "dataset:churn_train", "--name", "p"),
                 ("monitor", "drift", "--reference", "dataset:churn_train@0", "--current",
                  str(train))):
        r = pd(*args, code=1, env=as_eng)
        assert "churn_train" in r.stderr and "pii" in r.stderr, r.stderr
    events = json.loads(pd("audit", "log", "--action", "dataset.read-denied", "--format",
                           "json").stdout)
    assert len(events) == 4
    pd("data", "grant", "churn_train", "--to", f"pilot:{PILOT}")
    pd("batch", "score", PILOT, "--input", "dataset:churn_train@0", "--output",
       str(tmp_path / "e.parquet"), "--version", "1", env=as_eng)


def test_spark_reads_a_version_as_duckdb_does(tmp_path: Path) -> None:
    require_spark()
    import duckdb

    from pilotdeck.adapters.compute.spark import SparkEngine, _read
    from pilotdeck.adapters.lake import LocalLake
    from pilotdeck.adapters.lake.tables import pinned
    from pilotdeck.domain.datasets import PinnedTable

    lake = LocalLake(tmp_path)
    uri = lake.datasets.default_uri("events")
    rng = np.random.default_rng(3)
    for i in range(3):
        lake.datasets.write(uri, pa.table({"id": np.arange(i * 100, i * 100 + 100),
                                           "x": rng.normal(size=100),
                                           "kind": rng.choice(["a", "b"], 100)}),
                            create=i == 0)
    snap = lake.datasets.snapshot(uri, 1)
    table = PinnedTable("events", snap.version, uri, tuple(snap.files))
    con = duckdb.connect()
    con.register("t", pinned(table))
    via_duck = con.sql("SELECT * FROM t ORDER BY id").fetchall()
    spark = SparkEngine("local[1]").session()
    via_spark = [tuple(r) for r in _read(spark, table).orderBy("id").collect()]
    assert len(via_duck) == 200 and via_spark == via_duck
    from deltalake import DeltaTable

    via_delta = DeltaTable(uri, version=1).to_pyarrow_table().sort_by("id")
    assert via_delta.to_pylist() == [dict(zip(("id", "x", "kind"), r, strict=True))
                                     for r in via_duck]
