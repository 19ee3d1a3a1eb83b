"""Drift between a reference table and a current table (Parquet, file or directory).

This is the first slice of observability: exact per-column tests on the raw
values, Evidently's default method choice, schema changes. Stored reference
profiles, streaming and the Spark engine come next (see the issue notes).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pilotdeck.adapters.compute.local import open_dataset
from pilotdeck.domain.drift import METHODS, ColumnDrift, column_drift, dataset_drift
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.quality import ColumnQuality, column_quality


def kind_of(t: pa.DataType) -> str | None:
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "num"
    if (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_boolean(t)
            or pa.types.is_dictionary(t)):
        return "cat"
    return None  # timestamps, lists, binaries: not compared (yet)


def values(col: pa.ChunkedArray, kind: str) -> np.ndarray:
    """Non-null values; for numbers NaN and +-inf are dropped too (as Evidently does)."""
    col = pc.drop_null(col)
    if kind == "num":
        arr = col.to_numpy().astype(np.float64, copy=False)
        return arr[np.isfinite(arr)]
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    return np.asarray(col.to_pylist(), dtype=object).astype(str)


def _check_overrides(names: set[str], methods: dict[str, str],
                     thresholds: dict[str, float]) -> None:
    errors = []
    for col, m in methods.items():
        if col not in names:
            errors.append(FieldError(f"method.{col}", "is not a column of both tables"))
        elif m not in METHODS:
            errors.append(FieldError(f"method.{col}", f"must be one of {', '.join(sorted(METHODS))}"
                                                      f", got {m!r}"))
    errors += [FieldError(f"threshold.{c}", "is not a column of both tables")
               for c in thresholds if c not in names]
    if errors:
        raise ValidationFailed("invalid drift options", errors)


@dataclass
class Side:
    """One side of a comparison: how to get a column's values and missing share."""

    label: dict[str, Any]
    types: dict[str, str]  # column -> type name
    kinds: dict[str, str | None]
    values: Callable[[str], np.ndarray]
    missing: Callable[[str], float]
    sizes: Callable[[str], int | None] = lambda _c: None


def _table_side(path: Path, columns: list[str] | None = None) -> tuple[Side, list[str]]:
    ds = open_dataset(path)
    names = [n for n in ds.schema.names if columns is None or n in columns]
    table = ds.to_table(columns=names)
    kinds = {n: kind_of(ds.schema.field(n).type) for n in names}
    rows = max(table.num_rows, 1)
    return Side({"path": str(path), "rows": table.num_rows},
                {n: str(ds.schema.field(n).type) for n in ds.schema.names}, kinds,
                lambda c: values(table[c], kinds[c] or "cat"),
                lambda c: table[c].null_count / rows), ds.schema.names


def drift(reference: Path | None, current: Path, *, profile: Any = None,
          methods: dict[str, str] | None = None, thresholds: dict[str, float] | None = None,
          share: float = 0.5, columns: list[str] | None = None) -> dict[str, Any]:
    """Compare a current table with a reference table or a stored profile, column by
    column: the JSON scripts and CI jobs consume."""
    methods, thresholds = dict(methods or {}), dict(thresholds or {})
    cur, cur_names = _table_side(current)
    if profile is not None:
        cols = profile.columns
        ref = Side({"profile": profile.name, "rows": profile.rows, "exact": profile.exact},
                   dict(profile.meta["schema"]), {c: p.kind for c, p in cols.items()},
                   profile.reference_values,
                   lambda c: cols[c].missing / max(cols[c].count + cols[c].missing, 1),
                   lambda c: cols[c].count)
        ref_names = list(profile.meta["schema"])
    elif reference is not None:
        ref, ref_names = _table_side(reference)
    else:
        raise ValidationFailed("nothing to compare with", [
            FieldError("--reference", "give a reference table or --profile")])
    common = [n for n in ref_names if n in cur_names and n in ref.kinds]
    if columns:
        unknown = [c for c in columns if c not in common]
        if unknown:
            raise ValidationFailed("invalid drift options", [
                FieldError(f"columns.{c}", "is not a column of both tables") for c in unknown])
        common = [c for c in common if c in columns]
    _check_overrides(set(common), methods, thresholds)
    type_changes = [{"column": n, "reference": ref.types[n], "current": cur.types[n]}
                    for n in common if ref.kinds[n] != cur.kinds.get(n)]
    changed = {t["column"] for t in type_changes}
    compared = [n for n in common if ref.kinds[n] is not None and n not in changed]

    def one(name: str) -> tuple[ColumnDrift, ColumnQuality]:
        kind = ref.kinds[name]
        assert kind is not None
        r, c = ref.values(name), cur.values(name)
        return (column_drift(name, r, c, kind, methods.get(name), thresholds.get(name),
                             ref.sizes(name)),
                column_quality(name, kind, r, c, ref.missing(name), cur.missing(name)))

    # Columns in parallel: the tests spend their time in NumPy/SciPy code that
    # releases the GIL for sorting and histogramming.
    with ThreadPoolExecutor(max_workers=2) as pool:
        pairs = list(pool.map(one, compared))
    results = [d for d, _ in pairs]
    return {
        "reference": ref.label,
        "current": cur.label,
        "columns": [r.as_dict() for r in results],
        **dataset_drift(results, share),
        "schema": {
            "missing_columns": [n for n in ref_names if n not in cur_names],
            "new_columns": [n for n in cur_names if n not in ref_names],
            "type_changes": type_changes,
        },
        "missing_values": [{"column": n, "reference": ref.missing(n), "current": cur.missing(n)}
                           for n in common if ref.missing(n) or cur.missing(n)],
        "quality": [q.as_dict() for _, q in pairs],
        "quality_problems": sum(len(q.problems) for _, q in pairs),
    }
