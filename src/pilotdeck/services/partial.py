"""Partial profiles: the profile of some record batches, and how two merge.

The local engine folds every chunk of a table into one partial; the Spark
engine builds one partial per partition on the executors (the same code) and
merges them on the driver (:func:`summarise` picks the engine). Either way
the result is the profile of the whole.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads

from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.profile import (
    ColumnProfile,
    merge_samples,
    profile_categories,
    profile_column,
)
from pilotdeck.services.monitoring import category_counts, values


@dataclass
class Partial:
    cols: dict[str, ColumnProfile]
    sample: np.ndarray  # rows x numeric columns
    rows: int

    def merge(self, other: Partial, numeric: list[str], limit: int,
              rng: np.random.Generator) -> Partial:
        cols = dict(self.cols)
        for c, p in other.cols.items():
            cols[c] = cols[c].merge(p) if c in cols else p
        sample = merge_samples(self.sample, self.rows, other.sample, other.rows, limit, rng)
        return Partial(cols, sample, self.rows + other.rows)

    def dumps(self) -> tuple[str, bytes]:
        """JSON statistics and the sample as .npy bytes (to ship from executors)."""
        buf = io.BytesIO()
        np.save(buf, self.sample, allow_pickle=False)
        return json.dumps([p.as_dict() for p in self.cols.values()]), buf.getvalue()

    @classmethod
    def loads(cls, stats: str, sample: bytes, rows: int) -> Partial:
        cols = {d["name"]: ColumnProfile.from_dict(d) for d in json.loads(stats)}
        return cls(cols, np.load(io.BytesIO(sample), allow_pickle=False), rows)


def empty(numeric: list[str]) -> Partial:
    return Partial({}, np.empty((0, len(numeric))), 0)


def profile_batches(batches: Iterable[pa.RecordBatch], kinds: dict[str, str],
                    limit: int, rng: np.random.Generator,
                    progress: Callable[[int], None] | None = None) -> Partial:
    """Fold record batches into one partial profile (memory: one batch + the sample)."""
    numeric = [c for c, k in kinds.items() if k == "num"]
    acc = empty(numeric)
    for batch in batches:
        if batch.num_rows == 0:
            continue
        table = pa.Table.from_batches([batch])
        cols: dict[str, ColumnProfile] = {}
        for c, kind in kinds.items():
            if kind == "num":
                vals = values(table[c])
                cols[c] = profile_column(c, vals, batch.num_rows - len(vals))
            else:
                keys, counts = category_counts(table[c])
                cols[c] = profile_categories(c, keys, counts, batch.num_rows - sum(counts))
        chunk = (np.column_stack([table[c].to_numpy(zero_copy_only=False).astype(np.float64)
                                  for c in numeric]) if numeric
                 else np.empty((batch.num_rows, 0)))
        acc = acc.merge(Partial(cols, chunk, batch.num_rows), numeric, limit, rng)
        if progress:
            progress(acc.rows)
    return acc


def merge_all(parts: Iterable[Partial], numeric: list[str], limit: int,
              rng: np.random.Generator) -> Partial:
    acc = empty(numeric)
    for p in parts:
        acc = acc.merge(p, numeric, limit, rng)
    return acc


def spark_partials(spark: Any, source: str, kinds: dict[str, str], limit: int,
                   seed: int) -> list[Partial]:
    """One partial per Spark partition, computed on the executors."""
    from pyspark import TaskContext

    df = spark.read.parquet(source).select(*[f"`{c}`" for c in kinds])

    def run(batches: Iterable[pa.RecordBatch]) -> Any:
        ctx = TaskContext.get()
        rng = np.random.default_rng(seed + (ctx.partitionId() if ctx else 0))
        part = profile_batches(batches, kinds, limit, rng)
        stats, sample = part.dumps()
        yield pa.RecordBatch.from_pydict({"stats": [stats], "sample": [sample],
                                          "rows": [part.rows]})

    out = df.mapInArrow(run, "stats string, sample binary, rows long").collect()
    return [Partial.loads(r["stats"], bytes(r["sample"]), r["rows"]) for r in out]


def summarise(source: Path | str, ds: pads.Dataset, kinds: dict[str, str], engine: str,
              limit: int, seed: int = 0, *, chunk_rows: int = 200_000,
              progress: Callable[[int, int], None] | None = None) -> Partial:
    """The partial profile of a whole table with the named engine (``make_engine``'s
    names): chunks folded here, or one partial per Spark partition merged here."""
    from pilotdeck.adapters.compute import make_engine

    runner = make_engine(engine)
    rng = np.random.default_rng(seed)
    if runner.name == "local":
        total = ds.count_rows() if progress else 0
        return profile_batches(ds.to_batches(columns=list(kinds), batch_size=chunk_rows),
                               kinds, limit, rng,
                               (lambda done: progress(done, total)) if progress else None)
    if str(source).startswith("duckdb:"):
        raise ValidationFailed("invalid engine", [FieldError(
            "--engine", "Spark reads Parquet; use the local engine for DuckDB tables")])
    numeric = [c for c, k in kinds.items() if k == "num"]
    session = runner.session()  # type: ignore[attr-defined]
    whole = merge_all(spark_partials(session, str(source), kinds, limit, seed),
                      numeric, limit, rng)
    if progress:
        progress(whole.rows, whole.rows)
    return whole
