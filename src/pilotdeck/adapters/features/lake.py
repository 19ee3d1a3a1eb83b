"""Where the feature store's data lives in the lake: view sources, entity tables and
training sets, each resolved through the lake (no path outside it is built here)."""

from __future__ import annotations

from pathlib import Path

from pilotdeck.domain.errors import NotFound
from pilotdeck.domain.features import Source
from pilotdeck.domain.ports.lake import Lake


class LakeFeatureData:
    def __init__(self, lake: Lake) -> None:
        self.lake = lake

    def source_path(self, source: Source) -> Path:
        if source.table is not None:
            return self.lake.table_path(source.table)
        # A catalogued dataset in the lake: its Delta directory. The catalogue only
        # appends (never rewrites or vacuums), so its Parquet files are exactly the
        # latest version's rows; Feast's file source reads them (skipping _delta_log).
        path = Path(self.lake.datasets.default_uri(str(source.dataset)))
        if not (path / "_delta_log").is_dir():
            raise NotFound("dataset", str(source.dataset))
        return path

    def source_exists(self, source: Source) -> bool:
        try:
            path = self.source_path(source)
        except NotFound:
            return False
        return path.is_file() or (path.is_dir() and any(path.glob("*.parquet")))

    def output_path(self, name: str) -> Path:
        """The Parquet file a training set named ``name`` is written to."""
        return self.lake.table_dir(name) / "part-0.parquet"

    def entity_source(self, name: str) -> Path:
        """An entity table: a file the (local) caller names, or a lake table's name."""
        path = Path(name)
        if path.exists():
            return path
        table = self.lake.table_path(name)  # validated: a table name, inside the lake
        if not table.exists():
            raise NotFound("entity table", name)
        return table
