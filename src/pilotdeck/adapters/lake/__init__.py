"""The lakehouse on local disk (or a mounted volume): logs, profiles and tables.

Layout under the root::

    predictions/pilot=P/date=D/part-*.parquet   the gateway's prediction log
    feedback/pilot=P/date=D/part-*.parquet      labels and business outcomes
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
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilotdeck.adapters.lake import profiles, reader
from pilotdeck.adapters.lake.delta import DeltaTables
from pilotdeck.adapters.lake.profiles import StoredProfile
from pilotdeck.adapters.lake.writer import FEEDBACK_SCHEMA, PREDICTION_SCHEMA, ParquetLog
from pilotdeck.domain.datasets import PinnedTable
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.pilot import NAME_RE as PILOT_RE

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    import pyarrow.dataset as pads

TABLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,99}$")
REPORT_KINDS = ("explanations", "fairness")
PROFILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

__all__ = ["LocalLake", "StoredProfile"]


class LocalLake:
    """The :class:`~pilotdeck.domain.ports.lake.Lake` on a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.datasets = DeltaTables(self.root / "datasets")

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

    @property
    def predictions_dir(self) -> Path:
        return self._inside("predictions")

    @property
    def feedback_dir(self) -> Path:
        return self._inside("feedback")

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

    # -- logs --------------------------------------------------------------
    def prediction_log(self, flush_s: float, max_rows: int) -> ParquetLog:
        return ParquetLog(self.predictions_dir, PREDICTION_SCHEMA, flush_s, max_rows)

    def feedback_log(self, flush_s: float, max_rows: int) -> ParquetLog:
        return ParquetLog(self.feedback_dir, FEEDBACK_SCHEMA, flush_s, max_rows)

    def requests(self, pilot: str, since: datetime | None = None,
                 until: datetime | None = None, variant: str | None = None,
                 version: int | None = None, include_shadow: bool = False,
                 ok_only: bool = True) -> pa.Table:
        return reader.requests(self.predictions_dir, self._pilot(pilot), since, until,
                               variant=variant, version=version,
                               include_shadow=include_shadow, ok_only=ok_only)

    def rows(self, requests: pa.Table) -> pa.Table:
        return reader.rows(requests)

    def feedback(self, pilot: str) -> pa.Table:
        return reader.feedback(self.feedback_dir, self._pilot(pilot))

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
