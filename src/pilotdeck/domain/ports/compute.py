"""The compute engine port: heavy batch work (scoring, profiling) behind one small
interface, ``local`` by default and Spark when the data outgrows one machine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pilotdeck.domain.datasets import PinnedTable

if TYPE_CHECKING:
    from pilotdeck.domain.profile import Partial


@dataclass(frozen=True)
class ScoreJob:
    model_path: Path  # a local MLflow model directory
    columns: list[str] | None  # signature input columns, in order (None: use all)
    input: Path | PinnedTable  # Parquet file or (hive-partitioned) directory, or a
    # catalogued dataset version (its exact files)
    output: Path  # Parquet file (local) or directory (Spark)
    model_version: int
    prediction_column: str = "prediction"
    chunk_rows: int = 50_000


@dataclass(frozen=True)
class ScoreResult:
    rows: int
    output: Path
    seconds: float


@runtime_checkable
class ComputeEngine(Protocol):
    """Scores a Parquet table with a model, writing the input plus a prediction
    and a ``model_version`` column; and summarises a table into a profile.

    The contract (``tests/contract/test_compute_engine.py``): every engine gives
    the same predictions; a column the model needs but the input lacks, and an
    input without rows, raise ``ValidationFailed`` before any output appears;
    every engine summarises a table into the same profile.
    """

    name: str

    def score(self, job: ScoreJob, progress: Callable[[int, int], None] | None = None
              ) -> ScoreResult: ...

    def summarise(self, source: str | PinnedTable, dataset: Any, kinds: dict[str, str], limit: int,
                  seed: int = 0, *, chunk_rows: int = 200_000,
                  progress: Callable[[int, int], None] | None = None) -> Partial:
        """The profile of a whole table (``dataset`` is its Arrow dataset, ``source``
        where it lives), with a uniform sample of at most ``limit`` rows."""
        ...
