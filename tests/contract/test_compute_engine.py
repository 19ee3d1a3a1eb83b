"""The ``ComputeEngine`` contract (scoring), against every implementation: the
local pyarrow engine and Spark (``local[1]``), each built through
``make_compute_engine``. Both must give exactly the predictions the
scikit-learn model gives, so they give the same predictions as each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pilotdeck.adapters.compute import make_compute_engine
from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.ports.compute import ComputeEngine, ScoreJob
from tests.contract.conftest import FEATURES, Trained, require, spark_available

ENGINES = {"local": "local", "spark": "local[1]"}


@pytest.fixture(scope="module", params=list(ENGINES))
def engine(request: pytest.FixtureRequest) -> Iterator[ComputeEngine]:
    if request.param == "spark":
        require(spark_available(), "pyspark with a Java runtime")
    yield make_compute_engine(ENGINES[request.param])


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory, trained: Trained) -> dict[str, Path]:
    """The training features plus an id (scored), one lacking ``spend``, one with no rows."""
    d = tmp_path_factory.mktemp("contract-tables")
    frame = trained.X.assign(id=np.arange(len(trained.X)), region="north")
    full = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(full, d / "full.parquet", row_group_size=64)
    pq.write_table(full.drop_columns(["spend"]), d / "no_spend.parquet")
    pq.write_table(full.slice(0, 0), d / "empty.parquet")
    return {p.stem: p for p in d.glob("*.parquet")}


def job(trained: Trained, source: Path, output: Path) -> ScoreJob:
    return ScoreJob(trained.first_dir, list(FEATURES), source, output, model_version=4,
                    chunk_rows=50)  # several chunks for the local engine


def test_implements_the_port(engine: ComputeEngine) -> None:
    assert isinstance(engine, ComputeEngine) and engine.name in ("local", "spark")


def test_scores_exactly_like_the_model(engine: ComputeEngine, trained: Trained,
                                       tables: dict[str, Path], tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = engine.score(job(trained, tables["full"], tmp_path / "out.parquet"),
                          lambda done, total: seen.append((done, total)))
    n = len(trained.X)
    assert result.rows == n and result.seconds >= 0 and seen[-1] == (n, n)
    out = pd.read_parquet(result.output).sort_values("id").reset_index(drop=True)
    assert list(out.columns) == [*FEATURES, "id", "region", "prediction", "model_version"]
    np.testing.assert_array_equal(out["prediction"].to_numpy(),
                                  trained.first.predict(trained.X))  # type: ignore[attr-defined]
    assert (out["model_version"] == 4).all() and (out["region"] == "north").all()
    pd.testing.assert_frame_equal(out[FEATURES], trained.X, check_dtype=True)


def test_missing_column_is_a_validation_error_naming_it(
        engine: ComputeEngine, trained: Trained, tables: dict[str, Path],
        tmp_path: Path) -> None:
    output = tmp_path / "out.parquet"
    with pytest.raises(ValidationFailed) as err:
        engine.score(job(trained, tables["no_spend"], output))
    assert [e.field for e in err.value.errors] == ["columns.spend"]
    assert not output.exists()


def test_input_without_rows_is_a_validation_error(
        engine: ComputeEngine, trained: Trained, tables: dict[str, Path],
        tmp_path: Path) -> None:
    output = tmp_path / "out.parquet"
    with pytest.raises(ValidationFailed) as err:
        engine.score(job(trained, tables["empty"], output))
    assert err.value.errors and err.value.errors[0].field == "--input"
    assert not output.exists()


def test_missing_input_is_a_validation_error(engine: ComputeEngine, trained: Trained,
                                             tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as err:
        engine.score(job(trained, tmp_path / "nowhere.parquet", tmp_path / "out.parquet"))
    assert [e.field for e in err.value.errors] == ["--input"]


def test_unknown_engine_names_the_option_and_the_choices() -> None:
    with pytest.raises(ValidationFailed) as err:
        make_compute_engine("ray://head:10001")
    problem = err.value.errors[0]
    assert problem.field == "--engine"
    assert all(s in problem.problem for s in ("local", "local[N]", "spark"))


def test_summarises_a_table_into_the_profile_of_the_whole(
        engine: ComputeEngine, trained: Trained, tables: dict[str, Path]) -> None:
    """Every engine folds the table into the same statistics (counts, moments,
    categories) and keeps the whole table as its sample while it fits."""
    import pyarrow.dataset as pads

    from pilotdeck.domain.columns import schema_kinds

    dataset = pads.dataset(str(tables["full"]))
    kinds = schema_kinds(dataset.schema)
    seen: list[tuple[int, int]] = []
    whole = engine.summarise(str(tables["full"]), dataset, kinds, limit=10_000, seed=1,
                             chunk_rows=50, progress=lambda d, t: seen.append((d, t)))
    n = len(trained.X)
    assert whole.rows == n and seen[-1] == (n, n) and whole.sample.shape[0] == n
    for c in FEATURES:
        col = whole.cols[c]
        assert col.count == n and col.missing == 0
        assert col.mean == pytest.approx(float(trained.X[c].mean()))
        assert col.std == pytest.approx(float(trained.X[c].std(ddof=0)))
    assert whole.cols["region"].categories == {"north": n}
