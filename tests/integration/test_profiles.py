"""Reference profiles: chunked and merged equals whole, and drift against a profile."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pilotdeck.domain.errors import NotFound, ValidationFailed
from tests.backends import require_spark
from tests.cli import run_cli
from tests.conftest import monitoring_at


def make(tmp: Path, n: int, shift: float = 0.0, name: str = "t") -> Path:
    rng = np.random.default_rng(int(shift * 10) + n)
    df = pd.DataFrame({"x": rng.normal(shift, 1, n), "y": rng.gamma(2, 2, n),
                       "k": rng.integers(0, 4, n), "c": rng.choice(["a", "b", "c"], n)})
    df.loc[::17, "y"] = np.nan
    path = tmp / f"{name}.parquet"
    df.to_parquet(path)
    return path


def test_chunked_profile_statistics_equal_the_whole_table(tmp_path: Path) -> None:
    src = make(tmp_path, 5000)
    meta = monitoring_at(tmp_path / "p").build_profile(src, "ref", chunk_rows=700,
                                                       exact_limit=100_000)
    assert meta.exact and meta.rows == 5000
    assert meta.dump()["sampleRows"] == 5000
    assert set(meta.column_types) == {"x", "y", "k", "c"} and meta.column_types["x"] == "double"
    p = monitoring_at(tmp_path / "p").profile("ref")
    df = pd.read_parquet(src)
    y = df["y"].dropna()
    assert p.columns["y"].count == len(y) and p.columns["y"].missing == df["y"].isna().sum()
    assert p.columns["y"].mean == pytest.approx(y.mean())
    assert p.columns["y"].std == pytest.approx(y.std(ddof=0))
    assert (p.columns["x"].min, p.columns["x"].max) == (df["x"].min(), df["x"].max())
    assert p.columns["c"].categories == df["c"].value_counts().to_dict()
    assert p.dist("x").values.tolist() == sorted(df["x"])  # exact: every row kept
    assert p.columns["k"].distinct == df["k"].value_counts().to_dict()  # few distinct values
    assert p.columns["x"].distinct is None


@pytest.mark.parametrize("n", [900, 4000])
def test_drift_against_an_exact_profile_equals_drift_against_the_table(
        tmp_path: Path, n: int) -> None:
    ref, cur = make(tmp_path, n, name="ref"), make(tmp_path, n, 0.4, "cur")
    monitoring_at(tmp_path / "p").build_profile(ref, "ref", chunk_rows=333)
    a = monitoring_at(tmp_path).drift(ref, cur)
    b = monitoring_at(tmp_path / "p").drift(None, cur, profile="ref")
    strip = lambda r: [(c.column, c.method, round(c.value, 9), c.drifted)  # noqa: E731
                       for c in r.columns]
    assert strip(a) == strip(b)
    assert a.dataset_drift == b.dataset_drift
    assert [q.problems for q in a.quality] == [q.problems for q in b.quality]


def test_sampled_profile_keeps_the_method_of_the_full_size_and_clear_verdicts(
        tmp_path: Path) -> None:
    ref, cur = make(tmp_path, 30_000, name="ref"), make(tmp_path, 30_000, 0.5, "cur")
    meta = monitoring_at(tmp_path / "p").build_profile(ref, "big", exact_limit=2000,
                                                       chunk_rows=4096)
    assert not meta.exact and meta.sample_rows == 2000
    out = monitoring_at(tmp_path / "p").drift(None, cur, profile="big")
    by = {c.column: c for c in out.columns}
    assert by["x"].method == "wasserstein" and by["x"].drifted  # true size > 1000
    assert not by["y"].drifted and not by["c"].drifted


def test_profile_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        monitoring_at(tmp_path).profile("nope")
    with pytest.raises(ValidationFailed):
        monitoring_at(tmp_path).build_profile(make(tmp_path, 10), "../escape")
    assert not (tmp_path / "escape").exists()


def test_cli_profile_then_drift(tmp_path: Path) -> None:
    ref, cur = make(tmp_path, 1500, name="ref"), make(tmp_path, 1500, 0.6, "cur")
    env = {"PILOTDECK_HOME": str(tmp_path / "home")}
    run = lambda *a: run_cli("monitor", *a, env=env)  # noqa: E731
    r = run("profile", "--input", str(ref), "--name", "train-v1")
    assert r.returncode == 0 and "1,500 rows, every row" in r.stdout, r.stderr
    r = run("drift", "--profile", "train-v1", "--current", str(cur), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert {c["column"]: c["drifted"] for c in json.loads(r.stdout)["columns"]}["x"] is True
    r = run("drift", "--current", str(cur))
    assert r.returncode == 2 and "exactly one of --reference or --profile" in r.stderr


def test_spark_engine_builds_the_same_profile_and_verdicts(tmp_path: Path) -> None:
    require_spark()
    src = tmp_path / "ref"
    src.mkdir()
    for i in range(3):  # several files: several partitions, merged on the driver
        make(tmp_path, 1500 + i * 100, name=f"part{i}").rename(src / f"part{i}.parquet")
    cur = make(tmp_path, 3000, 0.3, "cur")
    root = tmp_path / "p"
    a = monitoring_at(root).build_profile(src, "local")
    b = monitoring_at(root).build_profile(src, "spark", engine="local[2]")
    assert a.rows == b.rows == 4800 and a.exact and b.exact
    pa_, pb = monitoring_at(root).profile("local"), monitoring_at(root).profile("spark")
    for c, x in pa_.columns.items():
        y = pb.columns[c]
        assert (x.count, x.missing, x.min, x.max, x.categories, x.distinct) == \
            (y.count, y.missing, y.min, y.max, y.categories, y.distinct), c
        assert x.mean == pytest.approx(y.mean) and x.std == pytest.approx(y.std)
        if x.kind == "num":
            assert np.array_equal(pa_.dist(c).values, pb.dist(c).values)  # same exact sample
    ours = monitoring_at(tmp_path).drift(None, cur, profile=pa_).columns
    theirs = monitoring_at(tmp_path).drift(None, cur, profile=pb).columns
    assert [(c.column, c.method, c.drifted) for c in ours] == \
        [(c.column, c.method, c.drifted) for c in theirs]
    assert [c.value for c in ours] == pytest.approx([c.value for c in theirs])
    with pytest.raises(ValidationFailed):
        monitoring_at(root).build_profile(src, "x", engine="yarn")
