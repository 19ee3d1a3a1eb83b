"""Batch scoring: bounded chunks, the model's own predictions, lineage, and Spark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pilotdeck.domain.errors import NotFound, ValidationFailed
from tests.backends import require_spark
from tests.integration.conftest import ADMIN, COLS, Env


def write_partitioned(X: pd.DataFrame, root: Path) -> Path:
    """The same rows as a hive-partitioned directory (region=a/…, region=b/…)."""
    for i, part in enumerate(("a", "b")):
        d = root / f"region={part}"
        d.mkdir(parents=True)
        chunk = X.iloc[i::2].assign(row_id=range(i, len(X), 2))
        pq.write_table(pa.Table.from_pandas(chunk, preserve_index=False), d / "p.parquet")
    return root


def test_local_engine_scores_in_chunks_with_the_models_own_predictions(
        env: Env, tmp_path: Path) -> None:
    env.platform.models.set_alias("churn-prediction", "champion", 1, ADMIN)
    X = env.trained["X"]
    src = write_partitioned(X, tmp_path / "in")
    out = tmp_path / "scored.parquet"
    seen: list[int] = []
    res = env.platform.batch.score("churn-prediction", src, out, ADMIN,
                                           chunk_rows=128, progress=lambda d, t: seen.append(d))
    assert res.rows == len(X) and res.version == 1
    assert len(seen) >= len(X) // 128 and seen[-1] == len(X)  # really chunked
    got = pd.read_parquet(out).sort_values("row_id")
    want = env.trained["lr"].predict(X[COLS])
    assert (got["prediction"].to_numpy() == want).all()
    assert set(got["model_version"]) == {1} and "region" in got.columns
    [event] = env.platform.audit.log(action="batch.scored")[-1:]
    assert event.data["outputs"][0]["facets"]["outputStatistics"]["rowCount"] == len(X)
    assert event.data["inputs"][0]["name"] == str(src.resolve())


def test_bad_inputs_fail_cleanly_and_write_nothing(env: Env, tmp_path: Path) -> None:
    svc = env.platform.batch
    X = env.trained["X"]
    short = tmp_path / "short.parquet"
    X.drop(columns=["age"]).to_parquet(short)
    out = tmp_path / "never.parquet"
    with pytest.raises(ValidationFailed) as exc:
        svc.score("churn-prediction", short, out, ADMIN)
    assert exc.value.errors[0].field == "columns.age"
    with pytest.raises(ValidationFailed):
        svc.score("churn-prediction", tmp_path / "missing.parquet", out, ADMIN)
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(ValidationFailed):
        svc.score("churn-prediction", tmp_path / "junk.parquet", out, ADMIN)
    with pytest.raises(NotFound):
        svc.score("churn-prediction", short, out, ADMIN, version=99)
    with pytest.raises(ValidationFailed):
        svc.score("churn-prediction", short, out, ADMIN, engine="ray")
    assert not out.exists() and not list(tmp_path.glob(".never*"))


def test_spark_engine_gives_identical_predictions(env: Env, tmp_path: Path) -> None:
    require_spark()
    X = env.trained["X"]
    src = write_partitioned(X, tmp_path / "in")
    svc = env.platform.batch
    local = svc.score("churn-prediction", src, tmp_path / "local.parquet", ADMIN, version=2)
    spark = svc.score("churn-prediction", src, tmp_path / "spark", ADMIN, version=2,
                      engine="local[2]")
    assert local.rows == spark.rows == len(X) and spark.engine == "spark"
    a = pd.read_parquet(tmp_path / "local.parquet").sort_values("row_id")
    b = pd.read_parquet(tmp_path / "spark").sort_values("row_id")
    assert (a["prediction"].to_numpy() == b["prediction"].to_numpy()).all()
    assert set(b["model_version"]) == {2}
