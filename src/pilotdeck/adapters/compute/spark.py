"""Batch scoring on Apache Spark (``local[*]`` in tests, any ``spark://`` master).

The same model and the same predict function as the local engine run inside
``mapInPandas`` on each partition; the model directory is shipped to the
executors with ``SparkContext.addFile``. Executors need pilotdeck installed
(in local mode they use this interpreter).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from pilotdeck.adapters.compute.local import (
    check_columns,
    load_predict,
    open_dataset,
    profile_batches,
)
from pilotdeck.domain.datasets import PinnedTable
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.ports.compute import ScoreJob, ScoreResult
from pilotdeck.domain.profile import Partial, merge_all


def _spark_type(sample: Any) -> Any:
    from pyspark.sql import types as T

    arr = np.asarray(sample)
    if arr.ndim > 1:
        return T.ArrayType(T.DoubleType())
    if arr.dtype.kind in "iu":
        return T.LongType()
    if arr.dtype.kind == "b":
        return T.BooleanType()
    if arr.dtype.kind == "f":
        return T.DoubleType()
    return T.StringType()


def spark_partials(spark: Any, source: str | PinnedTable, kinds: dict[str, str], limit: int,
                   seed: int) -> list[Partial]:
    """One partial per Spark partition, computed on the executors."""
    from pyspark import TaskContext

    df = _read(spark, source).select(*[f"`{c}`" for c in kinds])

    def run(batches: Iterable[pa.RecordBatch]) -> Any:
        ctx = TaskContext.get()
        rng = np.random.default_rng(seed + (ctx.partitionId() if ctx else 0))
        part = profile_batches(batches, kinds, limit, rng)
        stats, sample = part.dumps()
        yield pa.RecordBatch.from_pydict({"stats": [stats], "sample": [sample],
                                          "rows": [part.rows]})

    out = df.mapInArrow(run, "stats string, sample binary, rows long").collect()
    return [Partial.loads(r["stats"], bytes(r["sample"]), r["rows"]) for r in out]


def _read(spark: Any, source: str | Path | PinnedTable) -> Any:
    """A Parquet path, or a catalogued Delta version through its exact files (the
    Delta jars would have to come from Maven; the files of a version are what
    they would read)."""
    if isinstance(source, PinnedTable):
        return spark.read.parquet(*source.files)
    return spark.read.parquet(str(source))


class SparkEngine:
    name = "spark"

    def __init__(self, master: str = "local[*]") -> None:
        self.master = master

    def session(self) -> Any:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        from pyspark.sql import SparkSession

        return (SparkSession.builder.master(self.master).appName("pilotdeck-batch")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate())

    def score(self, job: ScoreJob, progress: Callable[[int, int], None] | None = None
              ) -> ScoreResult:
        from pyspark import SparkFiles
        from pyspark.sql import types as T

        start = time.perf_counter()
        dataset = open_dataset(job.input)  # same checks and errors as the local engine
        check_columns(dataset.schema, job.columns, str(job.input))
        if dataset.count_rows() == 0:  # the same error as the local engine, before Spark
            raise ValidationFailed("cannot score", [FieldError("--input", "has no rows",
                                                               str(job.input))])
        head = dataset.head(5).to_pandas()
        predict = load_predict(job.model_path)
        sample = predict(head[job.columns] if job.columns else head)
        spark = self.session()
        spark.sparkContext.addFile(str(job.model_path), recursive=True)
        df = _read(spark, job.input)
        # A new field list: StructType.add mutates the list it was built from.
        schema = T.StructType([*df.schema.fields,
                               T.StructField(job.prediction_column, _spark_type(sample)),
                               T.StructField("model_version", T.IntegerType())])
        model_dir, columns = job.model_path.name, job.columns
        pred_col, version = job.prediction_column, job.model_version

        def score_partition(frames: Iterator[Any]) -> Iterator[Any]:
            fn = load_predict(Path(SparkFiles.get(model_dir)))
            for pdf in frames:
                out = fn(pdf[columns] if columns else pdf)
                out = out.tolist() if getattr(out, "ndim", 1) > 1 else out
                pdf = pdf.assign(**{pred_col: list(out) if isinstance(out, list) else out})
                pdf["model_version"] = version
                yield pdf

        df.mapInPandas(score_partition, schema=schema).write.mode("overwrite").parquet(
            str(job.output))
        rows = spark.read.parquet(str(job.output)).count()
        if progress:
            progress(rows, rows)
        return ScoreResult(rows, job.output, time.perf_counter() - start)

    def summarise(self, source: str | PinnedTable, dataset: Any, kinds: dict[str, str], limit: int,
                  seed: int = 0, *, chunk_rows: int = 200_000,
                  progress: Callable[[int, int], None] | None = None) -> Partial:
        """One partial profile per Spark partition, built on the executors with the
        local engine's code and merged here: the same profile as the local engine."""
        if isinstance(source, str) and source.startswith("duckdb:"):
            raise ValidationFailed("invalid engine", [FieldError(
                "--engine", "Spark reads Parquet; use the local engine for DuckDB tables")])
        numeric = [c for c, k in kinds.items() if k == "num"]
        whole = merge_all(spark_partials(self.session(), source, kinds, limit, seed),
                          numeric, limit, np.random.default_rng(seed))
        if progress:
            progress(whole.rows, whole.rows)
        return whole
