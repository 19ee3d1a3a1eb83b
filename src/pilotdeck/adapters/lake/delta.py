"""Versioned tables of the catalogue, as Delta Lake tables (delta-rs, no JVM).

A dataset lives at ``LAKE/datasets/NAME`` by default, or at an object-store URI
(``s3://``, ``gs://``, ``abfss://``...: delta-rs reads its credentials from the
usual environment variables). Every write is one Delta commit, so a version is
a Delta version: time travel, history and concurrent appends come from the
Delta log rather than from code of ours.

Readers get an Arrow dataset of the exact files of a version (DuckDB scans it;
its own delta extension would have to be downloaded) and the list of those
files (what Spark reads without the Delta jars, which would come from Maven):
both see the same rows as delta-rs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilotdeck.domain.datasets import check_name
from pilotdeck.domain.errors import Conflict, FieldError, NotFound, ValidationFailed

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as pads
    from deltalake import DeltaTable

REMOTE_SCHEMES = ("s3://", "s3a://", "gs://", "gcs://", "abfss://", "abfs://", "az://")

@dataclass(frozen=True)
class TableVersion:
    """One commit of a table: its version, when, what wrote it and the rows it added."""

    version: int
    timestamp: datetime | None
    operation: str
    rows_added: int | None
    files_added: int | None

@dataclass(frozen=True)
class TableSnapshot:
    """A version of a table, ready to read."""

    uri: str
    version: int
    dataset: pads.Dataset
    files: list[str]  # the Parquet files of the version (absolute URIs)

    @property
    def schema(self) -> pa.Schema:
        return self.dataset.schema

class DeltaTables:
    """The catalogue's tables under ``root`` (``LAKE/datasets``) or at remote URIs."""

    def __init__(self, root: Path, system: tuple[Path, ...] = ()) -> None:
        self.root = root
        # pilotdeck's own tables elsewhere in the lake (the prediction and feedback
        # logs), catalogued as system datasets.
        self.system = tuple(p.resolve() for p in system)

    def default_uri(self, name: str) -> str:
        check_name(name)
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root.resolve()):  # cannot happen with the pattern
            raise ValidationFailed("invalid path", [FieldError("name", "outside the lake")])
        return str(path)

    def check_uri(self, uri: str, field: str = "uri") -> str:
        """A remote URI of a supported scheme, or a path inside the lake's datasets."""
        if uri.startswith(REMOTE_SCHEMES):
            if any(c in uri for c in "\x00\r\n") or len(uri) > 2000:
                raise ValidationFailed("invalid dataset URI", [FieldError(field, "malformed")])
            return uri
        path = Path(uri.removeprefix("file://")).resolve()
        if path in self.system:
            return str(path)
        if not path.is_relative_to(self.root.resolve()):
            raise ValidationFailed("invalid dataset URI", [FieldError(
                field, "a local table must live under the lake's datasets/ directory; "
                       "elsewhere use " + ", ".join(s for s in REMOTE_SCHEMES))])
        return str(path)

    def display(self, uri: str) -> str:
        """Where a table lives, as users see it: a remote URI as is, a local one
        relative to the lake (``lake:datasets/NAME``), so a catalogue read never
        shows the server's directory layout."""
        if uri.startswith(REMOTE_SCHEMES):
            return uri
        lake = self.root.resolve().parent
        path = Path(uri).resolve()
        return "lake:" + (path.relative_to(lake).as_posix() if path.is_relative_to(lake)
                          else path.name)

    def _table(self, uri: str, version: int | None = None) -> DeltaTable:
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError, TableNotFoundError

        try:
            dt = DeltaTable(self.check_uri(uri))
        except TableNotFoundError:
            raise NotFound("table", uri.rstrip("/").rsplit("/", 1)[-1]) from None
        except (DeltaError, OSError) as exc:
            raise ValidationFailed("cannot read the table", [FieldError(
                "uri", f"Delta: {str(exc).splitlines()[0][:200]}")]) from None
        if version is not None:
            if version > dt.version():
                raise NotFound("version", version)
            try:
                dt.load_as_version(version)
            except (DeltaError, OSError) as exc:
                raise ValidationFailed("cannot read the version", [FieldError(
                    "version", f"Delta: {str(exc).splitlines()[0][:200]}")]) from None
        return dt

    def exists(self, uri: str) -> bool:
        from deltalake import DeltaTable

        return bool(DeltaTable.is_deltatable(self.check_uri(uri)))

    def write(self, uri: str, data: Any, *, create: bool, merge_schema: bool = False,
              operation: str = "append") -> int:
        """Append ``data`` (an Arrow table or record-batch reader) as a new version.

        ``create``: the table must not exist yet (a new dataset). A schema that
        differs from the table's is refused with the differing columns named,
        unless ``merge_schema`` adds the new columns."""
        import pyarrow as pa
        from deltalake import CommitProperties, DeltaTable, write_deltalake
        from deltalake.exceptions import DeltaError, SchemaMismatchError

        uri = self.check_uri(uri)
        exists = bool(DeltaTable.is_deltatable(uri))
        if create and exists:
            raise Conflict(f"a table already exists at {uri}")
        if not create and not exists:
            raise NotFound("table", uri.rstrip("/").rsplit("/", 1)[-1])
        if not uri.startswith(REMOTE_SCHEMES):
            # Datasets may hold personal data: owner-only directories.
            os.makedirs(uri, mode=0o700, exist_ok=True)
        if exists and not merge_schema:
            _check_schema(pa.schema(DeltaTable(uri).schema().to_arrow()), pa.schema(data.schema))
        try:
            write_deltalake(uri, data, mode="append",
                            schema_mode="merge" if merge_schema else None,
                            commit_properties=CommitProperties(
                                custom_metadata={"pilotdeck.operation": operation}))
        except SchemaMismatchError as exc:
            raise ValidationFailed("the rows do not match the table", [FieldError(
                "schema", str(exc).splitlines()[0][:300])]) from None
        except (DeltaError, OSError) as exc:
            raise ValidationFailed("cannot write the table", [FieldError(
                "uri", f"Delta: {str(exc).splitlines()[0][:300]}")]) from None
        return int(DeltaTable(uri).version())

    def version(self, uri: str) -> int:
        return int(self._table(uri).version())

    def snapshot(self, uri: str, version: int | None = None) -> TableSnapshot:
        dt = self._table(uri, version)
        return TableSnapshot(uri=uri, version=int(dt.version()),
                             dataset=dt.to_pyarrow_dataset(), files=list(dt.file_uris()))

    def rows(self, uri: str, version: int | None = None) -> int:
        """Rows in a version, from the log's per-file statistics (no data read)."""
        return self.size(uri, version)[1]

    def size(self, uri: str, version: int | None = None) -> tuple[int, int]:
        """A version (default: the latest) and its rows, from one read of the log."""
        dt = self._table(uri, version)
        return int(dt.version()), self._rows(dt)

    @staticmethod
    def _rows(dt: DeltaTable) -> int:
        adds = dt.get_add_actions(flatten=True)
        import pyarrow as pa

        table = pa.table(adds)
        if "num_records" not in table.column_names:
            return int(dt.to_pyarrow_dataset().count_rows())
        import pyarrow.compute as pc

        return int(pc.sum(table["num_records"]).as_py() or 0)

    def history(self, uri: str, limit: int | None = None) -> list[TableVersion]:
        """Newest first."""
        dt = self._table(uri)
        out = []
        for h in dt.history(limit):
            metrics = h.get("operationMetrics") or {}
            ts = h.get("timestamp")
            op = h.get("pilotdeck.operation") or h.get("operation") or "?"
            out.append(TableVersion(
                version=int(h.get("version", 0)),
                timestamp=datetime.fromtimestamp(ts / 1000, UTC) if ts else None,
                operation=str(op), rows_added=_int(metrics.get("num_added_rows")),
                files_added=_int(metrics.get("num_added_files"))))
        return out

def _int(v: Any) -> int | None:
    try:
        return None if v is None else int(v)
    except (TypeError, ValueError):
        return None

def _check_schema(table: pa.Schema, new: pa.Schema) -> None:
    """Name every column whose presence or type differs (delta-rs's own message is
    one long line about Arrow internals)."""
    import pyarrow as pa

    def norm(t: pa.DataType) -> str:
        # Delta stores strings as large/view strings and timestamps in microseconds.
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return "string"
        if pa.types.is_timestamp(t):
            return "timestamp"
        if pa.types.is_integer(t):  # narrower integers and floats widen on write
            return "integer"
        if pa.types.is_floating(t):
            return "float"
        if pa.types.is_dictionary(t):
            return norm(t.value_type)
        return str(t)

    have = {f.name: norm(f.type) for f in table}
    got = {f.name: norm(f.type) for f in new}
    errors = [FieldError(f"columns.{n}", "is missing from the new rows") for n in have
              if n not in got]
    errors += [FieldError(f"columns.{n}", "is not a column of the table (use --merge-schema "
                                          "to add it)") for n in got if n not in have]
    errors += [FieldError(f"columns.{n}", f"is {got[n]} but the table has {have[n]}")
               for n in have if n in got and have[n] != got[n]]
    if errors:
        raise ValidationFailed("the rows do not match the table", errors)
