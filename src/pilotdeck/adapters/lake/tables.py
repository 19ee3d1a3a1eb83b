"""Open the tables jobs read: Parquet files or directories (streamed by column
group), CSV files, Delta tables (their latest version), a DuckDB table named
``duckdb:PATH?table=NAME`` (``duckdb:///abs/path.duckdb?table=events``; read into
memory once), or a catalogued dataset version already authorised
(:class:`~pilotdeck.domain.datasets.PinnedTable`)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from pilotdeck.domain.datasets import PinnedTable
from pilotdeck.domain.errors import FieldError, ValidationFailed, unreadable

PREFIX = "duckdb:"


def _duckdb(spec: str, field: str) -> ds.Dataset:
    import duckdb

    rest = spec[len(PREFIX):]
    while rest.startswith("//"):  # duckdb:///abs -> /abs (a Path keeps only one slash)
        rest = rest[1:]
    path, _, query = rest.partition("?")
    table = query.removeprefix("table=") if query.startswith("table=") else ""
    if not table or not table.replace("_", "").isalnum():
        raise ValidationFailed("cannot read the table", [FieldError(
            field, "expected duckdb:PATH?table=NAME (letters, digits, _)", spec)])
    if not Path(path).is_file():
        raise ValidationFailed("cannot read the table", [FieldError(
            field, "no such DuckDB database file", path)])
    try:
        with duckdb.connect(path, read_only=True) as con:
            return ds.dataset(con.sql(f'SELECT * FROM "{table}"').to_arrow_table())
    except duckdb.Error as exc:
        raise ValidationFailed("cannot read the table", [FieldError(
            field, f"DuckDB: {str(exc).splitlines()[0]}", spec)]) from None


def pinned(table: PinnedTable) -> ds.Dataset:
    """The rows of one Delta version, through delta-rs (partition columns included:
    the logs are partitioned by pilot and date)."""
    from deltalake import DeltaTable

    return DeltaTable(table.uri, version=table.version).to_pyarrow_dataset()


def open_table(source: Path | str | PinnedTable, field: str = "--current") -> ds.Dataset:
    if isinstance(source, PinnedTable):
        return pinned(source)
    spec = str(source)
    if spec.startswith(PREFIX):
        return _duckdb(spec, field)
    path = Path(source)
    if not path.exists():
        raise ValidationFailed("cannot read the table", [FieldError(
            field, "no such file or directory", str(path))])
    if (path / "_delta_log").is_dir():
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError

        try:
            return DeltaTable(str(path)).to_pyarrow_dataset()
        except (DeltaError, OSError) as exc:
            raise ValidationFailed("cannot read the table", [FieldError(
                field, f"not readable as a Delta table: {str(exc).splitlines()[0][:200]}",
                str(path))]) from None
    try:
        if path.suffix.lower() in (".csv", ".tsv"):
            from pyarrow import csv

            fmt = ds.CsvFileFormat(parse_options=csv.ParseOptions(
                delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
            dataset = ds.dataset(str(path), format=fmt)
            dataset.head(1)  # a malformed header fails here, not mid-job
        else:
            dataset = ds.dataset(str(path), format="parquet", partitioning="hive")
        dataset.schema.names  # noqa: B018 - column names that are not UTF-8 fail here
        return dataset
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        kind = "CSV" if path.suffix.lower() in (".csv", ".tsv") else "Parquet"
        raise ValidationFailed("cannot read the table", [FieldError(
            field, f"not readable as {kind}: " + (
                f"not a {kind} file, or a damaged one" if isinstance(exc, pa.ArrowInvalid)
                else unreadable(exc, path)), str(path))]) from None
