"""The composition root: builds the stores, adapters and services once from Settings.

This is the one module that picks adapters (by URI scheme or typed config) and
wires them into services; interfaces (CLI, API, gateway) receive a Platform and
never import an adapter themselves. Everything is built on first use, so a
command pays only for what it touches (``pilotdeck version`` builds nothing).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pilotdeck.config import Settings, read_yaml_config
from pilotdeck.platform import coe, programme, scale

if TYPE_CHECKING:
    from pilotdeck.domain.maturity import MaturityModel
    from pilotdeck.domain.ports.cache import PredictionCache
    from pilotdeck.domain.ports.compute import ComputeEngine
    from pilotdeck.domain.ports.lake import Lake
    from pilotdeck.domain.ports.lineage import LineageTransport
    from pilotdeck.domain.ports.registry import ModelRegistry
    from pilotdeck.domain.ports.store import Store
    from pilotdeck.domain.prioritization import Rubric
    from pilotdeck.domain.risk import Questionnaire
    from pilotdeck.services.access import AccessService
    from pilotdeck.services.alerts import AlertService
    from pilotdeck.services.approvals import ApprovalService
    from pilotdeck.services.assessment import AssessmentService
    from pilotdeck.services.audit import AuditService
    from pilotdeck.services.batch import BatchService
    from pilotdeck.services.data_quality import DataQualityService
    from pilotdeck.services.dataset_quality import DatasetQuality
    from pilotdeck.services.datasets import DatasetService
    from pilotdeck.services.explain import ExplanationService
    from pilotdeck.services.fairness import FairnessService
    from pilotdeck.services.features import FeatureService
    from pilotdeck.services.governance import GovernanceService
    from pilotdeck.services.lake_logs import LogTableService
    from pilotdeck.services.lineage import LineageService
    from pilotdeck.services.model_card import ModelCardService
    from pilotdeck.services.monitoring import MonitoringService
    from pilotdeck.services.paths import ServerPaths
    from pilotdeck.services.playbook import PlaybookService
    from pilotdeck.services.portfolio import PortfolioService
    from pilotdeck.services.prioritization import PrioritizationService
    from pilotdeck.services.programme import ProgrammeService
    from pilotdeck.services.readiness import ReadinessService
    from pilotdeck.services.registry import RegistryService
    from pilotdeck.services.risk import RiskService
    from pilotdeck.services.rollouts import RolloutService
    from pilotdeck.services.runbook import RunbookService
    from pilotdeck.services.serving import ServingService
    from pilotdeck.services.sla import SLAService
    from pilotdeck.services.teams import TeamService

__all__ = ["Platform"]


class Platform:
    """One instance per process; the API app, the gateway and the CLI all use it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # -- adapters ------------------------------------------------------------
    @cached_property
    def home(self) -> Path:
        """The data directory, created owner-only (0700): it holds the database,
        the keys, the models and the request log."""
        from pilotdeck.adapters.secrets import private_dir

        return private_dir(self.settings.home)

    @cached_property
    def store(self) -> Store:
        from pilotdeck.adapters.store.db import Database

        self.home  # noqa: B018 - created 0700 before the database inside it
        return Database(self.settings.db_url)

    @cached_property
    def registry(self) -> ModelRegistry:
        from pilotdeck.adapters.registry import make_model_registry
        from pilotdeck.adapters.secrets import private_dir, private_file

        home = self.home
        private_dir(home / "mlflow")
        uri = self.settings.mlflow_uri
        if uri.startswith("sqlite:///"):  # MLflow's own database: owner-only too
            private_file(Path(uri.removeprefix("sqlite:///").partition("?")[0]))
        return make_model_registry(self.settings.mlflow_uri, home / "mlflow" / "artifacts",
                                   home / "models")

    @cached_property
    def lake(self) -> Lake:
        from pilotdeck.adapters.lake import LocalLake

        assert self.settings.lakehouse_dir is not None
        self.home  # noqa: B018 - created 0700 before the lake (usually inside it)
        return LocalLake(self.settings.lakehouse_dir)

    def request_id_key(self) -> bytes:
        """The key that signs the gateway's request ids (created 0600 on first use)."""
        from pilotdeck.adapters.secrets import load_or_create_key

        assert self.settings.request_id_key_path is not None
        self.home  # noqa: B018
        return load_or_create_key(self.settings.request_id_key_path)

    def save_admin_token(self, token: str) -> Path:
        """Write the first-run admin token to an owner-only file; returns its path."""
        from pilotdeck.adapters.secrets import write_private

        assert self.settings.admin_token_path is not None
        self.home  # noqa: B018
        return write_private(self.settings.admin_token_path, (token + "\n").encode())

    @cached_property
    def server_paths(self) -> ServerPaths:
        from pilotdeck.services.paths import ServerPaths

        return ServerPaths(self.settings.server_paths)

    def engine(self, name: str | None = None) -> ComputeEngine:
        """A compute engine by name or master URL (``local``, ``spark``,
        ``local[N]``, ``spark://HOST:PORT``); by default the configured one."""
        from pilotdeck.adapters.compute import make_compute_engine

        compute = self.settings.compute
        if name is None or name == compute.type:
            name = compute.type if compute.type == "local" else compute.master
        return make_compute_engine(name)

    def prediction_cache(self) -> PredictionCache:
        """A new prediction cache (one per gateway process) from ``cache_url``."""
        from pilotdeck.adapters.cache import make_prediction_cache

        return make_prediction_cache(self.settings.cache_url, self.settings.cache_max_entries)

    # -- configuration data ---------------------------------------------------
    @cached_property
    def rubric(self) -> Rubric:
        from pilotdeck.domain.prioritization import Rubric

        data, src = read_yaml_config(self.settings.rubric_path, "rubric.yaml")
        return Rubric.from_data(data, src)

    @cached_property
    def maturity_model(self) -> MaturityModel:
        from pilotdeck.domain.maturity import MaturityModel

        data, src = read_yaml_config(self.settings.maturity_model_path, "maturity.yaml")
        return MaturityModel.from_data(data, src)

    @cached_property
    def risk_questionnaire(self) -> Questionnaire:
        from pilotdeck.domain.risk import Questionnaire

        data, src = read_yaml_config(self.settings.risk_questionnaire_path, "risk.yaml")
        return Questionnaire.from_data(data, src)

    # -- services ---------------------------------------------------------------
    @cached_property
    def approvals(self) -> ApprovalService:
        from pilotdeck.services.approvals import ApprovalService

        return ApprovalService(self.store, self.risk, self.settings.approval_valid_days)

    @cached_property
    def model_cards(self) -> ModelCardService:
        from pilotdeck.services.model_card import ModelCardService

        return ModelCardService(self.portfolio, self.models, self.risk, self.governance,
                                self.explanations, self.approvals, self.lake, self.lineage)

    @cached_property
    def fairness(self) -> FairnessService:
        from pilotdeck.services.fairness import FairnessService

        return FairnessService(self.store, self.registry, self.lake)

    @cached_property
    def explanations(self) -> ExplanationService:
        from pilotdeck.services.explain import ExplanationService

        return ExplanationService(self.store, self.registry, self.lake)

    @cached_property
    def governance(self) -> GovernanceService:
        from pilotdeck.services.governance import GovernanceService

        def explained(pilot: str, version: int) -> str | None:
            stored = self.explanations.stored(pilot, version)
            return None if stored is None else (
                f"global explanation ({stored.explainer} SHAP) computed {stored.computed_at[:10]}")

        def fair(pilot: str, version: int) -> str | None:
            stored = self.fairness.stored(pilot, version)
            if stored is None:
                return None
            r = stored.report
            dpd = (f"demographic parity difference {r.demographic_parity_difference:.3f}"
                   if r.demographic_parity_difference is not None else "no labelled rows")
            return (f"fairness report on {stored.data} ({r.rows} rows, by "
                    f"{', '.join(r.sensitive)}): {dpd}")

        return GovernanceService(self.store, self.settings.governance_enforce,
                                 explained, fair)

    @cached_property
    def risk(self) -> RiskService:
        from pilotdeck.services.risk import RiskService

        return RiskService(self.store, self.risk_questionnaire)

    @cached_property
    def portfolio(self) -> PortfolioService:
        from pilotdeck.adapters.manifests import YamlManifestFiles
        from pilotdeck.services.portfolio import PortfolioService

        return PortfolioService(self.store, self.rubric, YamlManifestFiles())

    @cached_property
    def assessments(self) -> AssessmentService:
        from pilotdeck.services.assessment import AssessmentService
        from pilotdeck.services.evidence import platform_providers

        return AssessmentService(self.store, self.maturity_model,
                                 platform_providers(lambda: self.lake, self.settings.alert_rules,
                                                    lambda: self.data_quality,
                                                    lambda: self.features.reuse()))

    @cached_property
    def prioritization(self) -> PrioritizationService:
        from pilotdeck.services.prioritization import PrioritizationService

        def feature_reuse() -> dict[str, list[str]]:
            # Read from the applied definitions (no Feast); a broken definition file
            # must not take the portfolio plan down with it.
            from pilotdeck.domain.errors import PilotdeckError

            try:
                return self.features.reuse()
            except PilotdeckError:
                return {}

        return PrioritizationService(self.portfolio, self.rubric, feature_reuse)

    @cached_property
    def audit(self) -> AuditService:
        from pilotdeck.services.audit import AuditService

        assert self.settings.audit_key_path is not None
        return AuditService(self.store, self.settings.audit_key_path,
                            self.settings.audit_origin)

    @cached_property
    def models(self) -> RegistryService:
        from pilotdeck.services.registry import RegistryService

        # Monitoring (pandas, pyarrow) is built only when a version brings a reference.
        return RegistryService(self.store, self.registry, lambda: self.monitoring,
                               lambda: self.governance, lambda: self.explanations,
                               lambda: self.lineage, lambda: self.datasets)

    @cached_property
    def monitoring(self) -> MonitoringService:
        # Imported here: it pulls in pandas, pyarrow and the metric libraries,
        # which most commands never need.
        from pilotdeck.services.monitoring import MonitoringService

        service = MonitoringService(self.lake, self.engine, self.settings.cost_per_cpu_second,
                                    self.settings.drift_min_rows, lambda: self.lineage)
        service.resolve = lambda *a, **k: self.datasets.resolve(*a, **k)
        return service

    @cached_property
    def log_tables(self) -> LogTableService:
        """Versions, compaction and migration of the prediction and feedback logs."""
        from pilotdeck.services.lake_logs import LogTableService

        return LogTableService(self.store, self.lake)

    @cached_property
    def alerts(self) -> AlertService:
        from pilotdeck.services.alerts import AlertService

        return AlertService(self.store, self.monitoring, self.models,
                            data_quality=lambda: self.data_quality, sla=lambda: self.sla)

    @cached_property
    def batch(self) -> BatchService:
        from pilotdeck.services.batch import BatchService

        return BatchService(self.store, self.models, self.registry, self.engine, self.datasets,
                            lambda: self.lineage)

    @cached_property
    def serving(self) -> ServingService:
        from pilotdeck.services.serving import ServingService

        return ServingService(self.store, lambda: self.governance)

    @cached_property
    def sla(self) -> SLAService:
        from pilotdeck.services.sla import SLAService

        return SLAService(self.store, self.lake)

    # Phase 3 (scale with discipline): wired in platform/scale.py.
    @cached_property
    def runbooks(self) -> RunbookService:
        return scale.runbooks(self)

    @cached_property
    def readiness(self) -> ReadinessService:
        return scale.readiness(self)

    @cached_property
    def rollouts(self) -> RolloutService:
        return scale.rollouts(self)

    # Phase 4 (the centre of excellence): wired in platform/coe.py.
    @cached_property
    def teams(self) -> TeamService:
        return coe.teams(self)

    @cached_property
    def playbook(self) -> PlaybookService:
        return coe.playbook(self)

    @cached_property
    def programme(self) -> ProgrammeService:
        return programme.programme_service(self)

    @cached_property
    def access(self) -> AccessService:
        from pilotdeck.services.access import AccessService

        return AccessService(self.store)

    @cached_property
    def datasets(self) -> DatasetService:
        from pilotdeck.services.dataset_access import DatasetAccess
        from pilotdeck.services.datasets import DatasetService

        return DatasetService(self.store, self.lake, DatasetAccess(self.store),
                              lambda: self.lineage, lambda: self.data_quality)

    @cached_property
    def dataset_quality(self) -> DatasetQuality:
        from pilotdeck.services.dataset_quality import DatasetQuality

        return DatasetQuality(self.datasets, self.data_quality)

    @cached_property
    def data_quality(self) -> DataQualityService:
        from pilotdeck.services.data_quality import DataQualityService

        return DataQualityService(self.lake, self.store)

    @cached_property
    def lineage_transport(self) -> LineageTransport | None:
        """Where lineage events go besides the store (``openlineage_url``), if anywhere."""
        if not self.settings.openlineage_url:
            return None
        from pilotdeck.adapters.lineage import make_lineage_transport

        return make_lineage_transport(self.settings.openlineage_url)

    @cached_property
    def lineage(self) -> LineageService:
        from pilotdeck.services.lineage import LineageService

        return LineageService(self.store, lambda: self.lineage_transport)

    @cached_property
    def features(self) -> FeatureService:
        """The feature store (Feast, the ``features`` extra) under ``lake/features``."""
        from pilotdeck.platform.features import feature_service

        return feature_service(self)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.dispose()
