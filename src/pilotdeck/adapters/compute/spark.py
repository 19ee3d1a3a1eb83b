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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pilotdeck.adapters.compute.base import ScoreJob, ScoreResult
from pilotdeck.adapters.compute.local import check_columns, load_predict, open_dataset


def _spark_type(sample: Any) -> Any:
    import numpy as np
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
        head = dataset.head(5).to_pandas()
        predict = load_predict(job.model_path)
        sample = predict(head[job.columns] if job.columns else head)
        spark = self.session()
        spark.sparkContext.addFile(str(job.model_path), recursive=True)
        df = spark.read.parquet(str(job.input))
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
