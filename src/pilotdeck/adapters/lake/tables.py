"""Open the tables monitoring reads: Parquet files or directories (streamed by
column group), or a DuckDB table named ``duckdb:PATH?table=NAME``
(``duckdb:///abs/path.duckdb?table=events``; read into memory once)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

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


def open_table(source: Path | str, field: str = "--current") -> ds.Dataset:
    spec = str(source)
    if spec.startswith(PREFIX):
        return _duckdb(spec, field)
    path = Path(source)
    if not path.exists():
        raise ValidationFailed("cannot read the table", [FieldError(
            field, "no such file or directory", str(path))])
    try:
        return ds.dataset(str(path), format="parquet", partitioning="hive")
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValidationFailed("cannot read the table", [FieldError(
            field, "not readable as Parquet: " + (
                "not a Parquet file, or a damaged one" if isinstance(exc, pa.ArrowInvalid)
                else unreadable(exc, path)), str(path))]) from None
