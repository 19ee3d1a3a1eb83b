"""The compute-engine port: batch work (scoring, profiling) that may outgrow one
machine runs behind it; ``local`` in process, ``spark`` on a cluster."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pilotdeck.domain.profile import Partial


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


class ComputeEngine(Protocol):
    name: str

    def score(self, job: ScoreJob, progress: Callable[[int, int], None] | None = None
              ) -> ScoreResult:
        """Score a table with a model, writing the output whole or not at all."""
        ...

    def summarise(self, source: str, dataset: Any, kinds: dict[str, str], limit: int,
                  seed: int = 0, *, chunk_rows: int = 200_000,
                  progress: Callable[[int, int], None] | None = None) -> Partial:
        """The profile of a whole table (``dataset`` is its Arrow dataset, ``source``
        where it lives), with a uniform sample of at most ``limit`` rows."""
        ...
