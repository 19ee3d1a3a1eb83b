"""Drift between a reference table (or stored profile) and a current table.

Each side of a column becomes a :class:`~pilotdeck.domain.drift.Dist` (sorted
numbers, or value counts counted in Arrow), read column by column in worker
threads; the reference can instead be a stored profile.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads

from pilotdeck.domain.columns import column_dist, kind_of, schema_kinds
from pilotdeck.domain.datasets import PinnedTable
from pilotdeck.domain.drift import METHODS, ColumnDrift, Dist, column_drift, dataset_drift
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.ports.compute import ComputeEngine
from pilotdeck.domain.ports.lake import Lake, ReferenceProfile
from pilotdeck.domain.quality import ColumnQuality, column_quality
from pilotdeck.views import monitoring as views


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


READ_BUDGET_BYTES = 16 << 20  # raw column data read at once from a table


@dataclass
class Side:
    """One side of a comparison: the summaries of a group of columns, and each
    column's row count (nulls included: the missing share is ``1 - size/rows``)."""

    label: dict[str, Any]
    types: dict[str, str]  # column -> type name
    kinds: dict[str, str | None]
    dists: Callable[[list[str], ThreadPoolExecutor], dict[str, Dist]]
    rows: Callable[[str], int]
    group_size: int = 1_000_000  # columns per call of ``dists``

    def missing(self, d: Dist, column: str) -> float:
        rows = self.rows(column)
        return 1 - d.size / rows if rows else 0.0


def _table_side(ds: pads.Dataset, label: dict[str, Any]) -> tuple[Side, list[str]]:
    """A table read a group of columns at a time (as many as fit
    READ_BUDGET_BYTES): memory holds one group, not the table, and wide tables
    are not re-opened per column."""
    rows = ds.count_rows()
    kinds = {f.name: kind_of(f.type) for f in ds.schema}

    def dists(columns: list[str], pool: ThreadPoolExecutor) -> dict[str, Dist]:
        table = ds.to_table(columns=columns)
        out = pool.map(lambda c: column_dist(table[c], kinds[c] or "cat"), columns)
        return dict(zip(columns, out, strict=True))

    return Side({**label, "rows": rows}, {f.name: str(f.type) for f in ds.schema}, kinds,
                dists, lambda _c: rows, max(1, READ_BUDGET_BYTES // max(rows * 8, 1))
                ), ds.schema.names


def _profile_side(profile: ReferenceProfile) -> tuple[Side, list[str]]:
    cols = profile.columns

    def dists(columns: list[str], pool: ThreadPoolExecutor) -> dict[str, Dist]:
        return dict(profile.dists(columns))

    return Side({"profile": profile.name, "rows": profile.rows, "exact": profile.exact},
                dict(profile.meta["schema"]), {c: p.kind for c, p in cols.items()},
                dists, lambda c: cols[c].count + cols[c].missing,
                max(1, READ_BUDGET_BYTES // max(int(profile.meta.get("sample_rows", 0)) * 8, 1))
                ), list(profile.meta["schema"])


STREAM_ROWS = 20_000_000  # a larger current table is profiled in row chunks first
SAMPLE_BYTES = 256 << 20  # the row sample a streamed current side keeps


def _streamed_side(path: str | PinnedTable, ds: pads.Dataset, engine: ComputeEngine,
                   seed: int = 0, sample_rows: int | None = None) -> tuple[Side, list[str]]:
    """A current table too large to hold a column of: profiled in row chunks
    (or per Spark partition) into counts, moments and a uniform row sample, the
    same summaries a stored reference profile has. Memory: one chunk plus the
    sample. Exact while the table fits the sample."""
    kinds = schema_kinds(ds.schema)
    numeric = [c for c, k in kinds.items() if k == "num"]
    limit = sample_rows or max(100_000, SAMPLE_BYTES // (8 * max(len(numeric), 1)))
    whole = engine.summarise(path, ds, kinds, limit, seed)
    index = {c: i for i, c in enumerate(numeric)}

    def dists(columns: list[str], pool: ThreadPoolExecutor) -> dict[str, Dist]:
        return {c: whole.cols[c].dist(np.sort(whole.sample[:, index[c]]) if c in index
                                      else None) for c in columns}

    label = {"path": str(path), "rows": whole.rows, "streamed": True,
             "exact": whole.rows <= limit, "engine": engine.name,
             **({"master": engine.master} if hasattr(engine, "master") else {})}
    return Side(label, {f.name: str(f.type) for f in ds.schema},
                {f.name: kind_of(f.type) for f in ds.schema}, dists,
                lambda c: whole.cols[c].count + whole.cols[c].missing), ds.schema.names


def _source(table: str | Path | PinnedTable) -> str | PinnedTable:
    return table if isinstance(table, PinnedTable) else str(table)


def drift(lake: Lake, reference: str | Path | PinnedTable | None,
          current: str | Path | PinnedTable | pa.Table, *,
          profile: ReferenceProfile | None = None,
          methods: dict[str, str] | None = None, thresholds: dict[str, float] | None = None,
          share: float = 0.5, columns: list[str] | None = None,
          workers: int | None = None,
          progress: Callable[[int, int], None] | None = None,
          engine: ComputeEngine | None = None, stream_rows: int = STREAM_ROWS,
          sample_rows: int | None = None) -> views.DriftReport:
    """Compare a current table with a reference table or a stored profile, column by
    column: the report scripts and CI jobs consume.

    A current table of more than ``stream_rows`` rows, or any with a non-local
    ``engine``, is first summarised by the engine (see :func:`_streamed_side`)."""
    methods, thresholds = dict(methods or {}), dict(thresholds or {})
    if not isinstance(current, pa.Table):
        cur_ds = lake.open_table(_source(current), "--current")  # once: DuckDB is read here
        streamed = engine is not None and (engine.name != "local"
                                           or cur_ds.count_rows() > stream_rows)
        if streamed:
            assert engine is not None
            cur, cur_names = _streamed_side(_source(current), cur_ds, engine,
                                            sample_rows=sample_rows)
        else:
            cur, cur_names = _table_side(cur_ds, {"path": str(current)})
    else:
        cur, cur_names = _table_side(pads.dataset(current), {})
    if profile is not None:
        ref, ref_names = _profile_side(profile)
    elif reference is not None:
        ref, ref_names = _table_side(lake.open_table(_source(reference), "--reference"),
                                     {"path": str(reference)})
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
    type_changes = [views.TypeChange(column=n, reference=ref.types[n], current=cur.types[n])
                    for n in common if ref.kinds[n] != cur.kinds.get(n)]
    changed = {t.column for t in type_changes}
    compared = [n for n in common if ref.kinds[n] is not None and n not in changed]

    def one(name: str, r: Dist, c: Dist) -> tuple[ColumnDrift, ColumnQuality]:
        try:
            result = column_drift(name, r, c, methods.get(name), thresholds.get(name))
        except ValueError as exc:  # a method that does not fit the column's data
            raise ValidationFailed("invalid drift options", [
                FieldError(f"method.{name}", str(exc))]) from None
        return result, column_quality(name, r, c, ref.missing(r, name), cur.missing(c, name))

    # Columns in parallel: reading Parquet, sorting and searching release the GIL.
    pairs: list[tuple[ColumnDrift, ColumnQuality]] = []
    step = min(ref.group_size, cur.group_size)
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        for i in range(0, len(compared), step):
            group = compared[i:i + step]
            r, c = ref.dists(group, pool), cur.dists(group, pool)
            pairs += pool.map(one, group, [r[n] for n in group], [c[n] for n in group])
            del r, c  # before the next group is read: one group in memory, not two
            if progress:
                progress(len(pairs), len(compared))  # columns done, columns in all
    results = [d for d, _ in pairs]
    return views.DriftReport(
        reference=views.DriftSide(**ref.label),
        current=views.DriftSide(**cur.label),
        columns=[views.ColumnDrift(**r.as_dict()) for r in results],
        **dataset_drift(results, share),
        schema_changes=views.SchemaChanges(
            missing_columns=[n for n in ref_names if n not in cur_names],
            new_columns=[n for n in cur_names if n not in ref_names],
            type_changes=type_changes),
        missing_values=[views.MissingValues(column=q.column, reference=q.missing_reference,
                                            current=q.missing_current) for _, q in pairs
                        if q.missing_reference or q.missing_current],
        quality=[views.QualityCheck(**q.as_dict()) for _, q in pairs],
        quality_problems=sum(len(q.problems) for _, q in pairs),
    )
