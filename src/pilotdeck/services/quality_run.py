"""Run a suite on one version of a dataset: vectorised Arrow checks, pandera's semantics.

pandera's pandas backend is the reference (and the fallback), but it needs the
whole version as a pandas frame and reports every failure case: on 1M rows x 20
columns that is seconds and a frame of failures. This runner reads the pandera
schema and evaluates the checks it knows (dtype, presence, nullability,
``in_range``, the comparison checks, ``isin``/``notin``, uniqueness, and
pilotdeck's ``null_rate_at_most``/``row_count_between``) with ``pyarrow.compute``
on the Arrow table: one pass per check, a count and a capped sample of failing
rows. A check it does not know (one added by hand) runs through pandera, lazily,
on that column only. Semantics follow pandera: nulls (and NaN) are skipped by
value checks; +-inf is a value, so it fails a range check.

Measured by ``make bench-quality`` (1M rows x 20 columns, 2 busy shared cores,
best of 3): the check takes 0.27 s from Arrow; pandera's ``validate(df,
lazy=True)`` of the same suite takes 0.41 s on a nearly clean version *plus*
0.40 s to convert the version to pandas (so 1.5x, or 3x end to end), and about
2 s when many rows fail (8 failing columns: 7x), because pandera materialises
every failure case where this runner counts them and keeps five. Suite
generation from the same table takes 0.37 s. Half of the check is the key's
uniqueness (a hash group-by over 1M keys).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

from pilotdeck.services.quality_suite import Suite, null_mask, pandera
from pilotdeck.views.data_quality import CheckResult, FailingRow, Kind

if TYPE_CHECKING:
    import pyarrow as pa

SAMPLE = 5  # failing rows kept per check: enough to see the problem, never the input
MAX_TEXT = 80  # a sampled string is cut to this many characters

COMPARE = {  # pandera check -> (Arrow function, statistic)
    "greater_than": ("greater", "min_value"), "greater_than_or_equal_to":
    ("greater_equal", "min_value"), "less_than": ("less", "max_value"),
    "less_than_or_equal_to": ("less_equal", "max_value"), "equal_to": ("equal", "value"),
    "not_equal_to": ("not_equal", "value")}

FAMILIES = (("int", "integer"), ("uint", "integer"), ("float", "float"), ("bool", "boolean"),
            ("str", "string"), ("string", "string"), ("datetime64", "timestamp"))


def family(dtype: str) -> str | None:
    """The kind of a pandera dtype name (``Int64`` and ``int32`` are both integers);
    None: any type is accepted (``object``, or a name this runner does not know)."""
    d = dtype.lower()
    return next((f for prefix, f in FAMILIES if d.startswith(prefix)), None)


def arrow_family(t: pa.DataType) -> str:
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        t = t.value_type
    for test, f in ((pa.types.is_boolean, "boolean"), (pa.types.is_integer, "integer"),
                    (pa.types.is_floating, "float"), (pa.types.is_timestamp, "timestamp"),
                    (pa.types.is_string, "string"), (pa.types.is_large_string, "string"),
                    (pa.types.is_string_view, "string")):
        if test(t):
            return f
    return str(t)


def value(v: Any) -> Any:
    """A sampled value, JSON-safe: non-finite floats as text, long text cut."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, str) and len(v) > MAX_TEXT:
        return v[:MAX_TEXT] + "…"
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)[:MAX_TEXT]


def _failing(col: Any, bad: Any) -> tuple[int, list[FailingRow]]:
    """How many rows ``bad`` marks, and the first few with their values."""
    import numpy as np
    import pyarrow.compute as pc

    n = int(pc.sum(bad).as_py() or 0)
    if not n:
        return 0, []
    rows = np.flatnonzero(bad.to_numpy(zero_copy_only=False))[:SAMPLE]
    values = col.take(rows).to_pylist()
    return n, [FailingRow(row=int(r), value=value(v)) for r, v in zip(rows, values, strict=True)]


def run(suite: Suite, table: pa.Table) -> list[CheckResult]:
    """Every check of ``suite`` on ``table``, in the suite's order."""
    import pyarrow as pa

    schema = suite.schema
    out: list[CheckResult] = []
    usable: set[str] = set()  # present and of the right kind: value checks can run
    for name, column in schema.columns.items():
        if name not in table.column_names:
            if column.required:
                out.append(CheckResult(check=f"{name}:presence", column=name, kind="presence",
                                       expectation="the column is present", passed=False,
                                       failing_rows=table.num_rows, observed="missing"))
            continue
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        want = family(str(column.dtype)) if column.dtype is not None else None
        got = arrow_family(col.type)
        if want is not None:
            ok = want == got
            out.append(CheckResult(check=f"{name}:dtype", column=name, kind="dtype",
                                   expectation=f"{want} ({column.dtype})", passed=ok,
                                   failing_rows=0 if ok else table.num_rows, observed=got))
            if not ok:
                continue  # comparing text with numbers says nothing more
        usable.add(name)
        if not column.nullable:
            n, sample = _failing(col, null_mask(col))
            out.append(CheckResult(check=f"{name}:not_null", column=name, kind="nullable",
                                   expectation="no nulls", passed=not n, failing_rows=n,
                                   sample=sample))
        if column.unique:
            out.append(_unique(table, [name]))
        for check in column.checks:
            out.append(_column_check(name, col, check, table))
    if schema.unique:
        keys = [schema.unique] if isinstance(schema.unique, str) else list(schema.unique)
        if all(k in usable for k in keys):
            out.append(_unique(table, keys))
    for check in schema.checks:
        result = _table_check(check, table, usable)
        if result is not None:
            out.append(result)
    return out


def _said(check: Any) -> str:
    """A check as pandera writes it, e.g. ``in_range(0, 120)``."""
    return str(check.error or check.name)


def _column_check(name: str, col: Any, check: Any, table: pa.Table) -> CheckResult:
    import pyarrow as pa
    import pyarrow.compute as pc

    stats = check.statistics or {}
    label = f"{name}:{check.name}"
    kind: Kind
    try:
        if check.name == "in_range":
            lo, hi = stats["min_value"], stats["max_value"]
            below = (pc.less if stats.get("include_min", True) else pc.less_equal)(col, lo)
            above = (pc.greater if stats.get("include_max", True) else pc.greater_equal)(col, hi)
            bad = pc.or_(below, above)
            kind, expect = "range", f"in [{lo}, {hi}]"
        elif check.name in COMPARE:
            fn, stat = COMPARE[check.name]
            bad = pc.invert(getattr(pc, fn)(col, stats[stat]))
            kind, expect = "range", f"{check.name} {stats[stat]}"
        elif check.name in ("isin", "notin"):
            allowed = stats["allowed_values" if check.name == "isin" else "forbidden_values"]
            inside = pc.is_in(col, value_set=pa.array(list(allowed), type=col.type))
            bad = pc.invert(inside) if check.name == "isin" else inside
            kind = "categories"
            expect = f"{'one of' if check.name == 'isin' else 'none of'} {len(allowed)} values"
        else:
            return _pandera_column_check(name, check, table)
    except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError) as exc:
        return CheckResult(check=label, column=name, kind="other", expectation=_said(check),
                           passed=False, error=f"cannot run: {exc}"[:200])
    bad = pc.and_(pc.fill_null(bad, False), pc.invert(null_mask(col)))  # nulls are skipped
    n, sample = _failing(col, bad)
    return CheckResult(check=label, column=name, kind=kind, expectation=expect, passed=not n,
                       failing_rows=n, sample=sample)


def _unique(table: pa.Table, keys: list[str]) -> CheckResult:
    """Rows whose key value occurs more than once (all of them, as pandera counts).
    Unlike pandas, a null key never equals another: a key column that had no nulls
    fails its not-null check instead."""
    import pyarrow as pa
    import pyarrow.compute as pc

    counts = table.select(keys).group_by(keys).aggregate([([], "count_all")])
    dupes = counts.filter(pc.greater(counts.column("count_all"), 1))
    sample: list[FailingRow] = []
    n = 0
    if dupes.num_rows:
        indexed = table.select(keys).append_column("__row", pa.array(range(table.num_rows)))
        hits = indexed.join(dupes.select(keys), keys, join_type="inner").sort_by("__row")
        n = hits.num_rows
        for rec in hits.slice(0, SAMPLE).to_pylist():
            key = [value(rec[k]) for k in keys]
            sample.append(FailingRow(row=rec["__row"], value=key[0] if len(keys) == 1 else key))
    label = "+".join(keys)
    return CheckResult(check=f"{label}:unique", column=keys[0] if len(keys) == 1 else None,
                       kind="unique", expectation=f"{label} unique", passed=not n,
                       failing_rows=n, sample=sample)


def _table_check(check: Any, table: pa.Table, usable: set[str]) -> CheckResult | None:
    import pyarrow.compute as pc

    stats = check.statistics or {}
    if check.name == "row_count_between":
        lo, hi, rows = stats["min_rows"], stats["max_rows"], table.num_rows
        return CheckResult(check="table:row_count", kind="row_count",
                           expectation=f"{lo}..{hi} rows", passed=lo <= rows <= hi,
                           observed=rows)
    if check.name == "null_rate_at_most":
        name, limit = stats["column"], stats["max_rate"]
        if name not in usable:
            return None  # missing or mistyped: that check already failed
        col = table.column(name)
        mask = null_mask(col)
        nulls = int(pc.sum(mask).as_py() or 0)
        rate = nulls / table.num_rows if table.num_rows else 0.0
        ok = rate <= limit
        rows = [] if ok else _failing(col, mask)[1]
        return CheckResult(check=f"{name}:null_rate", column=name, kind="null_rate",
                           expectation=f"at most {limit:.2%} nulls", passed=ok,
                           failing_rows=0 if ok else nulls, observed=round(rate, 6),
                           sample=rows)
    return _pandera_table_check(check, table)


def pandas_frame(table: pa.Table) -> Any:
    """The table as pandas with the nullable dtypes a generated suite names
    (``Int64``, ``boolean``): what pandera validates (the fallback, the benchmark)."""
    import pandas as pd
    import pyarrow as pa

    nullable = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(),
                pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(),
                pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
                pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(),
                pa.bool_(): pd.BooleanDtype()}
    for i, f in enumerate(table.schema):  # categories as their values, as the suite says
        if pa.types.is_dictionary(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(f.type.value_type))
    return table.to_pandas(types_mapper=nullable.get)


def _pandera_run(schema: Any, frame: Any) -> tuple[int, list[FailingRow]]:
    pdr = pandera()
    try:
        with warnings.catch_warnings():  # pandera probes pyspark, which warns about pandas 3
            warnings.simplefilter("ignore")
            schema.validate(frame, lazy=True)
    except pdr.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        sample = [FailingRow(row=None if r["index"] is None else int(r["index"]),
                             value=value(r["failure_case"]))
                  for r in cases.head(SAMPLE).to_dict("records")]
        return len(cases), sample
    return 0, []


def _pandera_column_check(name: str, check: Any, table: pa.Table) -> CheckResult:
    pdr = pandera()
    n, sample = _pandera_run(pdr.DataFrameSchema({name: pdr.Column(checks=[check])}),
                             pandas_frame(table.select([name])))
    return CheckResult(check=f"{name}:{check.name}", column=name, kind="other",
                       expectation=_said(check), passed=not n, failing_rows=n, sample=sample)


def _pandera_table_check(check: Any, table: pa.Table) -> CheckResult:
    pdr = pandera()
    n, sample = _pandera_run(pdr.DataFrameSchema(checks=[check]), pandas_frame(table))
    return CheckResult(check=f"table:{check.name}", kind="other", expectation=_said(check),
                       passed=not n, failing_rows=n, sample=sample)
