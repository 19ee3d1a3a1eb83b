"""Parse MLflow scoring payloads and validate them against the model signature.

Accepted bodies (as MLflow's scoring server): ``dataframe_split``,
``dataframe_records``, ``instances`` and ``inputs``. Validation is done on the
decoded Python values, before any DataFrame exists, so a bad request costs
microseconds and the error names the row, the column and the problem, never
the value.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson

from pilotdeck.domain.errors import FieldError, PilotdeckError, ValidationFailed
from pilotdeck.domain.signature import ColumnSpec

NUMERIC = {"double", "float"}
INTEGER = {"long", "integer"}
MAX_ERRORS = 20
FLOAT32_MAX = 3.4028234663852886e38
_ABSENT = object()  # a key missing from a record, as opposed to an explicit null


class PayloadTooLarge(PilotdeckError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 413, "Payload too large")


def _invalid(errors: list[FieldError]) -> ValidationFailed:
    return ValidationFailed("invalid prediction request", errors[:MAX_ERRORS])


def decode(body: bytes, max_rows: int) -> tuple[list[str] | None, list[Any]]:
    """Body -> (columns or None, rows as lists or dicts)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _invalid([FieldError("body", "is not valid JSON")]) from None
    if not isinstance(doc, dict):
        raise _invalid([FieldError("body", "must be an object with dataframe_split, "
                                           "dataframe_records, instances or inputs")])
    keys = [k for k in ("dataframe_split", "dataframe_records", "instances", "inputs")
            if k in doc]
    if len(keys) != 1:
        raise _invalid([FieldError("body", "needs exactly one of dataframe_split, "
                                           "dataframe_records, instances, inputs")])
    key = keys[0]
    value = doc[key]
    columns: list[str] | None = None
    if key == "dataframe_split":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            raise _invalid([FieldError("dataframe_split.data", "must be a list of rows")])
        columns = value.get("columns")
        if columns is not None and (not isinstance(columns, list)
                                    or not all(isinstance(c, str) for c in columns)):
            raise _invalid([FieldError("dataframe_split.columns", "must be a list of names")])
        rows = value["data"]
    elif key == "inputs" and isinstance(value, dict):  # columnar
        lengths = {len(v) if isinstance(v, list) else 1 for v in value.values()}
        if len(lengths) > 1:
            raise _invalid([FieldError("inputs", "all columns must have the same length")])
        columns = list(value)
        cols = [v if isinstance(v, list) else [v] for v in value.values()]
        rows = [list(r) for r in zip(*cols, strict=True)]
    else:
        if not isinstance(value, list):
            raise _invalid([FieldError(key, "must be a list")])
        rows = value
    if len(rows) > max_rows:
        raise PayloadTooLarge(f"{len(rows)} rows; at most {max_rows} per request")
    if not rows:
        raise _invalid([FieldError(key, "has no rows")])
    return columns, rows


def unsigned_rows(columns: list[str] | None, rows: list[Any]) -> list[tuple[Any, ...]]:
    """Rows for a model without a column signature: nothing to check types against,
    but every row must have the same fields (as many as ``columns`` when given),
    so a ragged request is a 422 here rather than a model error later."""
    first = rows[0]
    width = len(columns) if columns is not None else (
        len(first) if isinstance(first, list | dict) else 1)
    keys = list(first) if isinstance(first, dict) else None
    errors, out = [], []
    for i, r in enumerate(rows):
        if isinstance(r, dict):
            if keys is None or list(r) != keys:
                errors.append(FieldError(f"rows[{i}]", "has other fields than the first row"))
                continue
            out.append(tuple(r.values()))
        elif isinstance(r, list):
            if keys is not None or len(r) != width:
                errors.append(FieldError(f"rows[{i}]", f"has {len(r)} values; expected {width}"))
                continue
            out.append(tuple(r))
        elif width == 1 and keys is None:
            out.append((r,))
        else:
            errors.append(FieldError(f"rows[{i}]", "must be a list or an object"))
        if len(errors) >= 10:
            break
    if errors:
        raise _invalid(errors)
    return out


def _type_name(v: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string",
            list: "array", dict: "object"}.get(type(v), type(v).__name__)


def _check(v: Any, col: ColumnSpec) -> str | None:
    """Why ``v`` does not fit ``col`` (None when it does)."""
    t = col.type
    if t in NUMERIC:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return f"expected {t}, got {_type_name(v)}"
        if isinstance(v, float) and math.isinf(v):
            return "must be finite"
        if t == "float" and abs(v) > FLOAT32_MAX:
            return "is too large for a float (32-bit) column"
        return None
    if t in INTEGER:
        if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, float)
                                                               and v.is_integer())):
            return f"expected {t}, got {_type_name(v)}"
        return None
    if t == "boolean":
        return None if isinstance(v, bool) else f"expected boolean, got {_type_name(v)}"
    if t == "string":
        return None if isinstance(v, str) else f"expected string, got {_type_name(v)}"
    return None  # other MLflow types (datetime, binary) are left to the model


def _numeric_fast_path(columns: list[str] | None, rows: list[Any],
                       spec: list[ColumnSpec], may_hold_booleans: bool) -> np.ndarray | None:
    """All-numeric list rows as one float array in signature order, or None.

    Vectorised: one ``np.array`` call instead of a check per value. Anything
    unusual (strings, nulls, NaN/inf, booleans, ragged rows, non-integral
    integers, absent columns) returns None and the exact checker below
    produces the precise errors.
    """
    if not rows or not isinstance(rows[0], list):
        return None
    if any(c.type not in NUMERIC and c.type not in INTEGER for c in spec):
        return None
    names = [c.name for c in spec]
    if columns is not None and (len(columns) != len(names) or set(columns) != set(names)):
        return None
    try:
        arr = np.array(rows, dtype=np.float64)
    except (ValueError, TypeError):
        return None
    if arr.ndim != 2 or arr.shape[1] != len(names) or not np.isfinite(arr).all():
        return None
    # numpy reads true/false as 1.0/0.0: a boolean must go to the exact checker.
    # Walking every value costs more than the array itself (100 rows: 60-130 us),
    # so callers that know the JSON had no ``true``/``false`` anywhere skip it.
    if may_hold_booleans and any(v is True or v is False for row in rows for v in row):
        return None
    if columns is not None and columns != names:
        # Fancy indexing can return a Fortran-ordered array; the cache key and the
        # prediction log serialise rows with orjson, which needs C order.
        arr = np.ascontiguousarray(arr[:, [columns.index(n) for n in names]])
    f32 = [i for i, c in enumerate(spec) if c.type == "float"]
    if f32 and bool((np.abs(arr[:, f32]) > FLOAT32_MAX).any()):
        return None
    ints = [i for i, c in enumerate(spec) if c.type in INTEGER]
    if ints and not np.array_equal(arr[:, ints], np.round(arr[:, ints])):
        return None
    return arr


def validate(columns: list[str] | None, rows: list[Any], spec: list[ColumnSpec],
             allow_missing: frozenset[str] = frozenset(), may_hold_booleans: bool = True
             ) -> Any:
    """Rows in signature order (a float array or a list of tuples); raises with
    field-level errors.

    Numbers are coerced as MLflow's scoring server coerces JSON to the signature
    (an integer in a ``double`` column becomes a float, an integral float in a
    ``long`` column an int), so MLflow's schema enforcement inside a pyfunc model
    never sees a type the request was allowed to send.

    ``may_hold_booleans=False`` is a promise that no value is a boolean (the
    request's JSON contains neither ``true`` nor ``false``)."""
    fast = _numeric_fast_path(columns, rows, spec, may_hold_booleans)
    if fast is not None:
        return fast
    names = [c.name for c in spec]
    errors: list[FieldError] = []
    if columns is not None:
        extra = [c for c in columns if c not in names]
        missing = [c.name for c in spec if c.name not in columns and c.required]
        errors += [FieldError(f"columns.{c}", "is not in the model signature") for c in extra]
        errors += [FieldError(f"columns.{c}", "is required by the model signature")
                   for c in missing]
        if errors:
            raise _invalid(errors)
        pos = {c: i for i, c in enumerate(columns)}
        index = [pos.get(n) for n in names]
    out: list[tuple[Any, ...]] = []
    width = len(columns) if columns is not None else len(spec)
    for i, row in enumerate(rows):
        if isinstance(row, dict):
            extra = [k for k in row if k not in names]
            if extra:
                errors += [FieldError(f"[{i}].{k}", "is not in the model signature")
                           for k in extra]
            values = [row.get(n, _ABSENT) for n in names]
        elif isinstance(row, list):
            if len(row) != width:
                errors.append(FieldError(f"[{i}]", f"has {len(row)} values, expected {width}"))
                continue
            values = list(row) if columns is None else [row[j] if j is not None else None
                                                         for j in index]
        else:
            errors.append(FieldError(f"[{i}]", "must be a list or an object"))
            continue
        for j, (v, col) in enumerate(zip(values, spec, strict=True)):
            if v is _ABSENT:
                values[j] = None
                if col.required:
                    errors.append(FieldError(f"[{i}].{col.name}",
                                             "is required by the model signature"))
                continue
            if v is None or (isinstance(v, float) and math.isnan(v)):
                if col.required and col.name not in allow_missing:
                    errors.append(FieldError(f"[{i}].{col.name}", "is missing (null or NaN)"))
                continue
            problem = _check(v, col)
            if problem:
                errors.append(FieldError(f"[{i}].{col.name}", problem))
            elif col.type in NUMERIC:
                values[j] = float(v)  # as MLflow's scoring server: 3 in a double column is 3.0
            elif col.type in INTEGER:
                values[j] = int(v)  # and 3.0 in a long column is 3
        if len(errors) >= MAX_ERRORS:
            break
        out.append(tuple(values))
    if errors:
        raise _invalid(errors)
    return out
