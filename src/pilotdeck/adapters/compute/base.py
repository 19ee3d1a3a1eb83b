"""The batch-scoring contract every engine implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class ScoreJob:
    model_path: Path  # a local MLflow model directory
    columns: list[str] | None  # signature input columns, in order (None: use all)
    input: Path  # Parquet file or (hive-partitioned) directory
    output: Path  # Parquet file (local) or directory (Spark)
    model_version: int
    prediction_column: str = "prediction"
    chunk_rows: int = 50_000


@dataclass(frozen=True)
class ScoreResult:
    rows: int
    output: Path
    seconds: float


class BatchEngine(Protocol):
    name: str

    def score(self, job: ScoreJob, progress: Callable[[int, int], None] | None = None
              ) -> ScoreResult: ...
