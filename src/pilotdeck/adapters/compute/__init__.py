"""Batch compute engines behind one small interface: ``local`` (pyarrow, in
process) is the default; ``spark`` (``local[*]`` or ``spark://host:port``) for
data that outgrows one machine. Chosen by name/URI from the ``engines`` scheme
registry, like Feast's engines; plugins add engines through the
``pilotdeck.compute_engines`` entry-point group."""

from __future__ import annotations

from pilotdeck.adapters.schemes import SchemeRegistry, uri_scheme
from pilotdeck.domain.ports.compute import ComputeEngine, ScoreJob, ScoreResult

__all__ = ["ComputeEngine", "ScoreJob", "ScoreResult", "engines",
           "make_compute_engine"]


def _engine_scheme(name: str) -> str:
    """``local`` → ``local``; ``local[4]`` → ``local[N]`` (Spark's local master,
    not the local engine); ``spark://h:7077`` → ``spark``; ``spark`` → ``spark``."""
    if "://" in name:
        return uri_scheme(name)
    if name.startswith("local[") and name.endswith("]"):
        return "local[N]"
    return name


def _local(name: str, *, spark_master: str) -> ComputeEngine:
    from pilotdeck.adapters.compute.local import LocalEngine

    return LocalEngine()


def _spark(name: str, *, spark_master: str) -> ComputeEngine:
    # pyspark is imported inside the engine, so naming it costs nothing; whether it
    # is installed at all is checked here, before any work starts.
    from importlib.util import find_spec

    from pilotdeck.domain.errors import NotInstalled

    if find_spec("pyspark") is None:
        raise NotInstalled("Spark support (pyspark)", "spark")
    from pilotdeck.adapters.compute.spark import SparkEngine

    return SparkEngine(spark_master if name == "spark" else name)


engines: SchemeRegistry[ComputeEngine] = SchemeRegistry(
    "compute engine", "--engine", group="pilotdeck.compute_engines", scheme_of=_engine_scheme)
engines.register("local", _local)
for _scheme in ("spark", "local[N]"):
    engines.register(_scheme, _spark)


def make_compute_engine(name: str, spark_master: str = "local[*]") -> ComputeEngine:
    """``local`` | ``spark`` (with ``spark_master``) | ``spark://…`` | ``local[N]``."""
    return engines.build(name, spark_master=spark_master)


