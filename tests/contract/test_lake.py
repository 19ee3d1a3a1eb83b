"""Contract of the lakehouse port (``domain/ports/lake.py``), run against every
implementation (today the lake on local disk; the Delta-backed lake of the data
layer must pass the same file). Identifiers that become paths are hostile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

from pilotdeck.domain.errors import NotFound, ValidationFailed
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.profile import ColumnProfile

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _local(root: Path) -> Lake:
    from pilotdeck.adapters.lake import LocalLake

    return LocalLake(root)


IMPLEMENTATIONS: dict[str, Callable[[Path], Lake]] = {"local-disk": _local}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    return IMPLEMENTATIONS[request.param](tmp_path / "lake")


def _request(i: int, pilot: str = "churn", **over: object) -> dict[str, object]:
    rec: dict[str, object] = {
        "request_id": f"r{i}", "ts": T0 + timedelta(minutes=i), "pilot": pilot,
        "variant": "champion" if i % 2 == 0 else "challenger", "model_version": 1 + i % 2,
        "inputs": orjson.dumps({"columns": ["x", "c"], "data": [[float(i), "a"]]}).decode(),
        "outputs": orjson.dumps([i % 2]).decode(), "latency_ms": 1.5, "cache_hit": False,
        "status": 200, "rows": 1}
    rec.update(over)
    return rec


def _write(writer, records: list[dict[str, object]]) -> None:  # type: ignore[no-untyped-def]
    async def go() -> None:
        writer.start()
        for r in records:
            writer.append(r)
        await writer.close()  # flushes what is buffered

    asyncio.run(go())


def test_prediction_log_round_trip_and_filters(lake: Lake) -> None:
    writer = lake.prediction_log(flush_s=60, max_rows=10_000)
    _write(writer, [_request(i) for i in range(10)]
           + [_request(10, variant="shadow"), _request(11, status=503, outputs="null")])
    assert writer.written == 12
    assert lake.requests("churn").num_rows == 10  # no shadow, no failures
    assert lake.requests("churn", ok_only=False).num_rows == 11
    assert lake.requests("churn", include_shadow=True).num_rows == 11
    assert lake.requests("churn", variant="challenger").num_rows == 5
    assert lake.requests("churn", version=1).num_rows == 5
    window = lake.requests("churn", since=T0 + timedelta(minutes=2),
                           until=T0 + timedelta(minutes=5))
    assert window["request_id"].to_pylist() == ["r2", "r3", "r4"]
    assert lake.requests("other").num_rows == 0
    rows = lake.rows(lake.requests("churn"))
    assert rows["x"].to_pylist() == [float(i) for i in range(10)]
    assert rows["prediction"].to_pylist() == [i % 2 for i in range(10)]


def test_log_files_are_zstd_without_dictionaries_on_distinct_columns(lake: Lake,
                                                                    tmp_path: Path) -> None:
    """The writer settings that made commits cheaper (benchmarks/serving) hold."""
    import pyarrow.parquet as pq

    _write(lake.prediction_log(60, 10_000), [_request(i) for i in range(5)])
    files = list((tmp_path / "lake").rglob("*.parquet"))
    assert files
    meta = pq.ParquetFile(files[0]).metadata
    columns = {meta.row_group(0).column(j).path_in_schema: meta.row_group(0).column(j)
               for j in range(meta.num_columns)}
    assert {c.compression for c in columns.values()} == {"ZSTD"}
    for name in ("request_id", "inputs", "outputs"):
        assert not columns[name].has_dictionary_page, name
    assert columns["variant"].has_dictionary_page  # repeated values keep theirs


def test_feedback_keeps_the_latest_per_request_and_joins_labels(lake: Lake) -> None:
    _write(lake.prediction_log(60, 10_000), [_request(i) for i in range(4)])
    fb = [{"request_id": "r1", "ts": T0, "pilot": "churn", "label": "0", "revenue": 1.0,
           "cost_saved": None, "satisfaction": None},
          {"request_id": "r1", "ts": T0 + timedelta(hours=1), "pilot": "churn", "label": "1",
           "revenue": 2.0, "cost_saved": None, "satisfaction": None},
          {"request_id": "r2", "ts": T0, "pilot": "churn", "label": "0", "revenue": None,
           "cost_saved": 3.0, "satisfaction": 4.0}]
    _write(lake.feedback_log(60, 10_000), fb)
    latest = {r["request_id"]: r for r in lake.feedback("churn").to_pylist()}
    assert latest["r1"]["label"] == "1" and latest["r1"]["revenue"] == 2.0
    labelled = lake.labelled("churn", lake.rows(lake.requests("churn")))
    assert labelled["request_id"].to_pylist() == ["r1", "r2"]
    assert labelled["label"].to_pylist() == [1, 0]


@pytest.mark.parametrize("pilot", ["../escape", "x/../../predictions/pilot=churn", "UPPER",
                                   "a" * 64, "", "-lead", "x\x00y"])
def test_hostile_pilot_names_are_refused_on_read(lake: Lake, pilot: str) -> None:
    with pytest.raises(ValidationFailed):
        lake.requests(pilot)
    with pytest.raises(ValidationFailed):
        lake.feedback(pilot)


def test_hostile_pilot_names_never_become_paths_on_write(lake: Lake, tmp_path: Path) -> None:
    writer = lake.feedback_log(60, 10_000)
    bad = {"request_id": "r1", "ts": T0, "label": "1", "revenue": None, "cost_saved": None,
           "satisfaction": None}
    _write(writer, [{**bad, "pilot": "x/../../../../escape"}, {**bad, "pilot": "ok-pilot"}])
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.parquet"))
    assert len(written) == 1 and "pilot=ok-pilot" in written[0]
    assert not (tmp_path / "escape").exists()


def test_profiles_round_trip_and_hostile_names(lake: Lake) -> None:
    col = ColumnProfile(name="x", kind="num", count=3, missing=0, min=1.0, max=3.0, mean=2.0,
                        m2=2.0)
    meta = {"name": "churn.v1", "rows": 3, "exact": True, "sample_rows": 3,
            "schema": {"x": "double"}, "columns": [col.as_dict()]}
    lake.save_profile("churn.v1", meta, np.array([[3.0], [1.0], [2.0]]), ["x"])
    stored = lake.load_profile("churn.v1")
    assert stored.rows == 3 and stored.exact and stored.columns["x"].mean == 2.0
    assert list(stored.dists(["x"])["x"].values) == [1.0, 2.0, 3.0]  # stored sorted
    with pytest.raises(NotFound):
        lake.load_profile("missing")
    for bad in ("../x", "a/b", ".hidden", "x" * 101):
        with pytest.raises(ValidationFailed):
            lake.save_profile(bad, meta, np.empty((0, 1)), ["x"])
        with pytest.raises(ValidationFailed):
            lake.load_profile(bad)



def test_profile_background_draws_each_column_from_its_sample(lake: Lake) -> None:
    cols = [ColumnProfile(name=n, kind="num", count=3, missing=0, min=1.0, max=3.0, mean=2.0,
                          m2=2.0) for n in ("x", "y")]
    meta = {"name": "p.v1", "rows": 3, "exact": True, "sample_rows": 3,
            "schema": {"x": "double", "y": "double"}, "columns": [c.as_dict() for c in cols]}
    lake.save_profile("p.v1", meta, np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]),
                      ["x", "y"])
    bg = lake.load_profile("p.v1").background(["y", "x"], 50)
    assert bg is not None and bg.shape == (50, 2)
    assert set(bg[:, 0]) <= {10.0, 20.0, 30.0} and set(bg[:, 1]) <= {1.0, 2.0, 3.0}
    assert lake.load_profile("p.v1").background(["x", "unknown"], 5) is None


def test_reports_round_trip_and_hostile_names(lake: Lake) -> None:
    assert lake.load_report("explanations", "churn.v1") is None
    lake.save_report("explanations", "churn.v1", {"importance": {"x": 0.5}})
    lake.save_report("fairness", "churn.v1", {"rows": 3})
    assert lake.load_report("explanations", "churn.v1") == {"importance": {"x": 0.5}}
    assert lake.load_report("fairness", "churn.v1") == {"rows": 3}
    for bad in ("../x", "a/b", ".hidden", "x" * 101):
        with pytest.raises(ValidationFailed):
            lake.save_report("fairness", bad, {})
        with pytest.raises(ValidationFailed):
            lake.load_report("fairness", bad)

def test_tables_open_and_name_checks(lake: Lake, tmp_path: Path) -> None:
    where = lake.table_dir("training_v1")
    pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(where / "part.parquet")
    assert lake.open_table(str(where)).count_rows() == 2
    for bad in ("../up", "a/b", "", "x y"):
        with pytest.raises(ValidationFailed):
            lake.table_dir(bad)
    with pytest.raises(ValidationFailed):
        lake.open_table(str(tmp_path / "missing.parquet"))
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(ValidationFailed):
        lake.open_table(str(tmp_path / "junk.parquet"))


def test_an_unreadable_table_is_explained_in_words(tmp_path: Path) -> None:
    from pilotdeck.adapters.lake.tables import open_table
    from pilotdeck.domain.errors import ValidationFailed

    bad = tmp_path / "notes.parquet"
    bad.write_text("this is not parquet")
    with pytest.raises(ValidationFailed) as exc:
        open_table(bad, "reference")
    [err] = exc.value.errors
    assert err.field == "reference" and err.problem.startswith("not readable as Parquet: ")
    assert "Arrow" not in err.problem and "Error" not in err.problem, err.problem
    assert str(bad) not in err.problem  # the path is in ``source``, not in the words
