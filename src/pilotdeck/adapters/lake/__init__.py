"""The lakehouse on local disk (or a mounted volume): logs, profiles and tables.

Layout under the root::

    predictions/                                the gateway's prediction log and
    feedback/                                   labels/outcomes: Delta tables
                                                partitioned by pilot and date
                                                (``delta_log.py``; an old Parquet
                                                log is converted on first open,
                                                ``migrate.py``)
    profiles/NAME/{profile.json,sample.parquet} reference profiles
    tables/NAME/                                tables written by pilotdeck (demo data)
    datasets/NAME/                              catalogued datasets (Delta tables)
    quality/NAME/{suite.yaml,vN.json}           datasets' quality suites and results

Every identifier that becomes a path segment is checked against its pattern,
and every path is resolved and refused if it leaves the root, so no input can
write or read outside the lake.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilotdeck.adapters.lake import maintenance, profiles, reader
from pilotdeck.adapters.lake.delta import DeltaTables
from pilotdeck.adapters.lake.delta_log import DeltaLog, LogTable
from pilotdeck.adapters.lake.profiles import StoredProfile
from pilotdeck.adapters.lake.writer import FEEDBACK_SCHEMA, PREDICTION_SCHEMA
from pilotdeck.domain.datasets import PinnedTable
from pilotdeck.domain.errors import FieldError, ValidationFailed, describe
from pilotdeck.domain.pilot import NAME_RE as PILOT_RE
from pilotdeck.domain.ports.lake import LogCompaction, LogMigration, LogVersion

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    import pyarrow.dataset as pads

    from pilotdeck.adapters.lake.migrate import Migrated

TABLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,99}$")
REPORT_KINDS = ("explanations", "fairness", "runbooks", "playbooks")
PROFILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
LOG_KINDS = ("predictions", "feedback")

__all__ = ["LocalLake", "StoredProfile"]


class LocalLake:
    """The :class:`~pilotdeck.domain.ports.lake.Lake` on a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.datasets = DeltaTables(self.root / "datasets",
                                    (self.root / "predictions", self.root / "feedback"))
        self._logs: dict[str, LogTable] = {}
        self._logs_lock = threading.Lock()

    def _inside(self, *parts: str) -> Path:
        path = self.root.joinpath(*parts).resolve()
        if not path.is_relative_to(self.root):
            raise ValidationFailed("invalid path", [FieldError(
                "path", "resolves outside the lakehouse")])
        return path

    def _pilot(self, pilot: str, field: str = "pilot") -> str:
        if not PILOT_RE.match(pilot):
            raise ValidationFailed("invalid pilot name", [FieldError(
                field, "lowercase letters, digits and '-', at most 63 characters")])
        return pilot

    # -- tables ------------------------------------------------------------
    def table_dir(self, name: str) -> Path:
        """The directory of a named table under ``tables/`` (created)."""
        if not TABLE_RE.match(name):
            raise ValidationFailed("invalid table name", [FieldError(
                "name", "letters, digits and '_', at most 100 characters")])
        path = self._inside("tables", name)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def table_path(self, name: str) -> Path:
        """Where a named table is, without creating it (it may not exist)."""
        if not TABLE_RE.match(name):
            raise ValidationFailed("invalid table name", [FieldError(
                "name", "letters, digits and '_', at most 100 characters")])
        return self._inside("tables", name)

    @property
    def features_dir(self) -> Path:
        """The managed Feast repository (registry, definitions, SQLite online store)."""
        return self._inside("features")

    def open_table(self, source: str | Path | PinnedTable, field: str = "--current"
                   ) -> pads.Dataset:
        from pilotdeck.adapters.lake.tables import open_table

        if not isinstance(source, PinnedTable):
            self.refuse_catalogued(source, field)
        return open_table(source, field)

    def refuse_catalogued(self, source: str | Path, field: str) -> None:
        """A catalogued table is read as ``dataset:NAME[@V]`` (access-checked), never
        by its path: a path under ``datasets/`` would step around the grants."""
        spec = str(source)
        if spec.startswith(("duckdb:", "dataset:")) or "://" in spec:
            return
        if Path(spec).resolve().is_relative_to(self.root / "datasets"):
            raise ValidationFailed("read catalogued datasets by name", [FieldError(
                field, "is a catalogued dataset's files: use dataset:NAME[@VERSION]")])

    def scratch_dir(self) -> Path:
        """A new private directory for a job's intermediate files (the caller removes
        it); inside the lake, so a rename into a table never crosses devices."""
        import tempfile

        base = self._inside(".scratch")
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=base))

    # -- logs ---------------------------------------------------------------
    def _log(self, kind: str) -> LogTable:
        """The log table, converted from the old Parquet layout on first open."""
        from pilotdeck.adapters.lake import migrate

        if kind not in LOG_KINDS:
            raise ValidationFailed("invalid log", [FieldError(
                "table", "predictions or feedback")])
        with self._logs_lock:
            table = self._logs.get(kind)
            if table is None:
                schema = PREDICTION_SCHEMA if kind == "predictions" else FEEDBACK_SCHEMA
                table = LogTable(self._inside(kind), schema, kind)
                if migrate.pending(table):
                    self._migrate(table)
                self._logs[kind] = table
        return table

    def _migrate(self, table: LogTable) -> Migrated | None:
        from deltalake.exceptions import DeltaError

        from pilotdeck.adapters.lake import migrate

        try:
            with table.opening():
                return migrate.migrate(table)
        except (DeltaError, OSError) as exc:
            raise ValidationFailed(f"cannot convert the old {table.kind} log", [FieldError(
                table.kind, describe(exc).replace(str(self.root), "the lake"))]) from None

    def _writer(self, kind: str, flush_s: float, max_rows: int) -> DeltaLog:
        table = self._log(kind)
        with table.opening():
            table.create()  # once, here: not a 0.2 s first commit on the hot path
        return DeltaLog(table, flush_s, max_rows)

    def prediction_log(self, flush_s: float, max_rows: int) -> DeltaLog:
        return self._writer("predictions", flush_s, max_rows)

    def feedback_log(self, flush_s: float, max_rows: int) -> DeltaLog:
        return self._writer("feedback", flush_s, max_rows)

    def prediction_table_uri(self) -> str:
        """Where the prediction log's Delta table is (for the catalogue)."""
        return self._log("predictions").uri

    def feedback_table_uri(self) -> str:
        return self._log("feedback").uri

    def log_history(self, table: str, limit: int | None = None) -> list[LogVersion]:
        """The Delta versions of ``predictions`` or ``feedback``, newest first."""
        return maintenance.history(self._log(table), limit)

    def compact_logs(self, pilot: str | None = None,
                     retention_hours: int = maintenance.DEFAULT_RETENTION_HOURS,
                     ) -> list[LogCompaction]:
        if pilot is not None:
            self._pilot(pilot)
        return [maintenance.compact(self._log(k), pilot, retention_hours) for k in LOG_KINDS]

    def migrate_logs(self) -> list[LogMigration]:
        """Convert (or finish converting) old-layout logs; what was converted."""
        out = []
        for kind in LOG_KINDS:
            schema = PREDICTION_SCHEMA if kind == "predictions" else FEEDBACK_SCHEMA
            table = LogTable(self._inside(kind), schema, kind)
            done = self._migrate(table)
            if done is not None:
                out.append(LogMigration(kind, done.files, done.rows, str(done.legacy_dir)
                                        if done.legacy_dir else None, done.unreadable))
        return out

    def requests(self, pilot: str, since: datetime | None = None,
                 until: datetime | None = None, variant: str | None = None,
                 version: int | None = None, include_shadow: bool = False,
                 ok_only: bool = True, log_version: int | None = None) -> pa.Table:
        part = maintenance.partition(self._log("predictions"), self._pilot(pilot), log_version)
        return reader.requests(part, since, until, variant=variant, version=version,
                               include_shadow=include_shadow, ok_only=ok_only)

    def rows(self, requests: pa.Table) -> pa.Table:
        return reader.rows(requests)

    def feedback(self, pilot: str, log_version: int | None = None) -> pa.Table:
        part = maintenance.partition(self._log("feedback"), self._pilot(pilot), log_version)
        return reader.feedback(part)

    def labelled(self, pilot: str, rows: pa.Table) -> pa.Table:
        return reader.labelled(rows, self.feedback(pilot))

    # -- profiles ----------------------------------------------------------
    def check_profile_name(self, name: str) -> None:
        if not PROFILE_RE.match(name):
            raise ValidationFailed("invalid profile name", [FieldError(
                "name", "letters, digits, '.', '_' and '-', at most 100 characters")])

    def _profile_dir(self, name: str) -> Path:
        self.check_profile_name(name)
        return self._inside("profiles", name)

    def save_profile(self, name: str, meta: dict[str, Any], sample: np.ndarray,
                     numeric: list[str]) -> None:
        profiles.save(self._profile_dir(name), meta, sample, numeric)

    def load_profile(self, name: str) -> StoredProfile:
        return profiles.load(self._profile_dir(name), name)

    # -- quality suites and results of datasets -----------------------------
    def _quality_dir(self, name: str) -> Path:
        from pilotdeck.adapters.lake.quality import check_dataset_name

        return self._inside("quality", check_dataset_name(name))

    def save_quality_suite(self, name: str, yaml_text: str) -> None:
        from pilotdeck.adapters.lake import quality

        quality.save_suite(self._quality_dir(name), yaml_text)

    def load_quality_suite(self, name: str) -> str | None:
        from pilotdeck.adapters.lake import quality

        return quality.load_suite(self._quality_dir(name))

    def save_quality_result(self, name: str, version: int, result: dict[str, Any]) -> None:
        from pilotdeck.adapters.lake import quality

        quality.save_result(self._quality_dir(name), quality.check_version(version), result)

    def load_quality_result(self, name: str, version: int) -> dict[str, Any] | None:
        from pilotdeck.adapters.lake import quality

        return quality.load_result(self._quality_dir(name), quality.check_version(version))

    def list_quality_results(self, name: str) -> list[dict[str, Any]]:
        from pilotdeck.adapters.lake import quality

        return quality.list_results(self._quality_dir(name))

    # -- reports about a model version (explanations, fairness) -----------
    def save_report(self, kind: str, name: str, data: dict[str, Any]) -> None:
        """A version's stored report (JSON), written aside and renamed."""
        target = self._report_path(kind, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(target)

    def load_report(self, kind: str, name: str) -> dict[str, Any] | None:
        target = self._report_path(kind, name)
        if not target.is_file():
            return None
        data: dict[str, Any] = json.loads(target.read_text())
        return data

    def _report_path(self, kind: str, name: str) -> Path:
        if kind not in REPORT_KINDS:
            raise ValueError(f"unknown report kind {kind!r}")  # a programming error
        self.check_profile_name(name)
        return self._inside(kind, f"{name}.json")
