"""The prediction and feedback log tables: their versions, compaction and migration."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["LogCompaction", "LogMigration", "LogVersion"]


class LogVersion(View):
    """One Delta version of a log table (what the catalogue lists as its versions)."""

    version: int
    timestamp: datetime
    operation: str = Field(description="WRITE, OPTIMIZE, VACUUM START, CREATE TABLE, ...")
    rows_added: int | None = Field(description="Rows the version appended (WRITE only).")


class LogCompaction(View):
    table: str = Field(description="predictions | feedback")
    pilot: str | None = Field(description="The only pilot compacted; None: all of them.")
    version: int = Field(description="The table's version after compaction.")
    files_added: int
    files_removed: int
    files_vacuumed: int = Field(description="Unreferenced files deleted after retention.")
    retention_hours: int


class LogMigration(View):
    table: str = Field(description="predictions | feedback")
    files: int = Field(description="Old-layout Parquet files converted.")
    rows: int
    legacy_dir: str | None = Field(description="Where the old files were kept.")
    unreadable: int = Field(0, description="Damaged old files left there, not converted.")
