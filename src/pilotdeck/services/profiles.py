"""Build, store and load reference profiles under ``$LAKEHOUSE/profiles/NAME/``.

``profile.json`` holds the column statistics and category counts;
``sample.parquet`` a uniform row sample of the numeric columns (the whole
numeric table when small), each column stored sorted.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pilotdeck.adapters.tables import open_table
from pilotdeck.domain.drift import Dist
from pilotdeck.domain.errors import FieldError, NotFound, ValidationFailed
from pilotdeck.domain.profile import ColumnProfile
from pilotdeck.services import partial
from pilotdeck.services.monitoring import schema_kinds

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class StoredProfile:
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


def _dir(root: Path, name: str) -> Path:
    if not NAME.match(name):
        raise ValidationFailed("invalid profile name", [FieldError(
            "name", "letters, digits, '.', '_' and '-', at most 100 characters")])
    return root / name


def build(source: Path, name: str, root: Path, *, exact_limit: int = 100_000,
          chunk_rows: int = 200_000, progress: Callable[[int, int], None] | None = None,
          seed: int = 0, engine: str = "local") -> dict[str, Any]:
    """Profile a Parquet file or directory and store it.

    ``engine`` "local" folds chunks of ``chunk_rows`` in this process; "spark",
    "local[N]" or "spark://..." builds one partial profile per Spark partition on
    the executors and merges them here (the same code, so the same profile)."""
    target = _dir(root, name)
    ds = open_table(source, "--input")
    kinds = schema_kinds(ds.schema)
    numeric = [k for k, v in kinds.items() if v == "num"]
    whole = partial.summarise(source, ds, kinds, engine, exact_limit, seed,
                              chunk_rows=chunk_rows, progress=progress)
    cols, sample, rows = whole.cols, whole.sample, whole.rows
    tmp = target.with_name(f".{name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    meta = {"name": name, "source": str(source), "rows": rows, "exact": rows <= exact_limit,
            "sample_rows": int(len(sample)), "created": datetime.now(UTC).isoformat(),
            "schema": {f.name: str(f.type) for f in ds.schema},
            "columns": [p.as_dict() for p in cols.values()]}
    (tmp / "profile.json").write_text(json.dumps(meta, indent=1))
    # Each column stored sorted (NaN last): drift needs sorted values, and sorting
    # once here saves it on every check. Rows are therefore not aligned.
    pq.write_table(pa.table({c: np.sort(sample[:, i]) for i, c in enumerate(numeric)}
                            if numeric else {"_": pa.array([], pa.int8())}),
                   tmp / "sample.parquet")
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)  # a profile appears whole or not at all
    return {k: v for k, v in meta.items() if k != "columns"}


def load(name: str, root: Path) -> StoredProfile:
    target = _dir(root, name)
    if not (target / "profile.json").is_file():
        raise NotFound("profile", name)
    meta = json.loads((target / "profile.json").read_text())
    cols = {d["name"]: ColumnProfile.from_dict(d) for d in meta["columns"]}
    return StoredProfile(name, meta["rows"], cols, target / "sample.parquet", meta)
