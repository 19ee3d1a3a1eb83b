"""Generated reference/current tables with a known shift in some columns.

Numeric columns mix shapes Evidently users meet (normal, log-normal, wide
integers, low-cardinality integers); categorical ones have 3 to 12 levels.
The first ``shifted`` numeric columns and the first categorical column move in
``current``; everything else is drawn from the same distribution.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def _numeric(rng: np.random.Generator, i: int, n: int, shift: float) -> np.ndarray:
    shape = i % 4
    if shape == 0:
        return rng.normal(50 + shift * 10, 10, n)
    if shape == 1:
        return rng.lognormal(3 + shift * 0.3, 0.6, n)
    if shape == 2:
        return rng.integers(0, 1000 + int(shift * 400), n).astype(np.int64)
    return rng.poisson(2 + shift * 1.5, n).astype(np.int64)  # few distinct values


def _categorical(rng: np.random.Generator, i: int, n: int, shifted: bool) -> np.ndarray:
    levels = np.array([f"level_{k}" for k in range(3 + (i * 4) % 10)])
    p = np.linspace(1, 2, len(levels))
    if shifted:
        p = p[::-1] ** 3
    return rng.choice(levels, n, p=p / p.sum())


def table(n: int, numeric: int, categorical: int, *, shifted: int, current: bool,
          seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    for i in range(numeric):
        cols[f"num_{i:03d}"] = _numeric(rng, i, n, 1.0 if current and i < shifted else 0.0)
    for i in range(categorical):
        cols[f"cat_{i:03d}"] = _categorical(rng, i, n, current and i == 0)
    return pa.table(cols)


def write_pair(out: Path, n: int, numeric: int, categorical: int, shifted: int,
               seed: int = 0) -> tuple[Path, Path]:
    """Write ``ref.parquet`` and ``cur.parquet`` under ``out`` (written once, reused)."""
    out.mkdir(parents=True, exist_ok=True)
    ref, cur = out / "ref.parquet", out / "cur.parquet"
    if not ref.exists() or not cur.exists():
        for path, is_cur in ((ref, False), (cur, True)):
            pq.write_table(table(n, numeric, categorical, shifted=shifted, current=is_cur,
                                 seed=seed + is_cur), path, row_group_size=256_000)
    return ref, cur
