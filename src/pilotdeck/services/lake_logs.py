"""Upkeep of the prediction and feedback log tables: their Delta versions,
compaction (with vacuum and a checkpoint) and the conversion of old Parquet logs.

The table changes are Delta commits, not rows of the metadata store, so they
cannot share its transaction: each successful change is audited right after it.
"""

from __future__ import annotations

from pilotdeck.auth.roles import Principal
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.ports.store import Store
from pilotdeck.views.lake_logs import LogCompaction, LogMigration, LogVersion

TABLES = ("predictions", "feedback")


class LogTableService:
    def __init__(self, store: Store, lake: Lake) -> None:
        self.store = store
        self.lake = lake

    def history(self, table: str, limit: int | None = None) -> list[LogVersion]:
        """The table's Delta versions, newest first."""
        if table not in TABLES:
            raise ValidationFailed("invalid table", [FieldError(
                "table", "predictions or feedback")])
        if limit is not None and limit < 1:
            raise ValidationFailed("invalid limit", [FieldError("--limit", "must be >= 1")])
        return [LogVersion(version=v.version, timestamp=v.timestamp, operation=v.operation,
                           rows_added=v.rows_added)
                for v in self.lake.log_history(table, limit)]

    def compact(self, who: Principal, pilot: str | None = None,
                retention_hours: int = 168) -> list[LogCompaction]:
        done = [LogCompaction(table=c.table, pilot=c.pilot, version=c.version,
                              files_added=c.files_added, files_removed=c.files_removed,
                              files_vacuumed=c.files_vacuumed,
                              retention_hours=c.retention_hours)
                for c in self.lake.compact_logs(pilot, retention_hours)]
        with self.store.write() as uow:
            for c in done:
                if c.version >= 0:
                    uow.audit.record(who.user, "lake.log-compacted", "table", c.table,
                                     c.model_dump(mode="json", by_alias=True))
        return done

    def migrate(self, who: Principal) -> list[LogMigration]:
        done = [LogMigration(table=m.table, files=m.files, rows=m.rows,
                             legacy_dir=m.legacy_dir, unreadable=m.unreadable)
                for m in self.lake.migrate_logs()]
        with self.store.write() as uow:
            for m in done:
                uow.audit.record(who.user, "lake.log-migrated", "table", m.table,
                                 {"files": m.files, "rows": m.rows,
                                  "unreadable": m.unreadable})
        return done
