"""The lakehouse port: every table, log and profile under the lake goes through it.

No caller builds a lake path: the implementation owns the layout, validates
every identifier that becomes part of a path, and refuses any path that would
resolve outside the lake root.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    import pyarrow.dataset as pads

    from pilotdeck.domain.datasets import PinnedTable
    from pilotdeck.domain.drift import Dist
    from pilotdeck.domain.profile import ColumnProfile


class ReferenceProfile(Protocol):
    """A stored profile: column statistics, plus numeric samples read on demand."""

    name: str
    rows: int
    columns: dict[str, ColumnProfile]
    meta: dict[str, Any]

    def dists(self, columns: list[str]) -> dict[str, Dist]: ...
    def dist(self, column: str) -> Dist: ...
    @property
    def exact(self) -> bool: ...
    def background(self, columns: list[str], rows: int, seed: int = 0) -> np.ndarray | None:
        """Rows drawn column by column from the sample (for explainers)."""
        ...


@dataclass(frozen=True)
class LogVersion:
    """One Delta version of a log table."""

    version: int
    timestamp: datetime
    operation: str  # WRITE, OPTIMIZE, VACUUM END, CREATE TABLE, ...
    rows_added: int | None  # WRITE only


@dataclass(frozen=True)
class LogCompaction:
    table: str
    pilot: str | None
    version: int  # after compaction; -1 when the table does not exist yet
    files_added: int
    files_removed: int
    files_vacuumed: int
    retention_hours: int


@dataclass(frozen=True)
class LogMigration:
    table: str
    files: int
    rows: int
    legacy_dir: str | None
    unreadable: int = 0  # damaged old files left in legacy_dir


class LogWriter(Protocol):
    """An append-only log buffered in memory and flushed in the background."""

    written: int
    files: int

    def append(self, record: dict[str, Any]) -> None: ...
    def start(self) -> None: ...
    async def flush(self) -> int: ...
    async def close(self) -> None: ...


class VersionedTables(Protocol):
    """The catalogue's tables: every write a new version (Delta Lake)."""

    def default_uri(self, name: str) -> str: ...
    def check_uri(self, uri: str, field: str = "uri") -> str: ...
    def display(self, uri: str) -> str:
        """A table's location without the server's paths (``lake:datasets/NAME``)."""
        ...
    def exists(self, uri: str) -> bool: ...
    def write(self, uri: str, data: Any, *, create: bool, merge_schema: bool = False,
              operation: str = "append") -> int:
        """Append an Arrow table or reader as a new version; returns the version."""
        ...
    def version(self, uri: str) -> int: ...
    def snapshot(self, uri: str, version: int | None = None) -> Any:
        """A version ready to read: ``.dataset`` (Arrow), ``.files``, ``.version``."""
        ...
    def rows(self, uri: str, version: int | None = None) -> int: ...
    def size(self, uri: str, version: int | None = None) -> tuple[int, int]:
        """(version, rows) from one read of the table's log."""
        ...
    def history(self, uri: str, limit: int | None = None) -> list[Any]:
        """Newest first: version, timestamp, operation, rows_added, files_added."""
        ...


class Lake(Protocol):
    @property
    def datasets(self) -> VersionedTables: ...

    def open_table(self, source: str | PinnedTable, field: str = "--current"
                   ) -> pads.Dataset:
        """A Parquet file/directory, CSV, Delta table, ``duckdb:PATH?table=T`` or an
        authorised dataset version, as an Arrow dataset (catalogued tables' own
        paths are refused: they are read by name, through their grants)."""
        ...

    def scratch_dir(self) -> Path:
        """A new private directory for intermediate files (the caller removes it)."""
        ...

    def refuse_catalogued(self, source: str, field: str) -> None:
        """Raise if ``source`` is a path into the catalogue's tables."""
        ...

    def table_dir(self, name: str) -> Path:
        """Where a named table is kept (a directory, created)."""
        ...

    def table_path(self, name: str) -> Path:
        """Where a named table is kept, not created."""
        ...

    @property
    def features_dir(self) -> Path:
        """The feature store's repository directory."""
        ...

    # -- prediction and feedback logs --------------------------------------
    def prediction_log(self, flush_s: float, max_rows: int) -> LogWriter: ...
    def feedback_log(self, flush_s: float, max_rows: int) -> LogWriter: ...
    def requests(self, pilot: str, since: datetime | None = None,
                 until: datetime | None = None, variant: str | None = None,
                 version: int | None = None, include_shadow: bool = False,
                 ok_only: bool = True, log_version: int | None = None) -> pa.Table:
        """One row per logged request of ``pilot`` in ``[since, until)``
        (``version``: the model version; ``log_version``: the log table's version,
        for time travel; default the current one)."""
        ...

    def rows(self, requests: pa.Table) -> pa.Table:
        """One row per scored row: the features as columns and the prediction."""
        ...

    def feedback(self, pilot: str, log_version: int | None = None) -> pa.Table:
        """The latest feedback per request id."""
        ...

    def labelled(self, pilot: str, rows: pa.Table) -> pa.Table:
        """``rows`` joined to their labels (rows without one are dropped)."""
        ...

    def prediction_table_uri(self) -> str:
        """The prediction log's Delta table (for the catalogue)."""
        ...

    def feedback_table_uri(self) -> str: ...
    def log_history(self, table: str, limit: int | None = None) -> list[LogVersion]:
        """``table``: ``predictions`` or ``feedback``; newest version first."""
        ...

    def compact_logs(self, pilot: str | None = None,
                     retention_hours: int = 168) -> list[LogCompaction]:
        """Merge small files, vacuum files older than the retention, checkpoint."""
        ...

    def migrate_logs(self) -> list[LogMigration]:
        """Convert logs in the old Parquet layout (done on first open anyway)."""
        ...

    # -- reference profiles -------------------------------------------------
    def check_profile_name(self, name: str) -> None: ...
    def save_profile(self, name: str, meta: dict[str, Any], sample: np.ndarray,
                     numeric: list[str]) -> None: ...
    def load_profile(self, name: str) -> ReferenceProfile: ...

    # -- quality suites and results of datasets ------------------------------
    def save_quality_suite(self, name: str, yaml_text: str) -> None:
        """``quality/NAME/suite.yaml``; ``name``: a dataset name."""
        ...

    def load_quality_suite(self, name: str) -> str | None: ...
    def save_quality_result(self, name: str, version: int, result: dict[str, Any]) -> None:
        """``quality/NAME/v{VERSION}.json`` (JSON; non-finite numbers refused)."""
        ...

    def load_quality_result(self, name: str, version: int) -> dict[str, Any] | None: ...
    def list_quality_results(self, name: str) -> list[dict[str, Any]]:
        """Every stored result of the dataset, oldest version first."""
        ...

    # -- reports about a model version ---------------------------------------
    def save_report(self, kind: str, name: str, data: dict[str, Any]) -> None:
        """``kind``: ``explanations``, ``fairness`` (``name``: the profile name) or
        ``runbooks`` (``name``: the pilot)."""
        ...

    def load_report(self, kind: str, name: str) -> dict[str, Any] | None: ...
