"""Build reference profiles with a compute engine and store them in the lake.

The engine summarises the table (chunks folded locally, or one partial per
Spark partition merged on the driver); the lake stores the result under the
profile's name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pilotdeck.domain.columns import schema_kinds
from pilotdeck.domain.datasets import PinnedTable
from pilotdeck.domain.ports.compute import ComputeEngine
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.serving import profile_name
from pilotdeck.views.monitoring import ProfileMeta

__all__ = ["build", "profile_name"]


def build(lake: Lake, engine: ComputeEngine, source: str | PinnedTable, name: str, *,
          exact_limit: int = 100_000, chunk_rows: int = 200_000,
          progress: Callable[[int, int], None] | None = None,
          seed: int = 0) -> ProfileMeta:
    """Profile a table (Parquet file or directory, or a DuckDB table) and store it."""
    lake.check_profile_name(name)
    ds = lake.open_table(source, "--input")
    kinds = schema_kinds(ds.schema)
    numeric = [k for k, v in kinds.items() if v == "num"]
    whole = engine.summarise(source, ds, kinds, exact_limit, seed, chunk_rows=chunk_rows,
                             progress=progress)
    view = ProfileMeta(name=name, source=str(source), rows=whole.rows,
                       exact=whole.rows <= exact_limit, sample_rows=int(len(whole.sample)),
                       created=datetime.now(UTC).isoformat(),
                       column_types={f.name: str(f.type) for f in ds.schema})
    # profile.json keeps the keys it always had (profiles already stored stay
    # readable): it is the lake's file format, not a response.
    meta = {"name": name, "source": str(source), "rows": view.rows, "exact": view.exact,
            "sample_rows": view.sample_rows, "created": view.created,
            "schema": view.column_types,
            "columns": [p.as_dict() for p in whole.cols.values()]}
    lake.save_profile(name, meta, whole.sample, numeric)
    return view
