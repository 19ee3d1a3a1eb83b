"""Column summaries in Arrow: a column's kind, its finite numbers, its category
counts. Profiles, drift and the compute engines all summarise columns the same
way through these (pure functions of arrays: no I/O)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pilotdeck.domain.drift import Dist


def kind_of(t: pa.DataType) -> str | None:
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "num"
    if (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_boolean(t)
            or pa.types.is_dictionary(t)):
        return "cat"
    return None  # timestamps, lists, binaries: not compared (yet)


def schema_kinds(schema: pa.Schema) -> dict[str, str]:
    """The columns drift and profiles compare, and their kind."""
    return {f.name: k for f in schema if (k := kind_of(f.type)) is not None}


def values(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Numeric non-null values; NaN and +-inf are dropped too (as Evidently does).
    Always a new array the caller owns (one copy of the column, not two)."""
    arr = pc.drop_null(col).to_numpy().astype(np.float64, copy=False)
    finite = np.isfinite(arr)
    if not finite.all():
        return arr[finite]
    # A zero-copy view of Arrow's buffer is read-only; anything writable was
    # made just now (chunks joined, integers converted).
    return arr if arr.flags.writeable and arr.flags.owndata else arr.copy()


def category_counts(col: pa.ChunkedArray | pa.Array) -> tuple[list[str], list[int]]:
    """Value counts of a categorical column, counted in Arrow (no Python objects
    per row: a million strings take milliseconds)."""
    col = pc.drop_null(col)
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    vc = pc.value_counts(col)
    return ([str(k) for k in vc.field("values").to_pylist()],
            [int(c) for c in vc.field("counts").to_pylist()])


def column_dist(col: pa.ChunkedArray, kind: str) -> Dist:
    if kind == "num":
        return Dist.of_values("num", values(col), owned=True)
    return Dist.of_counts(*category_counts(col))
