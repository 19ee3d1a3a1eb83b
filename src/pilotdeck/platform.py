"""Builds the stores and services once from Settings (no module-level globals)."""

from __future__ import annotations

from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pilotdeck.adapters.registry import MlflowRegistry
from pilotdeck.adapters.store.db import Database
from pilotdeck.config import Settings
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.maturity import MaturityModel
from pilotdeck.domain.prioritization import Rubric
from pilotdeck.services.access import AccessService
from pilotdeck.services.assessment import AssessmentService
from pilotdeck.services.audit import AuditService
from pilotdeck.services.portfolio import PortfolioService
from pilotdeck.services.prioritization import PrioritizationService
from pilotdeck.services.registry import RegistryService

if TYPE_CHECKING:
    from pilotdeck.services.alerts import AlertService


def _yaml(path: Path | None, default: str) -> tuple[Any, str]:
    if path is None:
        text = resources.files("pilotdeck.data").joinpath(default).read_text(encoding="utf-8")
        return yaml.safe_load(text), f"(shipped) {default}"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), str(path)
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed("cannot read configuration file",
                               [FieldError("", exc.__class__.__name__, str(path))]) from None


class Platform:
    """One instance per process; the API app and the CLI both use it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.db_url)

    @cached_property
    def rubric(self) -> Rubric:
        data, src = _yaml(self.settings.rubric_path, "rubric.yaml")
        return Rubric.from_data(data, src)

    @cached_property
    def maturity_model(self) -> MaturityModel:
        data, src = _yaml(self.settings.maturity_model_path, "maturity.yaml")
        return MaturityModel.from_data(data, src)

    @cached_property
    def portfolio(self) -> PortfolioService:
        return PortfolioService(self.db, self.rubric)

    @cached_property
    def assessments(self) -> AssessmentService:
        return AssessmentService(self.db, self.maturity_model)

    @cached_property
    def prioritization(self) -> PrioritizationService:
        return PrioritizationService(self.portfolio, self.rubric)

    @cached_property
    def audit(self) -> AuditService:
        assert self.settings.audit_key_path is not None
        return AuditService(self.db, self.settings.audit_key_path, self.settings.audit_origin)

    @cached_property
    def registry(self) -> MlflowRegistry:
        home = self.settings.home
        (home / "mlflow").mkdir(parents=True, exist_ok=True)
        return MlflowRegistry(self.settings.mlflow_uri, home / "mlflow" / "artifacts",
                              home / "models")

    @cached_property
    def models(self) -> RegistryService:
        lake = self.settings.lakehouse_dir
        return RegistryService(self.db, self.registry, lake / "profiles" if lake else None)

    @cached_property
    def alerts(self) -> AlertService:
        # Imported here: it pulls in pandas and the metric libraries, which most
        # commands never need.
        from pilotdeck.services.alerts import AlertService

        assert self.settings.lakehouse_dir is not None
        return AlertService(self.db, self.settings.lakehouse_dir, self.models,
                            self.settings.cost_per_cpu_second)

    @cached_property
    def access(self) -> AccessService:
        return AccessService(self.db)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
