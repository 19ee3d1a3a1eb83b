"""Reference profiles on disk: ``LAKE/profiles/NAME/``.

``profile.json`` holds the column statistics and category counts;
``sample.parquet`` a uniform row sample of the numeric columns (the whole
numeric table when small), each column stored sorted.
"""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from pilotdeck.domain.drift import Dist
from pilotdeck.domain.errors import NotFound
from pilotdeck.domain.profile import ColumnProfile


class StoredProfile:
    """A stored profile; numeric samples are read per group of columns on demand."""

    def __init__(self, name: str, rows: int, columns: dict[str, ColumnProfile],
                 sample_path: Path, meta: dict[str, Any]) -> None:
        self.name, self.rows, self.columns, self.sample_path, self.meta = (
            name, rows, columns, sample_path, meta)

    def dists(self, columns: list[str]) -> dict[str, Dist]:
        """The reference sides of ``columns`` for drift tests. The sample is read
        for these columns only, so memory holds one group of columns at a time."""
        numeric = [c for c in columns if self.columns[c].kind == "num"]
        table = pq.read_table(self.sample_path, columns=numeric) if numeric else None
        return {c: self.columns[c].dist(table[c].to_numpy() if table is not None
                                        and c in numeric else None) for c in columns}

    def dist(self, column: str) -> Dist:
        return self.dists([column])[column]

    @property
    def exact(self) -> bool:
        return bool(self.meta.get("exact"))

    def background(self, columns: list[str], rows: int, seed: int = 0) -> np.ndarray | None:
        """``rows`` × ``columns`` drawn from the sample, each column on its own.

        Samples are stored sorted per column, so rows are not aligned; drawing
        each column independently gives rows from the product of the marginals:
        what an interventional explainer with independent features assumes.
        None when a column has no numeric sample (categorical or unknown)."""
        if not columns or any(c not in self.columns or self.columns[c].kind != "num"
                              for c in columns):
            return None
        table = pq.read_table(self.sample_path, columns=columns)
        rng = np.random.default_rng(seed)
        out = np.empty((rows, len(columns)))
        for i, c in enumerate(columns):
            values = table[c].to_numpy(zero_copy_only=False).astype(np.float64)
            values = values[~np.isnan(values)]
            if not len(values):
                return None
            out[:, i] = rng.choice(values, rows, replace=True)
        return out


def save(target: Path, meta: dict[str, Any], sample: np.ndarray, numeric: list[str]) -> None:
    """Write a profile so it appears whole or not at all."""
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "profile.json").write_text(json.dumps(meta, indent=1))
    # Each column stored sorted (NaN last): drift needs sorted values, and sorting
    # once here saves it on every check. Rows are therefore not aligned.
    pq.write_table(pa.table({c: np.sort(sample[:, i]) for i, c in enumerate(numeric)}
                            if numeric else {"_": pa.array([], pa.int8())}),
                   tmp / "sample.parquet")
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)


def load(target: Path, name: str) -> StoredProfile:
    if not (target / "profile.json").is_file():
        raise NotFound("profile", name)
    # orjson, with the collector paused: a wide profile is ~10^5 small dicts and
    # lists, and json.loads let the collector walk the whole heap several
    # times while parsing it (50 ms against 15 ms for 200 columns; no cycles).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        meta = orjson.loads((target / "profile.json").read_bytes())
        cols = {d["name"]: ColumnProfile.from_dict(d) for d in meta["columns"]}
    finally:
        if was_enabled:
            gc.enable()
    return StoredProfile(name, meta["rows"], cols, target / "sample.parquet", meta)
