"""Batch compute engines behind one small interface: ``local`` (pyarrow, in
process) is the default; ``spark`` (``local[*]`` or ``spark://host:port``) for
data that outgrows one machine. Chosen by name/URI, like Feast's engines."""

from __future__ import annotations

from pilotdeck.adapters.compute.base import BatchEngine, ScoreJob, ScoreResult
from pilotdeck.domain.errors import FieldError, ValidationFailed

__all__ = ["BatchEngine", "ScoreJob", "ScoreResult", "make_engine"]


def make_engine(name: str, spark_master: str = "local[*]") -> BatchEngine:
    """``local`` | ``spark`` (with ``spark_master``) | ``spark://…`` | ``local[N]``."""
    if name == "local":
        from pilotdeck.adapters.compute.local import LocalEngine

        return LocalEngine()
    if name == "spark" or name.startswith(("spark://", "local[")):
        from pilotdeck.adapters.compute.spark import SparkEngine

        return SparkEngine(spark_master if name == "spark" else name)
    raise ValidationFailed("unknown engine", [FieldError(
        "--engine", f"must be local, spark, spark://HOST:PORT or local[N], got {name!r}")])
