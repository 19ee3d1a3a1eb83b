"""Load a registered MLflow model, without ``mlflow.pyfunc`` when it is scikit-learn.

``mlflow.pyfunc.load_model`` imports most of MLflow (~0.7-0.9 s) and checks
the model's pip requirements against the environment before it reads a byte
of the model; for a scikit-learn model saved with skops it then just calls
``skops.io.load(file, trusted=<the MLmodel's list>)``. The gateway's start-up
and the batch job pay that on every start, so for that one case we read the
MLmodel and call skops ourselves (the same call, the same trusted list), and
hand back an object with the parts of MLflow's ``PyFuncModel`` that pilotdeck
uses. Everything else (other flavours, pickle, a trusted list naming types
outside scikit-learn/NumPy/SciPy, a model file outside the model directory,
``MLFLOW_ALLOW_PICKLE_DESERIALIZATION`` switched off) goes through MLflow
unchanged, so MLflow's own checks and errors still apply there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The only modules whose types a scikit-learn model may ask skops to trust
# (the same rule save_sklearn applies when it writes the list).
TRUSTED_MODULES = ("sklearn.", "numpy.", "scipy.")


@dataclass(frozen=True)
class ModelMetadata:
    """The part of ``mlflow.models.Model`` callers read: the flavours."""

    flavors: dict[str, Any] = field(default_factory=dict)


class SklearnModel:
    """A scikit-learn model loaded straight from its skops file.

    ``predict`` goes through MLflow's pyfunc model (loaded on first use) so
    that callers handing it raw data still get MLflow's schema enforcement;
    the gateway, batch scoring and explanations call the estimator itself
    (``get_raw_model``), as they did before."""

    def __init__(self, path: Path, estimator: Any, metadata: ModelMetadata) -> None:
        self.path = path
        self.estimator = estimator
        self.metadata = metadata
        self._pyfunc: Any = None

    def get_raw_model(self) -> Any:
        return self.estimator

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        if self._pyfunc is None:
            import mlflow.pyfunc

            self._pyfunc = mlflow.pyfunc.load_model(str(self.path))
        return self._pyfunc.predict(data, params=params)


def load_model(path: Path) -> Any:
    """The model in MLflow model directory ``path``, ready to predict."""
    direct = _skops_sklearn(path)
    if direct is not None:
        return direct
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(str(path))


def needs_skops(path: Path) -> bool:
    """Would ``load_model`` load this directory with skops itself?"""
    return _skops_plan(path) is not None


def _skops_sklearn(path: Path) -> SklearnModel | None:
    plan = _skops_plan(path)
    if plan is None:
        return None
    file, trusted, flavors = plan
    import skops.io

    estimator = skops.io.load(file, trusted=trusted)
    return SklearnModel(path, estimator, ModelMetadata(flavors))


def _skops_plan(path: Path) -> tuple[Path, list[str], dict[str, Any]] | None:
    """The skops file, trusted types and flavours of a plain scikit-learn model;
    None for anything MLflow should load."""
    if os.environ.get("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true").strip().lower() not in (
            "true", "1"):
        return None  # MLflow refuses it with its own message
    try:
        meta = yaml.load((path / "MLmodel").read_text(), Loader=_LOADER)
    except (OSError, yaml.YAMLError):
        return None
    flavors = meta.get("flavors") if isinstance(meta, dict) else None
    if not isinstance(flavors, dict):
        return None
    pyfunc, sk = flavors.get("python_function"), flavors.get("sklearn")
    if not (isinstance(pyfunc, dict) and isinstance(sk, dict)
            and pyfunc.get("loader_module") == "mlflow.sklearn"
            and sk.get("serialization_format") == "skops"):
        return None
    trusted = sk.get("skops_trusted_types") or []
    if not isinstance(trusted, list) or not all(
            isinstance(t, str) and t.startswith(TRUSTED_MODULES) for t in trusted):
        return None
    root = path.resolve()
    file = (root / str(pyfunc.get("model_path", ""))).resolve()
    if not file.is_file() or not file.is_relative_to(root):
        return None
    return file, trusted, flavors


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
