"""Convert a log written by the old Parquet writer into a Delta table.

The old layout is ``ROOT/pilot=P/date=D/part-*.parquet`` with no ``_delta_log``.
Its files also hold the ``pilot`` column, which Delta keeps only in the partition
values, so delta-rs's in-place ``convert_to_deltalake`` refuses them ("duplicate
field"); the rows are rewritten instead, in three steps that each leave a state
the next start completes:

1. every old file is streamed into ``ROOT.migrating`` as one Delta commit, and the
   row count is checked (a crash here leaves ``ROOT`` untouched; the half-built
   staging table is deleted and rebuilt next time);
2. ``ROOT`` is renamed ``ROOT.pre-delta`` (kept: nothing is deleted);
3. ``ROOT.migrating`` is renamed ``ROOT`` (a crash between 2 and 3 is finished by
   the next start: ``ROOT`` is missing and the staging table is complete, since
   step 2 only runs after step 1 succeeded).

Callers hold the table's opening lock, so two processes never migrate at once.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pilotdeck.adapters.lake.delta_log import PARTITION_BY, LogTable, owner_only, with_date

log = logging.getLogger("pilotdeck.lake.log")
_DATE_RE = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")
_PILOT_DIR_RE = re.compile(r"^pilot=([a-z0-9][a-z0-9-]{0,62})$")


@dataclass(frozen=True)
class Migrated:
    table: str
    files: int
    rows: int
    legacy_dir: Path | None
    unreadable: int = 0  # damaged old files: left in legacy_dir, not converted


def legacy_files(root: Path) -> list[tuple[str, str, Path]]:
    """(pilot, date, file) of every visible Parquet file in the old layout."""
    out: list[tuple[str, str, Path]] = []
    if not root.is_dir():
        return out
    for pdir in sorted(root.iterdir()):
        pm = _PILOT_DIR_RE.match(pdir.name)
        if not pm or not pdir.is_dir():
            continue
        for ddir in sorted(pdir.iterdir()):
            dm = _DATE_RE.match(ddir.name)
            if not dm or not ddir.is_dir():
                continue
            out += [(pm.group(1), dm.group(1), f) for f in sorted(ddir.glob("*.parquet"))
                    if not f.name.startswith(".")]  # hidden: a write that never finished
    return out


def staging(root: Path) -> Path:
    return root.with_name(f"{root.name}.migrating")


def legacy(root: Path) -> Path:
    return root.with_name(f"{root.name}.pre-delta")


def pending(table: LogTable) -> bool:
    """Whether the log at ``table.root`` is (partly) in the old layout."""
    root = table.root
    if not root.exists():
        return (staging(root) / "_delta_log").is_dir()
    return not table.exists() and bool(legacy_files(root))


def migrate(table: LogTable) -> Migrated | None:
    """Convert the old layout at ``table.root``, or finish a conversion a crash
    interrupted; ``None`` when there is nothing to convert."""
    from deltalake import DeltaTable, write_deltalake

    root, stage = table.root, staging(table.root)
    if not root.exists() and (stage / "_delta_log").is_dir():  # crashed after step 2
        stage.rename(root)
        return Migrated(table.kind, 0, 0, legacy(root) if legacy(root).exists() else None)
    if table.exists():
        return None
    files = legacy_files(root)
    if not files:
        return None
    shutil.rmtree(stage, ignore_errors=True)  # a half-built table from an earlier crash
    schema = with_date(table.schema)
    counted = [0]
    unreadable = []

    def batches() -> Iterator[pa.RecordBatch]:
        for pilot, day, path in files:
            try:
                old = pq.read_table(path)
            except (pa.ArrowInvalid, OSError):
                # A damaged file never was readable through the log either; it stays
                # with the old files rather than blocking the conversion.
                log.warning("the old %s log file %s is not readable Parquet; left in "
                            "place, not converted", table.kind, path.name)
                unreadable.append(path)
                continue
            cols = [old[f.name].cast(f.type) if f.name in old.column_names
                    else pa.nulls(old.num_rows, f.type) for f in table.schema]
            t = pa.Table.from_arrays(cols, schema=table.schema)
            # The directory names the partition; a row claiming another pilot would
            # move between partitions, so the directory wins (as the old reader did).
            t = t.set_column(t.schema.get_field_index("pilot"), "pilot",
                             pa.array([pilot] * t.num_rows, pa.string()))
            t = t.append_column("date", pa.array([day] * t.num_rows, pa.string()))
            counted[0] += t.num_rows
            yield from t.to_batches()

    with owner_only():
        stage.mkdir(mode=0o700)
        write_deltalake(str(stage), pa.RecordBatchReader.from_batches(schema, batches()),
                        mode="append", partition_by=PARTITION_BY, name=table.kind,
                        configuration={"delta.checkpointInterval": "100"})
    got = DeltaTable(str(stage)).count()
    if got != counted[0]:  # never swap in a table that lost rows
        raise OSError(f"migration of the {table.kind} log wrote {got} of {counted[0]} rows")
    target = legacy(root)
    n = 1
    while target.exists():
        target = root.with_name(f"{root.name}.pre-delta.{n}")
        n += 1
    root.rename(target)
    stage.rename(root)
    return Migrated(table.kind, len(files) - len(unreadable), counted[0], target,
                    len(unreadable))
