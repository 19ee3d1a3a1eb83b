"""``pilotdeck monitor drift`` on Parquet tables: JSON contract, schema changes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pilotdeck.domain.errors import ValidationFailed
from tests.backends import require_spark
from tests.cli import run_cli
from tests.conftest import monitoring_at


def tables(tmp: Path, n: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"age": rng.normal(40, 10, n), "income": rng.lognormal(10, 1, n),
                        "plan": rng.choice(["a", "b", "c"], n), "flag": rng.random(n) < 0.5})
    cur = ref.copy()
    cur["age"] = rng.normal(48, 10, n)  # shifted
    cur["plan"] = rng.choice(["a", "b", "c"], n, p=[0.7, 0.2, 0.1])  # shifted
    cur.loc[: n // 10, "income"] = np.nan
    cur = cur.drop(columns=["flag"]).assign(region="north")
    ref.to_parquet(tmp / "ref.parquet")
    cur.to_parquet(tmp / "cur.parquet")
    return tmp / "ref.parquet", tmp / "cur.parquet"


@pytest.mark.parametrize("n", [800, 4000])
def test_drift_report_names_drifted_columns_and_schema_changes(tmp_path: Path, n: int) -> None:
    ref, cur = tables(tmp_path, n)
    out = monitoring_at(tmp_path).drift(ref, cur)
    by = {c.column: c for c in out.columns}
    assert by["age"].drifted and by["plan"].drifted and not by["income"].drifted
    assert by["age"].method == ("ks" if n <= 1000 else "wasserstein")
    assert by["plan"].method == ("chisquare" if n <= 1000 else "jensenshannon")
    assert out.dataset_drift is True and out.drifted_columns == 2
    assert out.schema_changes.missing_columns == ["flag"]
    assert out.schema_changes.new_columns == ["region"]
    assert {m.column for m in out.missing_values} == {"income"}
    assert set(by["age"].dump()) >= {"column", "method", "value", "threshold", "drifted"}
    dumped = out.dump()  # the JSON contract: camelCase keys
    assert dumped["datasetDrift"] is True and dumped["driftedColumns"] == 2
    assert dumped["schemaChanges"]["missingColumns"] == ["flag"]
    assert dumped["missingValues"][0]["column"] == "income"


def test_bad_options_are_field_errors(tmp_path: Path) -> None:
    ref, cur = tables(tmp_path, 200)
    with pytest.raises(ValidationFailed) as exc:
        monitoring_at(tmp_path).drift(ref, cur, methods={"age": "vibes", "nope": "ks"})
    assert {e.field for e in exc.value.errors} == {"method.age", "method.nope"}
    with pytest.raises(ValidationFailed):
        monitoring_at(tmp_path).drift(tmp_path / "missing.parquet", cur)


def test_cli_json_and_fail_on_drift(tmp_path: Path) -> None:
    ref, cur = tables(tmp_path, 500)
    base = ["monitor", "drift", "--reference", str(ref), "--current", str(cur)]
    r = run_cli(*base, "--format", "json", "--method", "income=psi")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {c["column"]: c["method"] for c in out["columns"]}["income"] == "psi"
    assert {"datasetDrift", "driftedColumns", "columnsTotal", "shareDrifted", "schemaChanges",
            "missingValues", "qualityProblems"} <= set(out)
    r = run_cli(*base, "--fail-on-drift")
    assert r.returncode == 3 and "DRIFT" in r.stdout
    r = run_cli(*base, "--threshold", "age")
    assert r.returncode == 2 and "--threshold: expects NAME=VALUE" in r.stderr


def test_quality_checks_find_range_categories_constants_and_missing(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    n = 1000
    ref = pd.DataFrame({"x": rng.uniform(0, 10, n), "plan": rng.choice(["a", "b"], n),
                        "const": 1.0, "m": rng.normal(size=n)})
    cur = ref.copy()
    cur.loc[:49, "x"] = 50.0  # 5 % out of range
    cur.loc[:19, "plan"] = "z"  # a new category on 2 % of rows
    cur["m"] = np.where(rng.random(n) < 0.3, np.nan, cur["m"])  # 30 % missing
    ref.to_parquet(tmp_path / "r.parquet")
    cur.to_parquet(tmp_path / "c.parquet")
    out = monitoring_at(tmp_path).drift(tmp_path / "r.parquet", tmp_path / "c.parquet")
    q = {c.column: c for c in out.quality}
    assert q["x"].out_of_range == pytest.approx(0.05)
    assert q["plan"].unseen_categories == ["z"] and q["plan"].unseen_share == 0.02
    assert "constant in the current data" in q["const"].problems
    assert q["m"].missing_change == pytest.approx(out.quality[3].missing_current)
    assert any("missing values rose" in p for p in q["m"].problems)
    assert out.quality_problems == 4


def test_duckdb_tables_give_the_same_drift_as_parquet(tmp_path: Path) -> None:
    import duckdb

    ref, cur = tables(tmp_path, 2000)
    db = tmp_path / "lake.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE train AS SELECT * FROM read_parquet('{ref}')")
    spec = Path(f"duckdb://{db}?table=train")  # as the CLI's Path option passes it
    a, b = monitoring_at(tmp_path).drift(ref, cur), monitoring_at(tmp_path).drift(spec, cur)
    assert [(c.column, c.value, c.drifted) for c in a.columns] == \
        [(c.column, c.value, c.drifted) for c in b.columns]
    for bad, problem in ((f"duckdb:{db}?table=nope", "DuckDB"),
                         (f"duckdb:{db}?table=x;drop", "expected"),
                         (f"duckdb:{tmp_path}/none.duckdb?table=t", "no such")):
        with pytest.raises(ValidationFailed) as exc:
            monitoring_at(tmp_path).drift(Path(bad), cur)
        assert exc.value.errors[0].field == "--reference"
        assert problem in exc.value.errors[0].problem
    with pytest.raises(ValidationFailed) as exc:  # Spark reads Parquet only
        monitoring_at(tmp_path).drift(ref, spec, engine="local[2]")
    assert exc.value.errors[0].field == "--engine"
    r = run_cli("monitor", "drift", "--reference", f"duckdb:///{db}?table=train",
                "--current", str(cur), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["driftedColumns"] == a.drifted_columns


def test_streamed_current_side_is_exact_while_it_fits_its_sample(tmp_path: Path) -> None:
    ref, cur = tables(tmp_path, 3000)
    whole = monitoring_at(tmp_path).drift(ref, cur)
    streamed = monitoring_at(tmp_path).drift(ref, cur, stream_rows=100)  # force row-chunk summaries
    assert streamed.current.streamed and streamed.current.exact
    key = lambda r: [(c.column, c.method, c.drifted) for c in r.columns]  # noqa: E731
    assert key(streamed) == key(whole)
    assert [c.value for c in streamed.columns] == \
        pytest.approx([c.value for c in whole.columns])
    assert [q.problems for q in streamed.quality] == [q.problems for q in whole.quality]
    # a sample of the rows
    sampled = monitoring_at(tmp_path).drift(ref, cur, stream_rows=100, sample_rows=1500)
    assert not sampled.current.exact and key(sampled) == key(whole)


def test_spark_current_side_gives_the_same_verdicts(tmp_path: Path) -> None:
    require_spark()
    ref, cur = tables(tmp_path, 3000)
    local = monitoring_at(tmp_path).drift(ref, cur)
    spark = monitoring_at(tmp_path).drift(ref, cur, engine="local[2]")
    assert spark.current.engine == "spark" and spark.current.master == "local[2]"
    assert [(c.column, c.drifted) for c in spark.columns] == \
        [(c.column, c.drifted) for c in local.columns]
    assert [c.value for c in spark.columns] == \
        pytest.approx([c.value for c in local.columns])
