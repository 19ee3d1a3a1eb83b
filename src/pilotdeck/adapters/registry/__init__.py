"""Model registries behind the ``ModelRegistry`` port, chosen by URI scheme.

``sqlite:``, ``postgresql[+driver]:``, ``mysql:``, ``mssql:``, ``file:`` and
``http(s):`` (an MLflow server) build an ``MlflowRegistry``; ``memory://``
builds the in-memory fake. Plugins add schemes through the
``pilotdeck.model_registries`` entry-point group.
"""

from __future__ import annotations

import os
from pathlib import Path

from pilotdeck.adapters.registry.memory import MemoryRegistry
from pilotdeck.adapters.registry.mlflow import MlflowRegistry, save_sklearn
from pilotdeck.adapters.schemes import SchemeRegistry
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.ports.registry import ALIASES, ModelRegistry, RegisteredVersion

__all__ = ["ALIASES", "MemoryRegistry", "MlflowRegistry", "ModelRegistry", "RegisteredVersion",
           "make_model_registry", "model_registries", "save_sklearn"]

FIELD = "PILOTDECK_MLFLOW_URI"


def _mlflow(uri: str, *, artifacts: Path, models_dir: Path) -> ModelRegistry:
    return MlflowRegistry(uri, artifacts, models_dir)


def _mlflow_files(uri: str, *, artifacts: Path, models_dir: Path) -> ModelRegistry:
    """MLflow's file store, only where MLflow itself still allows it.

    MLflow 3 keeps the file store in maintenance mode and refuses to open it
    unless ``MLFLOW_ALLOW_FILE_STORE=true``; we say so up front instead of
    failing inside the first request. (Its registry also reads logged models
    through MLflow's process-global tracking URI, creating ``./mlflow.db``.)
    """
    if os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").strip().lower() not in ("true", "1"):
        raise ValidationFailed("unsupported model registry URI scheme", [FieldError(
            FIELD, "MLflow 3 refuses its file store; use sqlite:///PATH or "
                   "postgresql+psycopg://…, or set MLFLOW_ALLOW_FILE_STORE=true")])
    return MlflowRegistry(uri, artifacts, models_dir)


def _memory(uri: str, *, artifacts: Path, models_dir: Path) -> ModelRegistry:
    return MemoryRegistry()


model_registries: SchemeRegistry[ModelRegistry] = SchemeRegistry(
    "model registry URI", FIELD, group="pilotdeck.model_registries")
for _scheme in ("sqlite", "postgresql", "mysql", "mssql", "http", "https"):
    model_registries.register(_scheme, _mlflow)
model_registries.register("file", _mlflow_files)
model_registries.register("memory", _memory)


def make_model_registry(uri: str, artifacts: Path, models_dir: Path) -> ModelRegistry:
    """The registry ``uri`` names; ``artifacts`` is where a store we open directly
    keeps model files, ``models_dir`` the local cache of downloaded versions."""
    return model_registries.build(uri, artifacts=artifacts, models_dir=models_dir)
