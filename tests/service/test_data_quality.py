"""DataQualityService on a real lake and SQLite store: a generated suite, a clean
version that passes, and one broken version per check that fails it (and only
it), with the right count and sample; hand edits; hostile input."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pilotdeck.auth.roles import local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.errors import NotFound, ValidationFailed
from pilotdeck.platform import Platform
from pilotdeck.services.data_quality import DataQualityService
from pilotdeck.views.data_quality import QualityResult

ADMIN = local_admin("tester")
N = 2000
PLANS = ["basic", "pro", "team"]


def customers(seed: int, n: int = N) -> pa.Table:
    """A realistic table: a key, numeric, categorical, nullable and free-text columns."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n).astype(float)
    age[rng.random(n) < 0.1] = np.nan  # ~10% missing
    income = rng.integers(1_000, 9_000, n)
    return pa.table({
        "customer_id": pa.array(np.arange(n) + 10 * seed * n, pa.int64()),
        "age": age,
        "plan": rng.choice(PLANS, n),
        "income": pa.array(income, pa.int64(), mask=rng.random(n) < 0.05),
        "active": rng.random(n) < 0.7,
        "note": [f"called on day {i}" for i in rng.integers(0, 10**6, n)],
    })


def replace(t: pa.Table, name: str, values: pa.Array | list[object]) -> pa.Table:
    arr = values if isinstance(values, pa.Array) else pa.array(values, t.schema.field(name).type)
    return t.set_column(t.column_names.index(name), name, arr)


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = Platform(Settings(home=tmp_path, mlflow_uri="memory://"))
    yield p
    p.close()


@pytest.fixture()
def dq(platform: Platform) -> DataQualityService:
    platform.data_quality.baseline("customers", 0, customers(0), ADMIN, keys=["customer_id"])
    return platform.data_quality


def failed(r: QualityResult) -> set[str]:
    return set(r.failed)


def check(r: QualityResult, name: str):  # type: ignore[no-untyped-def]
    return next(c for c in r.checks if c.check == name)


def test_generation_profiles_types_nulls_ranges_categories_keys_and_rows(
        platform: Platform) -> None:
    base = customers(0)
    suite = platform.data_quality.baseline("customers", 3, base, ADMIN, keys=["customer_id"])
    cols = {c.name: c for c in suite.columns}
    assert (suite.baseline_version, suite.baseline_rows) == (3, N)
    assert (suite.min_rows, suite.max_rows) == (N // 2, 2 * N)
    assert cols["customer_id"].unique and not cols["customer_id"].nullable
    assert cols["customer_id"].dtype == "Int64"
    lo, hi = (x.as_py() for x in pc.min_max(base["age"]).values())
    pad = (hi - lo) * 0.1  # the default margin: a tenth of the range on each side
    assert cols["age"].nullable and cols["age"].checks == [f"in_range({lo - pad}, {hi + pad})"]
    lo, hi = (x.as_py() for x in pc.min_max(base["income"]).values())
    pad = (hi - lo) * 0.1  # integers stay integers, rounded outwards
    assert cols["income"].checks == [f"in_range({math.floor(lo - pad)}, {math.ceil(hi + pad)})"]
    assert cols["plan"].checks == [f"isin({PLANS})"]
    assert cols["note"].checks == []  # free text: no category list
    assert cols["income"].nullable and not cols["active"].nullable
    assert "null_rate_at_most(column=age" in suite.yaml
    assert suite == platform.data_quality.suite("customers")
    [event] = platform.audit.log(action="dataset.quality-baseline")
    assert (event.entity.id, event.data["version"], event.data["suiteHash"]) == (
        "customers", 3, suite.suite_hash)


def test_a_clean_new_version_passes_and_is_stored(dq: DataQualityService,
                                                  platform: Platform) -> None:
    r = dq.check("customers", 1, customers(1), ADMIN)
    assert r.passed, r.failed
    assert r.failed == [] and r.rows == N and len(r.checks) > 10
    assert dq.result("customers", 1) == r
    assert dq.latest("customers") == r and dq.results("customers") == [r]
    [event] = platform.audit.log(action="dataset.quality-checked")
    assert event.data["passed"] is True and event.data["version"] == 1
    assert dq.has_passing_baseline("customers") == (True, "version 1 passed")


def test_out_of_range_values_and_inf_fail_the_range_check(dq: DataQualityService) -> None:
    t = customers(1)
    age = t["age"].to_numpy(zero_copy_only=False).copy()
    age[[7, 70, 700]] = [150.0, -3.0, np.inf]
    r = dq.check("customers", 2, replace(t, "age", pa.array(age)), ADMIN)
    assert not r.passed and failed(r) == {"age:in_range"}
    c = check(r, "age:in_range")
    assert c.failing_rows == 3 and c.kind == "range"
    assert [(s.row, s.value) for s in c.sample] == [(7, 150.0), (70, -3.0), (700, "inf")]


def test_new_categories_fail_with_the_new_values_sampled(dq: DataQualityService) -> None:
    t = customers(1)
    plan = t["plan"].to_pylist()
    for i in (5, 6, 900):
        plan[i] = "enterprise"
    r = dq.check("customers", 2, replace(t, "plan", plan), ADMIN)
    assert failed(r) == {"plan:isin"}
    c = check(r, "plan:isin")
    assert c.failing_rows == 3 and [s.row for s in c.sample] == [5, 6, 900]
    assert {s.value for s in c.sample} == {"enterprise"}


def test_a_null_spike_fails_the_null_rate(dq: DataQualityService) -> None:
    t = customers(1)
    age = t["age"].to_numpy(zero_copy_only=False).copy()
    age[: N // 2] = np.nan
    r = dq.check("customers", 2, replace(t, "age", pa.array(age)), ADMIN)
    assert failed(r) == {"age:null_rate"}
    c = check(r, "age:null_rate")
    nulls = int(np.isnan(age).sum())
    assert c.failing_rows == nulls and c.observed == pytest.approx(nulls / N)
    assert [s.row for s in c.sample] == [0, 1, 2, 3, 4] and c.sample[0].value == "nan"


def test_a_null_in_a_column_that_had_none_fails_not_null(dq: DataQualityService) -> None:
    t = customers(1)
    active = t["active"].to_pylist()
    active[42] = None
    r = dq.check("customers", 2, replace(t, "active", active), ADMIN)
    assert failed(r) == {"active:not_null"}
    assert check(r, "active:not_null").failing_rows == 1


def test_duplicate_keys_fail_uniqueness_counting_every_duplicate_row(
        dq: DataQualityService) -> None:
    t = customers(1)
    ids = t["customer_id"].to_pylist()
    ids[10] = ids[11] = ids[3]
    r = dq.check("customers", 2, replace(t, "customer_id", ids), ADMIN)
    assert failed(r) == {"customer_id:unique"}
    c = check(r, "customer_id:unique")
    assert c.failing_rows == 3
    assert [(s.row, s.value) for s in c.sample] == [(3, ids[3]), (10, ids[3]), (11, ids[3])]


def test_a_dropped_column_fails_presence_only(dq: DataQualityService) -> None:
    r = dq.check("customers", 2, customers(1).drop_columns(["plan"]), ADMIN)
    assert failed(r) == {"plan:presence"}
    assert check(r, "plan:presence").observed == "missing"
    assert not any(c.check.startswith("plan:") and c.check != "plan:presence"
                   for c in r.checks)


def test_a_wrong_type_fails_the_dtype_check_not_with_a_crash(dq: DataQualityService) -> None:
    t = customers(1)
    r = dq.check("customers", 2, replace(t, "income", pa.array(
        [str(x) for x in t["income"].to_pylist()])), ADMIN)
    assert failed(r) == {"income:dtype"}
    c = check(r, "income:dtype")
    assert c.observed == "string" and c.failing_rows == N
    assert not any(x.check == "income:null_rate" for x in r.checks)


def test_too_few_rows_fail_the_row_count(dq: DataQualityService) -> None:
    r = dq.check("customers", 2, customers(1).slice(0, 300), ADMIN)
    assert failed(r) == {"table:row_count"}
    assert check(r, "table:row_count").observed == 300


def test_the_suite_round_trips_through_yaml(dq: DataQualityService) -> None:
    from pilotdeck.services.quality_suite import pandera, parse

    suite = dq.suite("customers")
    reparsed = parse(suite.yaml).schema
    again = pandera().DataFrameSchema.from_yaml(reparsed.to_yaml())  # pandera's own trip
    assert again.columns == reparsed.columns and again.unique == reparsed.unique
    assert [(c.name, c.statistics) for c in again.checks] == [
        (c.name, c.statistics) for c in reparsed.checks]
    assert {c.name for c in reparsed.checks} == {"null_rate_at_most", "row_count_between"}
    assert parse(suite.yaml).hash == suite.suite_hash


def test_a_hand_widened_range_changes_the_verdict(dq: DataQualityService) -> None:
    import yaml

    t = customers(1)
    age = t["age"].to_numpy(zero_copy_only=False).copy()
    age[7] = 150.0
    older = replace(t, "age", pa.array(age))
    assert not dq.check("customers", 2, older, ADMIN).passed
    data = yaml.safe_load(dq.suite("customers").yaml)
    data["columns"]["age"]["in_range"]["max_value"] = 200.0
    edited = dq.edit_suite("customers", yaml.safe_dump(data, sort_keys=False), ADMIN)
    [widened] = next(c for c in edited.columns if c.name == "age").checks
    assert widened.endswith(", 200.0)")
    r = dq.check("customers", 2, older, ADMIN)
    assert r.passed and r.suite_hash == edited.suite_hash


def test_a_hand_added_pandera_check_runs_through_pandera(dq: DataQualityService) -> None:
    import yaml

    data = yaml.safe_load(dq.suite("customers").yaml)
    data["columns"]["note"]["str_startswith"] = "called"
    dq.edit_suite("customers", yaml.safe_dump(data, sort_keys=False), ADMIN)
    t = customers(1)
    note = t["note"].to_pylist()
    note[9] = "emailed"
    r = dq.check("customers", 2, replace(t, "note", note), ADMIN)
    assert failed(r) == {"note:str_startswith"}
    c = check(r, "note:str_startswith")
    assert c.failing_rows == 1 and (c.sample[0].row, c.sample[0].value) == (9, "emailed")


@pytest.mark.parametrize(("text", "field", "words"), [
    ("columns:\n  age:\n    dtype: float64\n    in_rnge: {min_value: 1}\n",
     "columns.age.in_rnge", "line 4"),
    ("columns: [1, 2\n", "", "not valid YAML"),
    ("columns:\n  a:\n    dtype: int64\n  b:\n    dtype: nonsense\n", "columns.b", "line 4"),
    ("columns:\n  a:\n    dtype: int64\n    in_range: 5\n", "columns.a", "max_value"),
    ("- a list\n", "", "mapping"),
    ("colums:\n  a: {}\n", "colums", "line 1"),
    ("columns: [1, 2]\n", "columns", "line 1"),
    ("checks:\n- {min_rows: 1, options: {check_name: row_count_between}}\n", "checks[0]",
     "max_rows"),
    ("columns:\n  a:\n    dtype: float64\n    in_range: {min_value: .nan, max_value: 1}\n",
     "columns.a.in_range", "finite"),
])
def test_an_invalid_hand_edited_suite_names_the_problem(dq: DataQualityService, tmp_path: Path,
                                                        text: str, field: str,
                                                        words: str) -> None:
    before = dq.suite("customers")
    with pytest.raises(ValidationFailed) as err:
        dq.edit_suite("customers", text, ADMIN)
    assert err.value.errors[0].field == field and words in str(err.value)
    assert dq.suite("customers") == before  # not stored
    dq.lake.save_quality_suite("customers", text)  # edited on disk: refused when read
    with pytest.raises(ValidationFailed) as err:
        dq.check("customers", 1, customers(1), ADMIN)
    assert words in str(err.value)


@pytest.mark.parametrize("name", ["../x", "Customers", "", "a" * 64, "a/b", "x\n"])
def test_hostile_names_and_versions_are_refused(platform: Platform, name: str) -> None:
    svc = platform.data_quality
    with pytest.raises(ValidationFailed):
        svc.baseline(name, 0, customers(0, 50), ADMIN)
    with pytest.raises(ValidationFailed):
        svc.check(name, 0, customers(0, 50), ADMIN)
    with pytest.raises(ValidationFailed):
        svc.baseline("customers", -1, customers(0, 50), ADMIN)


def test_bad_baselines_are_refused(platform: Platform) -> None:
    svc = platform.data_quality
    t = customers(0, 100)
    with pytest.raises(ValidationFailed, match="customer_id is not unique"):
        svc.baseline("customers", 0, replace(t, "customer_id", [1] * 100), ADMIN,
                     keys=["customer_id"])
    with pytest.raises(ValidationFailed, match="no column 'nope'"):
        svc.baseline("customers", 0, t, ADMIN, keys=["nope"])
    with pytest.raises(ValidationFailed, match="no rows"):
        svc.baseline("customers", 0, t.slice(0, 0), ADMIN)
    with pytest.raises(NotFound):
        svc.check("customers", 0, t, ADMIN)
    with pytest.raises(NotFound):
        svc.result("customers", 0)
    assert svc.has_passing_baseline("customers") == (False, "no quality suite")


def test_composite_keys_are_unique_together(platform: Platform) -> None:
    t = pa.table({"region": ["n", "n", "s", "s"] * 25, "n": list(range(50)) * 2})
    svc = platform.data_quality
    suite = svc.baseline("sales", 0, t, ADMIN, keys=["region", "n"])
    assert suite.unique == ["region", "n"]
    assert svc.check("sales", 1, t, ADMIN).passed
    dup = replace(t, "n", [0] * 100)
    r = svc.check("sales", 2, dup, ADMIN)
    c = check(r, "region+n:unique")
    assert "region+n:unique" in r.failed and c.failing_rows == 100
    assert c.sample[0].value == ["n", 0]


def test_the_verdicts_agree_with_bare_pandera(dq: DataQualityService) -> None:
    """pandera's own validation of the same suite fails the same columns."""
    from pilotdeck.services.quality_run import pandas_frame
    from pilotdeck.services.quality_suite import pandera, parse

    schema = parse(dq.suite("customers").yaml).schema
    t = customers(1)
    ids = t["customer_id"].to_pylist()
    ids[1] = ids[0]
    plan = t["plan"].to_pylist()
    plan[2] = "gold"
    broken = replace(replace(t, "customer_id", ids), "plan", plan)
    schema.validate(pandas_frame(t), lazy=True)  # the clean version: pandera agrees
    with pytest.raises(pandera().errors.SchemaErrors) as err:
        schema.validate(pandas_frame(broken), lazy=True)
    theirs = set(err.value.failure_cases["column"].dropna())
    ours = {c.column for c in dq.check("customers", 2, broken, ADMIN).checks if not c.passed}
    assert ours == theirs == {"customer_id", "plan"}


def test_the_gate_refuses_a_failing_version_unless_allowed(dq: DataQualityService,
                                                           platform: Platform) -> None:
    from pilotdeck.domain.errors import Conflict

    assert dq.gate("other", 0, customers(1), ADMIN) is None  # no suite: nothing to hold to
    ok = dq.gate("customers", 1, customers(1), ADMIN)
    assert ok is not None and ok.passed
    assert dq.gate("customers", 1, customers(1).slice(0, 1), ADMIN) == ok  # stored verdict
    few = customers(1).slice(0, 300)
    with pytest.raises(Conflict, match=r"customers@2 failed .*table:row_count.*allow-failed"):
        dq.gate("customers", 2, few, ADMIN)
    allowed = dq.gate("customers", 2, few, ADMIN, allow_failed=True)
    assert allowed is not None and not allowed.passed
    checks = platform.audit.log(action="dataset.quality-checked")
    assert len(checks) == 2  # version 1 once, version 2 once: stored verdicts are reused


def test_odd_columns_profile_and_check_without_crashing() -> None:
    """All-NaN, all-null, timestamps, dictionaries, large strings, unsigned, float32,
    lists and a hostile column name: the suite passes its own baseline (as pandera
    agrees), an empty version fails only the row count, a retyped column its dtype."""
    import datetime as dt

    from pilotdeck.services.quality_run import pandas_frame, run
    from pilotdeck.services.quality_suite import generate, parse

    n = 50
    t = pa.table({
        "allnan": pa.array([float("nan")] * n), "nulls": pa.nulls(n),
        "ts": pa.array([dt.datetime(2024, 1, 1, tzinfo=dt.UTC)] * n, pa.timestamp("us", "UTC")),
        "dict": pa.array(["a", "b"] * (n // 2)).dictionary_encode(),
        "large": pa.array(["x", "y"] * (n // 2), pa.large_string()),
        "weird: name\n'\"": list(range(n)), "u8": pa.array(range(n), pa.uint8()),
        "f32": pa.array([1.5] * n, pa.float32()), "lst": pa.array([[1]] * n)})
    suite = parse(generate(t, "edge", 0, []))
    assert all(r.passed for r in run(suite, t))
    suite.schema.validate(pandas_frame(t), lazy=True)
    assert [r.check for r in run(suite, t.slice(0, 0)) if not r.passed] == ["table:row_count"]
    retyped = t.drop_columns(["ts"]).append_column("ts", pa.array(["x"] * n))
    assert [r.check for r in run(suite, retyped) if not r.passed] == ["ts:dtype"]


def test_baseline_and_check_are_audited_on_either_metadata_store(tmp_path: Path,
                                                                  db_url: str) -> None:
    """The audit events land in SQLite and in PostgreSQL alike."""
    p = Platform(Settings(home=tmp_path / "home", mlflow_uri="memory://", db_url=db_url))
    try:
        suite = p.data_quality.baseline("customers", 0, customers(0, 200), ADMIN,
                                        keys=["customer_id"])
        r = p.data_quality.check("customers", 1, customers(1, 50), ADMIN)
        assert r.failed == ["table:row_count"]
        [base] = p.audit.log(action="dataset.quality-baseline")
        [checked] = p.audit.log(action="dataset.quality-checked")
        assert base.data["suiteHash"] == checked.data["suiteHash"] == suite.suite_hash
        assert checked.data["failed"] == ["table:row_count"] and not checked.data["passed"]
        assert p.audit.verify().ok
    finally:
        p.close()
