"""Read the gateway's prediction and feedback logs as flat tables.

The gateway writes one record per request (``inputs`` as
``{"columns": [...], "data": [[...], ...]}``, ``outputs`` as a JSON list) to the
Delta table ``LAKE/predictions`` (partitioned by pilot and date). Monitoring wants
one row per scored row: the features as columns, the prediction, and the
request's variant, version and time. Every read goes through one version of the
table (the current one unless time travel asks for another): its file list is
the table's, pruned to the pilot's partition, never a directory scan (which
would also see files that compaction removed). DuckDB then selects the requests
through Arrow (pruning on date, then the time window); the JSON is expanded
here, column by column.
"""

from __future__ import annotations

import contextlib
import gc
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pyarrow as pa

if TYPE_CHECKING:
    import pyarrow.dataset as pads

META = ["request_id", "ts", "variant", "model_version"]


def requests(log: pads.Dataset | None, since: datetime | None = None,
             until: datetime | None = None, variant: str | None = None,
             version: int | None = None, include_shadow: bool = False,
             ok_only: bool = True) -> pa.Table:
    """The logged requests in ``[since, until)`` (one row per request) of ``log``,
    a pilot's partition of the prediction table (``None``: nothing logged yet)."""
    if log is None:
        return pa.table({c: [] for c in [*META, "inputs", "outputs", "latency_ms",
                                         "cache_hit", "status", "rows"]})
    where, params = ["TRUE"], []
    if since is not None:
        where += ["date >= ?", "ts >= ?"]
        params += [since.date().isoformat(), since]
    if until is not None:
        where += ["date <= ?", "ts < ?"]
        params += [until.date().isoformat(), until]
    if variant is not None:
        where.append("variant = ?")
        params.append(variant)
    elif not include_shadow:
        where.append("variant <> 'shadow'")
    if version is not None:
        where.append("model_version = ?")
        params.append(version)
    if ok_only:
        where.append("status = 200")
    sql = (f"SELECT request_id, ts, variant, model_version, inputs, outputs, latency_ms, "
           f"cache_hit, status, rows FROM log WHERE {' AND '.join(where)} ORDER BY ts")
    import duckdb  # lazily: 29 MB and 40 ms that drift against a file never needs

    with duckdb.connect() as con:
        con.register("log", log)
        return con.sql(sql, params=params).to_arrow_table()


def _scalar(v: Any) -> Any:
    return orjson.dumps(v).decode() if isinstance(v, (list, dict)) else v


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building millions of lists and scalars (none of
    them in cycles): otherwise collections keep rescanning them, several times
    slower overall."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_all(texts: list[str | None]) -> list[Any]:
    """Many JSON documents in one parser call (one C pass instead of one per row)."""
    return orjson.loads(  # type: ignore[no-any-return]
        "[" + ",".join(t if t else "null" for t in texts) + "]")


def rows(reqs: pa.Table) -> pa.Table:
    with _gc_paused():
        return _rows(reqs)


def _rows(reqs: pa.Table) -> pa.Table:
    """One row per scored row: META, ``row`` (index in the request), the feature
    columns and ``prediction`` (a scalar, or JSON text for vector outputs).

    Requests are grouped by their column list (usually one group); within a
    group the rows of all requests are transposed at once (``zip(*rows)``), and
    request-level fields are repeated with a vectorised ``take``."""
    if reqs.num_rows == 0:
        return pa.table({"request_id": pa.array([], pa.string()),
                         "ts": pa.array([], pa.timestamp("us", tz="UTC")),
                         "variant": pa.array([], pa.string()),
                         "model_version": pa.array([], pa.int32()),
                         "row": pa.array([], pa.int32()), "prediction": pa.array([])})
    docs = _parse_all(reqs["inputs"].to_pylist())
    outs = _parse_all(reqs["outputs"].to_pylist())
    groups: dict[tuple[str, ...] | None, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        names = d.get("columns") if isinstance(d, dict) else None
        groups[tuple(names) if names is not None else None].append(i)
    columns: dict[str, list[Any]] = {}
    preds: list[Any] = []
    takes, positions = [], []
    n = 0
    for names, idx in groups.items():
        data = [docs[i].get("data") or [] for i in idx]
        counts = np.fromiter((len(x) for x in data), dtype=np.int64, count=len(data))
        flat = list(chain.from_iterable(data))
        width = len(names) if names is not None else (len(flat[0]) if flat else 0)
        cols = [f"f{j}" for j in range(width)] if names is None else list(names)
        for c, v in zip(cols, zip(*flat, strict=True) if flat else [()] * width, strict=True):
            columns.setdefault(c, [None] * n).extend(v)
        n += len(flat)
        for column in columns.values():  # columns this group did not send
            column.extend([None] * (n - len(column)))
        for i, k in zip(idx, counts.tolist(), strict=True):
            o = outs[i]
            preds.extend(_scalar(x) for x in (o if isinstance(o, list) and len(o) == k
                                              else [o] * k))
        takes.append(np.repeat(np.asarray(idx, dtype=np.int64), counts))
        positions.append(np.arange(len(flat)) - np.repeat(np.cumsum(counts) - counts, counts))
    out = reqs.select(META).take(pa.array(np.concatenate(takes)))
    out = out.append_column("row", pa.array(np.concatenate(positions).astype(np.int32)))
    for c, values in columns.items():
        out = out.append_column(c, _array(values))
    out = out.append_column("prediction", _array(preds))
    if len(groups) > 1:  # back to time order
        out = out.sort_by([("ts", "ascending"), ("request_id", "ascending"),
                           ("row", "ascending")])
    return out


def _array(values: list[Any]) -> pa.Array:
    """An Arrow column; values of mixed types (1 and "a") become text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def feedback(log: pads.Dataset | None) -> pa.Table:
    """The latest feedback per request id: ``label`` (JSON), revenue, cost_saved,
    satisfaction, and the feedback time (``log``: a pilot's partition of the
    feedback table)."""
    if log is None:
        return pa.table({"request_id": pa.array([], pa.string()),
                         "label": pa.array([], pa.string()),
                         "revenue": pa.array([], pa.float64()),
                         "cost_saved": pa.array([], pa.float64()),
                         "satisfaction": pa.array([], pa.float64()),
                         "feedback_ts": pa.array([], pa.timestamp("us", tz="UTC"))})
    sql = ("SELECT request_id, arg_max(label, ts) AS label, arg_max(revenue, ts) AS revenue, "
           "arg_max(cost_saved, ts) AS cost_saved, arg_max(satisfaction, ts) AS satisfaction, "
           "max(ts) AS feedback_ts FROM log GROUP BY request_id")
    import duckdb

    with duckdb.connect() as con:
        con.register("log", log)
        return con.sql(sql).to_arrow_table()


def labelled(row_table: pa.Table, fb: pa.Table) -> pa.Table:
    """Rows joined to their label: a JSON list with one label per row of the
    request, or one label for a one-row request. Rows without one are dropped."""
    by_request = {r: orjson.loads(lab) for r, lab in zip(
        fb["request_id"].to_pylist(), fb["label"].to_pylist(), strict=True) if lab}
    labels, keep = [], []
    ids, idx = row_table["request_id"].to_pylist(), row_table["row"].to_pylist()
    for k, (rid, j) in enumerate(zip(ids, idx, strict=True)):
        lab = by_request.get(rid)
        if isinstance(lab, list):
            lab = lab[j] if j < len(lab) else None
        if lab is not None:
            labels.append(lab)
            keep.append(k)
    out = row_table.take(pa.array(keep, pa.int64()))
    return out.append_column("label", pa.array(labels))
