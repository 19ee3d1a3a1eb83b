"""Read the gateway's prediction and feedback logs as flat tables.

The gateway writes one record per request (``inputs`` as
``{"columns": [...], "data": [[...], ...]}``, ``outputs`` as a JSON list) under
``LAKE/predictions/pilot=P/date=D/``. Monitoring wants one row per scored row:
the features as columns, the prediction, and the request's variant, version
and time. DuckDB selects the requests (partition pruning on pilot and date,
then the time window); the JSON is expanded here, column by column.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

META = ["request_id", "ts", "variant", "model_version"]


def _files(root: Path, pilot: str) -> str | None:
    folder = root / f"pilot={pilot}"
    if not folder.is_dir() or not any(folder.rglob("*.parquet")):
        return None
    return str(folder / "**" / "*.parquet")


def requests(root: Path, pilot: str, since: datetime | None = None,
             until: datetime | None = None, variant: str | None = None,
             version: int | None = None, include_shadow: bool = False,
             ok_only: bool = True) -> pa.Table:
    """The logged requests of a pilot in ``[since, until)`` (one row per request)."""
    pattern = _files(root, pilot)
    if pattern is None:
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
           f"cache_hit, status, rows FROM read_parquet('{pattern}', hive_partitioning=true, "
           f"hive_types={{'date': VARCHAR}}) WHERE {' AND '.join(where)} ORDER BY ts")
    with duckdb.connect() as con:
        return con.sql(sql, params=params).to_arrow_table()


def _scalar(v: Any) -> Any:
    return orjson.dumps(v).decode() if isinstance(v, (list, dict)) else v


def rows(reqs: pa.Table) -> pa.Table:
    """One row per scored row: META, ``row`` (index in the request), the feature
    columns and ``prediction`` (a scalar, or JSON text for vector outputs)."""
    meta: dict[str, list[Any]] = defaultdict(list)
    features: dict[str, list[Any]] = defaultdict(list)
    preds: list[Any] = []
    count = 0
    cols = reqs.select([*META, "inputs", "outputs"]).to_pydict()
    for i in range(reqs.num_rows):
        inputs = orjson.loads(cols["inputs"][i])
        outputs = orjson.loads(cols["outputs"][i]) if cols["outputs"][i] else None
        data, names = inputs.get("data") or [], inputs.get("columns")
        if names is None:  # a model without a column signature: positional columns
            names = [f"f{j}" for j in range(len(data[0]) if data else 0)]
        for j, name in enumerate(names):
            column = features[name]
            if len(column) < count:  # a column earlier requests did not send
                column.extend([None] * (count - len(column)))
            column.extend(r[j] if j < len(r) else None for r in data)
        outs = outputs if isinstance(outputs, list) and len(outputs) == len(data) \
            else [outputs] * len(data)
        preds.extend(_scalar(o) for o in outs)
        for c in META:
            meta[c].extend([cols[c][i]] * len(data))
        meta["row"].extend(range(len(data)))
        count += len(data)
    out: dict[str, Any] = {c: meta[c] for c in [*META, "row"]}
    if not count:
        out = {c: [] for c in [*META, "row"]}
    for name, column in features.items():
        column.extend([None] * (count - len(column)))
        out[name] = column
    out["prediction"] = preds
    types = {"ts": pa.timestamp("us", tz="UTC"), "model_version": pa.int32(),
             "row": pa.int32(), "request_id": pa.string(), "variant": pa.string()}
    return pa.table({k: pa.array(v, type=types.get(k)) for k, v in out.items()})


def feedback(root: Path, pilot: str) -> pa.Table:
    """The latest feedback per request id: ``label`` (JSON), revenue, cost_saved,
    satisfaction, and the feedback time."""
    pattern = _files(root, pilot)
    if pattern is None:
        return pa.table({"request_id": pa.array([], pa.string()),
                         "label": pa.array([], pa.string()),
                         "revenue": pa.array([], pa.float64()),
                         "cost_saved": pa.array([], pa.float64()),
                         "satisfaction": pa.array([], pa.float64()),
                         "feedback_ts": pa.array([], pa.timestamp("us", tz="UTC"))})
    sql = (f"SELECT request_id, arg_max(label, ts) AS label, arg_max(revenue, ts) AS revenue, "
           f"arg_max(cost_saved, ts) AS cost_saved, arg_max(satisfaction, ts) AS satisfaction, "
           f"max(ts) AS feedback_ts FROM read_parquet('{pattern}', hive_partitioning=true, "
           f"hive_types={{'date': VARCHAR}}) GROUP BY request_id")
    with duckdb.connect() as con:
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
