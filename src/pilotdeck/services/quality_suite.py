"""Expectation suites for datasets: pandera schemas, generated from a baseline version.

The suite *is* a pandera ``DataFrameSchema`` (pandas API) serialised with
``to_yaml``: the file a data owner edits. Two checks pandera lacks are
registered with ``pandera.extensions.register_check_method`` so they survive a
YAML round trip: ``null_rate_at_most(column, max_rate)`` and
``row_count_between(min_rows, max_rows)``. Both are table-level checks on
purpose: pandera drops nulls before a column's checks run, so a column-level
null-rate check would always see a rate of 0.

Statistics come from ``pyarrow.compute`` (one vectorised pass per column, no
row loops): on 1M x 20 columns generation takes well under a second
(``make bench-quality`` measures it). pandera (and the pandas it needs) is
imported only here, lazily, so the CLI does not pay for it at start-up.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pilotdeck.domain.errors import FieldError, ValidationFailed, describe

if TYPE_CHECKING:
    import pyarrow as pa

# What a hand-edited suite may say (anything else is a typo pandera would ignore).
TOP_KEYS = {"schema_type", "api", "columns", "checks", "index", "dtype", "coerce", "strict",
            "name", "ordered", "unique", "report_duplicates", "unique_column_names",
            "add_missing_columns", "title", "description", "metadata", "version"}
COLUMN_KEYS = {"dtype", "nullable", "unique", "coerce", "required", "regex", "checks",
               "title", "description", "default", "name", "metadata", "report_duplicates",
               "drop_invalid_rows", "parsers"}


@dataclass(frozen=True)
class BaselineOptions:
    """How tolerant a generated suite is of the next version."""

    null_tolerance: float = 0.05  # added to the observed null rate (absolute)
    # Widens [min, max] by this share of (max - min) on each side: the extremes of a
    # continuous column move from version to version, so 0 would fail most of them.
    range_margin: float = 0.1
    max_categories: int = 20  # a string column with at most this many values is categorical
    min_rows_factor: float = 0.5  # row-count bounds relative to the baseline's rows
    max_rows_factor: float = 2.0

    def check(self) -> None:
        errors = []
        for name, value, lo, hi in (("nullTolerance", self.null_tolerance, 0.0, 1.0),
                                    ("rangeMargin", self.range_margin, 0.0, 100.0),
                                    ("minRowsFactor", self.min_rows_factor, 0.0, 1.0),
                                    ("maxRowsFactor", self.max_rows_factor, 1.0, 1e6)):
            if not (math.isfinite(value) and lo <= value <= hi):
                errors.append(FieldError(name, f"must be a number in [{lo:g}, {hi:g}]"))
        if not 0 <= self.max_categories <= 1000:
            errors.append(FieldError("maxCategories", "must be 0..1000"))
        if errors:
            raise ValidationFailed("invalid baseline options", errors)


@dataclass(frozen=True)
class Suite:
    """A parsed suite: the pandera schema and the text it came from."""

    text: str
    schema: Any  # pandera.api.pandas.container.DataFrameSchema
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.text.encode()).hexdigest()


def pandera() -> Any:
    """``pandera.pandas`` with pilotdeck's checks registered (once per process)."""
    with warnings.catch_warnings():  # pandera probes pyspark, which warns about pandas 3
        warnings.simplefilter("ignore")
        import pandas as pd
        import pandera.pandas as pdr
        from pandera import extensions

        if not hasattr(pdr.Check, "null_rate_at_most"):
            def null_rate_at_most(df: pd.DataFrame, *, column: str, max_rate: float) -> bool:
                """At most ``max_rate`` of the column's values are null (NaN counts)."""
                return column in df and float(df[column].isna().mean()) <= max_rate

            def row_count_between(df: pd.DataFrame, *, min_rows: int, max_rows: int) -> bool:
                return bool(min_rows <= len(df) <= max_rows)

            extensions.register_check_method(null_rate_at_most,
                                             statistics=["column", "max_rate"],
                                             supported_types=pd.DataFrame)
            extensions.register_check_method(row_count_between,
                                             statistics=["min_rows", "max_rows"],
                                             supported_types=pd.DataFrame)
    return pdr


# -- generation ------------------------------------------------------------------
def pandera_dtype(t: pa.DataType) -> str:
    """The pandera (pandas) dtype name for an Arrow type; nullable pandas dtypes so
    an integer column with nulls stays an integer column."""
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_unsigned_integer(t):
        return f"UInt{t.bit_width}"
    if pa.types.is_integer(t):
        return f"Int{t.bit_width}"
    if pa.types.is_floating(t):
        return f"float{max(t.bit_width, 32)}"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "str"
    if pa.types.is_timestamp(t):
        return f"datetime64[{t.unit}, {t.tz}]" if t.tz else f"datetime64[{t.unit}]"
    return "object"  # anything else: the type is not checked


def null_mask(col: Any) -> Any:
    """Nulls, and NaN in float columns (pandas, and so pandera, treat NaN as null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = pc.is_null(col)
    if pa.types.is_floating(col.type):
        mask = pc.or_(mask, pc.fill_null(pc.is_nan(col), False))
    return mask


def generate(table: pa.Table, dataset: str, version: int, keys: list[str],
             options: BaselineOptions | None = None) -> str:
    """The YAML suite profiled from ``table`` (one version of ``dataset``)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import yaml

    o = options or BaselineOptions()
    o.check()
    rows = table.num_rows
    errors = [FieldError("key", f"no column {k!r} in version {version}")
              for k in keys if k not in table.column_names]
    if not rows:
        errors.append(FieldError("version", f"version {version} has no rows to profile"))
    if errors:
        raise ValidationFailed("cannot build a quality baseline", errors)
    pdr = pandera()
    columns, table_checks = {}, []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        nulls = int(pc.sum(null_mask(col)).as_py() or 0)
        checks = []
        if _numeric(col.type) and name not in keys:  # an id has no range: new ids come
            floating = pa.types.is_floating(col.type)
            infinite = int(pc.sum(pc.is_inf(col)).as_py() or 0) if floating else 0
            mm = pc.min_max(col)
            lo, hi = mm["min"].as_py(), mm["max"].as_py()
            # A baseline with +-inf has no finite range: no range check then.
            if lo is not None and lo == lo and not infinite:  # lo != lo: all NaN
                pad = (hi - lo) * o.range_margin
                if pa.types.is_integer(col.type):
                    lo, hi = math.floor(lo - pad), math.ceil(hi + pad)
                else:
                    lo, hi = float(lo - pad), float(hi + pad)
                checks.append(pdr.Check.in_range(lo, hi))
        elif _string(col.type) and o.max_categories:
            distinct = pc.unique(pc.drop_null(col))
            if len(distinct) <= o.max_categories and len(distinct) * 2 <= rows - nulls:
                checks.append(pdr.Check.isin(sorted(distinct.to_pylist())))
        unique = len(keys) == 1 and keys[0] == name
        columns[name] = pdr.Column(pandera_dtype(col.type), nullable=nulls > 0, unique=unique,
                                   checks=checks or None)
        if nulls:
            rate = min(1.0, round(nulls / rows + o.null_tolerance, 6))
            table_checks.append(pdr.Check.null_rate_at_most(column=name, max_rate=rate))
    _keys_unique(table, keys, version)
    table_checks.append(pdr.Check.row_count_between(
        min_rows=math.floor(rows * o.min_rows_factor),
        max_rows=math.ceil(rows * o.max_rows_factor)))
    schema = pdr.DataFrameSchema(columns, checks=table_checks, name=dataset,
                                 unique=keys if len(keys) > 1 else None,
                                 description=f"quality baseline of {dataset}, generated from "
                                             f"version {version} ({rows} rows)")
    data = yaml.safe_load(schema.to_yaml())
    data["metadata"] = {"dataset": dataset, "baselineVersion": version, "baselineRows": rows}
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _numeric(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_integer(t) or pa.types.is_floating(t))


def _string(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(t) or pa.types.is_large_string(t)
                or pa.types.is_string_view(t))


def _keys_unique(table: pa.Table, keys: list[str], version: int) -> None:
    """A key must be unique in the baseline itself, or the suite fails its own data."""
    if not keys:
        return
    dupes = table.select(keys).group_by(keys).aggregate([([], "count_all")])
    n = sum(c for c in dupes.column("count_all").to_pylist() if c > 1)
    if n:
        raise ValidationFailed("cannot build a quality baseline", [FieldError(
            "key", f"{', '.join(keys)} is not unique in version {version}: "
                   f"{n} rows share a key value")])


# -- reading a stored (maybe hand-edited) suite ----------------------------------
def parse(text: str, source: str = "suite.yaml") -> Suite:
    """A suite from its YAML; a problem is a ValidationFailed naming it (and its line)."""
    import yaml

    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise _invalid(source, "", describe(exc).replace("\n", " ")) from None
    except RecursionError:  # [[[[... or {a: {a: ... thousands deep
        raise _invalid(source, "", "nested too deeply") from None
    if node is None or not isinstance(node, yaml.MappingNode):
        raise _invalid(source, "", "a suite is a YAML mapping with 'columns' and 'checks'")
    _unknown_keys(node, source)
    try:
        schema = _schema(text)
    except Exception as exc:  # noqa: BLE001 - pandera raises many types for a bad file
        raise _locate(text, source, exc) from None
    _statistics(schema, source)
    return Suite(text, schema, dict(schema.metadata or {}))


NEEDS = {"in_range": ("min_value", "max_value"), "greater_than": ("min_value",),
         "greater_than_or_equal_to": ("min_value",), "less_than": ("max_value",),
         "less_than_or_equal_to": ("max_value",), "row_count_between": ("min_rows", "max_rows"),
         "null_rate_at_most": ("column", "max_rate")}
NUMBERS = {"min_value", "max_value", "min_rows", "max_rows", "max_rate"}


def _schema(text: str) -> Any:
    """pandera's schema from YAML *text* (``DataFrameSchema.from_yaml`` would first try
    the text as a file name on the server and read that file instead)."""
    import yaml
    from pandera.io.pandas_io import deserialize_schema

    pandera()
    return deserialize_schema(yaml.safe_load(text))


def _statistics(schema: Any, source: str) -> None:
    """The statistics the runner relies on are there and are finite numbers (pandera
    accepts a registered check with a statistic missing)."""
    where = [(f"columns.{n}.{c.name}", c) for n, col in schema.columns.items()
             for c in col.checks] + [(f"checks[{i}]", c) for i, c in enumerate(schema.checks)]
    errors = []
    for field_, check in where:
        stats = check.statistics or {}
        for stat in NEEDS.get(check.name, ()):
            v = stats.get(stat)
            if stat in NUMBERS and not (isinstance(v, int | float) and not isinstance(v, bool)
                                        and math.isfinite(v)):
                errors.append(FieldError(field_, f"{stat} must be a finite number", source))
            elif stat == "column" and not isinstance(v, str):
                errors.append(FieldError(field_, "column must name a column", source))
        allowed = stats.get("allowed_values", []) if check.name == "isin" else []
        if not isinstance(allowed, list | tuple | set | frozenset):
            errors.append(FieldError(field_, "allowed_values must be a list", source))
    if errors:
        raise ValidationFailed("invalid quality suite", errors)


def _invalid(source: str, where: str, problem: str) -> ValidationFailed:
    return ValidationFailed("invalid quality suite", [FieldError(where, problem, source)])


def _line(node: Any) -> str:
    return f"line {node.start_mark.line + 1}"


def _unknown_keys(root: Any, source: str) -> None:
    """Reject keys pandera would silently ignore (a misspelt check drops the check)."""
    import yaml

    pdr = pandera()
    known_checks = set(dir(pdr.Check))
    errors = []
    for key, value in root.value:
        if not _text_key(key):
            errors.append(FieldError("", f"a key must be plain text ({_line(key)})", source))
            continue
        if key.value not in TOP_KEYS:
            errors.append(FieldError(key.value[:100], f"unknown suite key ({_line(key)})", source))
        if key.value == "columns" and not isinstance(value, yaml.MappingNode):
            errors.append(FieldError("columns", f"a mapping of column name to its settings "
                                                f"and checks ({_line(value)})", source))
        if key.value == "columns" and isinstance(value, yaml.MappingNode):
            for col, spec in value.value:
                if not _text_key(col):  # a column named 1 would pass here, fail every check
                    errors.append(FieldError("columns", f"a column name must be text; quote "
                                                        f"it ({_line(col)})", source))
                    continue
                if not isinstance(spec, yaml.MappingNode):
                    if not (isinstance(spec, yaml.ScalarNode) and spec.value in ("", "null")):
                        errors.append(FieldError(f"columns.{col.value}", "a mapping of "
                                                 f"settings and checks ({_line(spec)})", source))
                    continue
                for k, _ in spec.value:
                    if not _text_key(k):
                        errors.append(FieldError(f"columns.{col.value}", f"a key must be "
                                                 f"plain text ({_line(k)})", source))
                    elif k.value not in COLUMN_KEYS and k.value not in known_checks:
                        errors.append(FieldError(f"columns.{col.value}.{k.value}",
                                                 f"not a known check or column setting "
                                                 f"({_line(k)})", source))
    if errors:
        raise ValidationFailed("invalid quality suite", errors)


def _text_key(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str"


def _locate(text: str, source: str, exc: Exception) -> ValidationFailed:
    """Name the column whose definition pandera refused, by loading them one by one."""
    import yaml

    data = yaml.safe_load(text)
    node = yaml.compose(text)
    assert node is not None  # parse() read it as a mapping already
    lines = {k.value: _line(k) for key, v in node.value if key.value == "columns"
             and isinstance(v, yaml.MappingNode) for k, _ in v.value}
    columns = data.get("columns") if isinstance(data, dict) else None
    for col, spec in columns.items() if isinstance(columns, dict) else ():
        one = {"schema_type": "dataframe", "api": "pandas", "columns": {col: spec}}
        try:
            _schema(yaml.safe_dump(one))
        except Exception as col_exc:  # noqa: BLE001
            return _invalid(source, f"columns.{col}",
                            f"{describe(col_exc)} ({lines.get(col, 'line ?')})")
    return _invalid(source, "checks" if "checks" in str(data) else "", describe(exc))
