"""Prediction and feedback logs as Delta Lake tables (delta-rs): the gateway's
writer, and the table handle every reader, maintenance command and the catalogue
goes through.

The hot path is unchanged from the Parquet log it replaces: a record is a list
append. A background task flushes every ``flush_s`` seconds, or as soon as
``max_rows`` records wait, as **one Delta commit** (an append, partitioned by
``pilot`` and ``date``), and flushes on shutdown. A failed commit keeps its
records for the next flush. A crash loses at most the records buffered since the
last flush: ``flush_s`` seconds' worth, and never more than ``max_rows`` plus one
flush. Several gateway processes may append to one table: delta-rs detects a
concurrent commit (put-if-absent of the next version file) and retries an append
on the next version, so no commit is lost.

Request inputs may be personal data: every file and directory of the table
(data files, ``_delta_log`` commits, checkpoints) is created owner-only (0600 /
0700). delta-rs creates files with the process umask, so commits run under umask
077, set under a lock (the umask is process-wide; only ever made stricter).

Frequent small commits: a commit's cost grows with the table's live files and
with the commits a long-lived table handle has replayed (measured: 56 ms at
2,700 files, 210 ms when the same handle had made 900 commits). So the writer
reopens its handle every ``CHECKPOINT_INTERVAL`` commits (delta-rs writes a
checkpoint at that interval, so reopening is cheap), and merges the small files
of the days it writes every ``AUTO_COMPACT_EVERY`` commits (bin-packing up to
``AUTO_COMPACT_TARGET`` bytes, so a merge rewrites a bounded amount; a merge
that meets another process's merge gives way). ``pilotdeck monitor compact``
does the rest: all partitions, vacuum of the replaced files, a checkpoint.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from pilotdeck.adapters.lake.writer import BufferedLog
from pilotdeck.domain.errors import FieldError, ValidationFailed, describe
from pilotdeck.domain.pilot import NAME_RE as PILOT_RE

if TYPE_CHECKING:
    from deltalake import DeltaTable

log = logging.getLogger("pilotdeck.lake.log")

PARTITION_BY = ["pilot", "date"]
CHECKPOINT_INTERVAL = 100
AUTO_COMPACT_EVERY = 200
AUTO_COMPACT_TARGET = 16 * 1024 * 1024
_UMASK_LOCK = threading.Lock()
# Columns whose values are (nearly) all distinct: a dictionary page is built and
# thrown away for each of them. Without it, and with zstd level 1 instead of
# snappy, a commit of 100-row requests was 27 % cheaper and 40 % smaller
# (benchmarks/serving; the JSON inputs compress well).
_DISTINCT = ("request_id", "inputs", "outputs")


def _writer_properties() -> Any:
    from deltalake import ColumnProperties, WriterProperties

    return WriterProperties(compression="ZSTD", compression_level=1, column_properties={
        c: ColumnProperties(dictionary_enabled=False) for c in _DISTINCT})


class LogWriteFailed(OSError):
    """A commit to a log table failed (the records are kept for the next flush)."""


@contextlib.contextmanager
def owner_only() -> Iterator[None]:
    """Files and directories created inside are 0600 / 0700."""
    with _UMASK_LOCK:
        old = os.umask(0o077)
        try:
            yield
        finally:
            os.umask(old)


def with_date(schema: pa.Schema) -> pa.Schema:
    """The table's schema: the record's fields and the ``date`` partition (UTC day)."""
    return schema.append(pa.field("date", pa.string()))


class LogTable:
    """One log table (``predictions`` or ``feedback``) at ``root``."""

    def __init__(self, root: Path, schema: pa.Schema, kind: str) -> None:
        self.root = root
        self.schema = schema  # the records' schema (without ``date``)
        self.kind = kind
        self._dt: DeltaTable | None = None
        self._write_lock = threading.Lock()
        self._commits = 0
        self.auto_compactions = 0

    @property
    def uri(self) -> str:
        return str(self.root)

    def exists(self) -> bool:
        return (self.root / "_delta_log").is_dir()

    @contextlib.contextmanager
    def opening(self) -> Iterator[None]:
        """An exclusive lock between processes that create or migrate this table."""
        self.root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = self.root.with_name(f".{self.root.name}.lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def create(self) -> None:
        """Create the (empty) table if there is none; safe to race with other processes."""
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError

        if self.exists():
            return
        with owner_only():
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                DeltaTable.create(self.uri, with_date(self.schema), mode="ignore",
                                  partition_by=PARTITION_BY, name=self.kind,
                                  configuration={"delta.checkpointInterval":
                                                 str(CHECKPOINT_INTERVAL)})
            except DeltaError:
                if not self.exists():  # not just another process that won the race
                    raise

    def open(self, version: int | None = None) -> DeltaTable:
        """The table at its current version (or ``version``), or a clear error."""
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError

        try:
            return DeltaTable(self.uri, version=version)
        except (DeltaError, OSError) as exc:
            problem = describe(exc).replace(self.uri, "the table")
            if version is not None and "version" in problem.lower():
                raise ValidationFailed(f"cannot read the {self.kind} log", [FieldError(
                    "version", f"no version {version} of the {self.kind} log")]) from None
            raise ValidationFailed(f"cannot read the {self.kind} log", [FieldError(
                self.kind, "the Delta transaction log (_delta_log) is damaged or "
                f"unreadable: {problem}")]) from None

    def append(self, records: list[dict[str, Any]]) -> int:
        """Commit ``records`` as one append; returns the number of data partitions."""
        from deltalake import write_deltalake
        from deltalake.exceptions import DeltaError

        ok: dict[object, bool] = {}
        rows = []
        for r in records:
            pilot = r.get("pilot")
            good = ok.get(pilot)
            if good is None:
                good = ok[pilot] = isinstance(pilot, str) and bool(PILOT_RE.match(pilot))
            if good:
                rows.append(r)
        if len(rows) < len(records):
            # Callers validate pilots; this keeps any slip from ever becoming a
            # path outside the log (or inside another pilot's partition).
            log.error("dropped %d log records with an invalid pilot name",
                      len(records) - len(rows))
        if not rows:
            return 0
        table = pa.Table.from_pylist(rows, schema=self.schema)
        days = table["ts"].cast(pa.timestamp("us", tz="UTC")).cast(pa.date32()).cast(pa.string())
        table = table.append_column("date", days)
        with self._write_lock:
            try:
                if self._dt is None:
                    self.create()
                    self._dt = self.open()
                with owner_only():
                    write_deltalake(self._dt, table, mode="append", partition_by=PARTITION_BY,
                                    writer_properties=_writer_properties())
            except (DeltaError, OSError, ValidationFailed) as exc:
                self._dt = None  # reload the table's state on the next try
                raise LogWriteFailed(f"commit to the {self.kind} log failed: "
                                     f"{describe(exc)}") from exc
            self._commits += 1
            if self._commits % CHECKPOINT_INTERVAL == 0:
                self._dt = None  # a fresh handle starts from the latest checkpoint
            if self._commits % AUTO_COMPACT_EVERY == 0:
                self.merge_small_files(days.unique().to_pylist())
        return _partitions(rows, days)

    def merge_small_files(self, days: list[str]) -> None:
        """Bin-pack the small files of ``days`` (all pilots); never fails the flush."""
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError

        try:
            with owner_only():
                DeltaTable(self.uri).optimize.compact(
                    partition_filters=[("date", "in", days)], target_size=AUTO_COMPACT_TARGET)
            self.auto_compactions += 1
        except (DeltaError, OSError) as exc:  # e.g. another process merged them first
            log.warning("merging the %s log's small files gave way: %s", self.kind,
                        describe(exc))


def _partitions(rows: list[dict[str, Any]], days: pa.ChunkedArray) -> int:
    return len({(r["pilot"], d) for r, d in zip(rows, days.to_pylist(), strict=True)})


class DeltaLog(BufferedLog):
    """The :class:`~pilotdeck.domain.ports.lake.LogWriter` over a :class:`LogTable`:
    each flush is one Delta commit."""

    def __init__(self, table: LogTable, flush_s: float, max_rows: int) -> None:
        super().__init__(flush_s, max_rows)
        self.table = table
        self.commits = 0

    def _write(self, batch: list[dict[str, Any]]) -> None:
        """Commit ``batch`` now (the flush's work; also how tests and tools fill a log)."""
        self.files += self.table.append(batch)
        self.commits += 1
        self.written += len(batch)
