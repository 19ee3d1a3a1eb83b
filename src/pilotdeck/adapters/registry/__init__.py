"""Model registries behind the ``ModelRegistry`` port."""

from __future__ import annotations

from pilotdeck.adapters.registry.mlflow import MlflowRegistry, save_sklearn
from pilotdeck.domain.ports.registry import ALIASES, ModelRegistry, RegisteredVersion

__all__ = ["ALIASES", "MlflowRegistry", "ModelRegistry", "RegisteredVersion", "save_sklearn"]
