"""Reading, history and upkeep of the log tables (``delta_log.LogTable``): a
pilot's partition at a version, the versions themselves, and compaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pilotdeck.adapters.lake.delta_log import LogTable, owner_only
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.ports.lake import LogCompaction, LogVersion

if TYPE_CHECKING:
    import pyarrow.dataset as pads

DEFAULT_RETENTION_HOURS = 168  # Delta's default: a week of time travel survives vacuum
ORPHAN_MIN_HOURS = 1


def partition(table: LogTable, pilot: str, version: int | None = None) -> pads.Dataset | None:
    """``pilot``'s rows of the table at ``version`` (default: current); ``None`` when
    the table does not exist yet (nothing was ever logged)."""
    if version is not None and version < 0:
        raise ValidationFailed("invalid version", [FieldError("version", "must be >= 0")])
    if not table.exists():
        if version is not None:
            raise ValidationFailed(f"cannot read the {table.kind} log", [FieldError(
                "version", f"no version {version} of the {table.kind} log")])
        return None
    dt = table.open(version)
    return dt.to_pyarrow_dataset(file_pruning_predicate=[("pilot", "=", pilot)])


def history(table: LogTable, limit: int | None = None) -> list[LogVersion]:
    """The table's versions, newest first."""
    if not table.exists():
        return []
    out = []
    for h in table.open().history(limit):
        metrics = h.get("operationMetrics") or {}
        added = metrics.get("num_added_rows")
        out.append(LogVersion(int(h["version"]),
                              datetime.fromtimestamp(h["timestamp"] / 1000, UTC),
                              str(h.get("operation", "")),
                              int(added) if added is not None else None))
    out.sort(key=lambda v: -v.version)
    return out[:limit] if limit is not None else out


def compact(table: LogTable, pilot: str | None = None,
            retention_hours: int = DEFAULT_RETENTION_HOURS) -> LogCompaction:
    """Merge small files, delete those no version within ``retention_hours`` needs,
    write a checkpoint and drop expired log entries. Safe while gateways append."""
    if retention_hours < 0:
        raise ValidationFailed("invalid retention", [FieldError(
            "--retention-hours", "must be >= 0")])
    if not table.exists():
        return LogCompaction(table.kind, pilot, -1, 0, 0, 0, retention_hours)
    dt = table.open()
    filters = [("pilot", "=", pilot)] if pilot else None
    with owner_only():
        metrics = dt.optimize.compact(partition_filters=filters)
        # Full mode also deletes files no version ever referenced (a flush killed
        # between writing its files and committing): only when they are older
        # than an hour, so no append still in flight loses its files.
        vacuumed = dt.vacuum(retention_hours=retention_hours, dry_run=False,
                             enforce_retention_duration=False,
                             full=retention_hours >= ORPHAN_MIN_HOURS)
        dt.create_checkpoint()
        dt.cleanup_metadata()
    return LogCompaction(table.kind, pilot, dt.version(), int(metrics.get("numFilesAdded", 0)),
                         int(metrics.get("numFilesRemoved", 0)), len(vacuumed),
                         retention_hours)
