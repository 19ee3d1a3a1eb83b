"""The log records' schemas, and the pre-Delta log writer (partitioned Parquet).

The gateway now writes Delta tables (``delta_log.py``); ``ParquetLog`` stays as
the layout ``migrate.py`` converts, the writer the prediction-log benchmark
compares against, and the generator of old-layout lakes for the migration tests.

Records are appended on the hot path (a list append) and written by a
background task every ``flush_s`` seconds or when ``max_rows`` are waiting, as
``ROOT/pilot=NAME/date=YYYY-MM-DD/part-*.parquet`` (DuckDB reads it with
``read_parquet('ROOT/**/*.parquet', hive_partitioning=true)``). The buffer is
flushed on shutdown. A crash loses at most the records of the last
``flush_s`` seconds (and never more than ``max_rows`` plus one flush).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pilotdeck.domain.pilot import NAME_RE as PILOT_RE

log = logging.getLogger("pilotdeck.lake.log")

PREDICTION_SCHEMA = pa.schema([
    ("request_id", pa.string()), ("ts", pa.timestamp("us", tz="UTC")), ("pilot", pa.string()),
    ("variant", pa.string()), ("model_version", pa.int32()), ("inputs", pa.string()),
    ("outputs", pa.string()), ("latency_ms", pa.float64()), ("cache_hit", pa.bool_()),
    ("status", pa.int16()), ("rows", pa.int32()),
])
FEEDBACK_SCHEMA = pa.schema([
    ("request_id", pa.string()), ("ts", pa.timestamp("us", tz="UTC")), ("pilot", pa.string()),
    ("label", pa.string()), ("revenue", pa.float64()), ("cost_saved", pa.float64()),
    ("satisfaction", pa.float64()),
])


class BufferedLog:
    """An append-only log: records wait in memory (the hot path is a list append)
    and a background task hands them to :meth:`_write` every ``flush_s`` seconds,
    or as soon as ``max_rows`` wait; a write that fails keeps its records for the
    next flush, and :meth:`close` flushes what is left. Subclasses say how a
    batch is written (partitioned Parquet here, a Delta commit in ``delta_log``)."""

    def __init__(self, flush_s: float, max_rows: int) -> None:
        self.flush_s = flush_s
        self.max_rows = max_rows
        self._buffer: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.written = 0
        self.files = 0

    def append(self, record: dict[str, Any]) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= self.max_rows:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.flush_s)
            except TimeoutError:
                pass
            self._wake.clear()
            await self.flush()

    async def flush(self) -> int:
        if not self._buffer:
            return 0
        batch, self._buffer = self._buffer, []
        try:
            await asyncio.to_thread(self._write, batch)
        except OSError:
            log.exception("could not write %d log records; keeping them for the next flush",
                          len(batch))
            self._buffer[:0] = batch
            return 0
        return len(batch)

    def _write(self, batch: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.flush()


class ParquetLog(BufferedLog):
    def __init__(self, root: Path, schema: pa.Schema, flush_s: float, max_rows: int) -> None:
        super().__init__(flush_s, max_rows)
        self.root = root
        self.schema = schema

    def _write(self, batch: list[dict[str, Any]]) -> None:
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in batch:
            groups[(r["pilot"], r["ts"].strftime("%Y-%m-%d"))].append(r)
        for (pilot, day), rows in groups.items():
            if not isinstance(pilot, str) or not PILOT_RE.match(pilot):
                # Callers validate pilots; this keeps any slip from ever becoming a
                # path outside the log (or inside another pilot's partition).
                log.error("dropped %d log records with an invalid pilot name", len(rows))
                continue
            folder = self.root / f"pilot={pilot}" / f"date={day}"
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            table = pa.Table.from_pylist(rows, schema=self.schema)
            name = f"part-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"
            tmp = folder / f".{name}.tmp"
            # Request inputs may be personal data: the file is owner-only from
            # its creation (pyarrow keeps the mode of a file it overwrites).
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            pq.write_table(table, tmp)
            tmp.replace(folder / name)  # readers never see half a file
            self.files += 1
        self.written += len(batch)


def now_utc() -> datetime:
    return datetime.now(UTC)
